"""Load test: phones syncing answers and photos against several API workers.

Each simulated phone syncs 40 answers (then resends them, as a phone with a flaky network
does) and uploads 3 photos, all compressed into a short run. The API runs as uvicorn workers
on PostgreSQL (or SQLite) and a SeaweedFS store, all on loopback. Prints throughput, latency
percentiles and errors per kind of request, and the ratio of the sync endpoint's throughput
to a bare FastAPI endpoint that parses the same JSON body, run the same way.

    python bench/load.py [--phones 300] [--workers 4] [--postgres URL]
"""

import argparse
import asyncio
import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx2
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.auth.roles import Role  # noqa: E402
from service.checklists import service as checklists_service  # noqa: E402
from service.config import Settings  # noqa: E402
from service.standards import service as standards_service  # noqa: E402
from tests.conftest import NOW, SECRET, FrozenClock  # noqa: E402
from tests.fixtures import images  # noqa: E402
from tests.fixtures.db import migrated_engine, scratch_database  # noqa: E402
from tests.fixtures.factories import complete_answers, make_office, make_visit  # noqa: E402
from tests.fixtures.http import bearer  # noqa: E402
from tests.fixtures.s3 import start_seaweed, stop_seaweed  # noqa: E402
from tests.fixtures.server import api_env, free_port  # noqa: E402
from tests.fixtures.users import make_user  # noqa: E402

PHOTO_ITEMS = ("working_hours_posted", "stand_present", "badge_worn")


def start(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            *args,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=ROOT,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/docs", timeout=1)
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


def prepare(url: str, phones: int) -> list[dict[str, Any]]:
    engine = migrated_engine(url)
    clock = FrozenClock(dt.datetime.now(dt.UTC))
    plans = []
    with Session(engine) as session:
        standards_service.load_standards(session, Settings().catalogue_dir, now=NOW)
        checklists_service.load_template_files(session, Settings().templates_dir, now=NOW)
        office = make_office(session)
        checklist = None
        for _ in range(phones):
            shopper = make_user(session, Role.shopper)
            visit = make_visit(session, shopper=shopper, office=office)
            if checklist is None:
                row = checklists_service.get_checklist(session, visit.checklist_id)
                checklist = checklists_service.public(session, row).checklist.model_dump(
                    mode="json", by_alias=True
                )
            answers = complete_answers(checklist)[:40]
            plans.append(
                {"visit": str(visit.id), "headers": bearer(shopper, clock), "answers": answers}
            )
        session.commit()
    engine.dispose()
    return plans


async def timed(
    results: dict[str, list[float]], errors: dict[str, list[float]], kind: str, request: Any
) -> None:
    started = time.perf_counter()
    try:
        response = await request
        ok = response.status_code in (200, 201)
    except httpx2.HTTPError:
        ok = False
    (results if ok else errors).setdefault(kind, []).append(time.perf_counter() - started)


async def phone(
    client: httpx2.AsyncClient,
    plan: dict[str, Any],
    photo: bytes,
    results: dict[str, list[float]],
    errors: dict[str, Any],
    delay: float,
) -> None:
    await asyncio.sleep(delay)
    visit, headers = plan["visit"], plan["headers"]
    body = {"answers": plan["answers"]}
    for kind in ("sync", "sync (resend)"):
        await timed(
            results,
            errors,
            kind,
            client.put(f"/api/v1/visits/{visit}/answers", json=body, headers=headers),
        )
    for item in PHOTO_ITEMS:
        form = {
            "item_code": item,
            "taken_at": "2026-03-18T10:15:30+05:00",
            "client_id": str(uuid.uuid4()),
        }
        # Distinct bytes per item, so each upload is a new photo, not a duplicate.
        data = photo + item.encode()
        await timed(
            results,
            errors,
            "photo",
            client.post(
                f"/api/v1/visits/{visit}/photos",
                data=form,
                files={"file": ("p.jpg", data, "image/jpeg")},
                headers=headers,
            ),
        )


async def run_phones(
    base: str, plans: list[dict[str, Any]], ramp: float
) -> tuple[dict[str, list[float]], dict[str, Any], float]:
    photo = images.photo(size=(1280, 960))
    results: dict[str, list[float]] = {}
    errors: dict[str, Any] = {}
    limits = httpx2.Limits(max_connections=len(plans), max_keepalive_connections=len(plans))
    async with httpx2.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        started = time.perf_counter()
        # Phones come online spread over the ramp: a 6 pm rush, compressed.
        await asyncio.gather(
            *(
                phone(client, p, photo, results, errors, ramp * i / len(plans))
                for i, p in enumerate(plans)
            )
        )
        return results, errors, time.perf_counter() - started


async def saturate(
    base: str, make: Any, *, concurrency: int, seconds: float
) -> tuple[int, int, float]:
    """Closed loop: ``concurrency`` clients send ``make(i)`` requests for ``seconds``."""
    done = failed = 0
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        stop = time.perf_counter() + seconds

        async def worker(k: int) -> None:
            nonlocal done, failed
            i = k
            while time.perf_counter() < stop:
                method, path, body, headers = make(i)
                response = await client.request(method, path, json=body, headers=headers)
                if response.status_code == 200:
                    done += 1
                else:
                    failed += 1
                i += concurrency

        started = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        return done, failed, time.perf_counter() - started


def fresh_batch(plan: dict[str, Any], i: int) -> dict[str, Any]:
    """The phone's 40 answers again, edited later: new client ids, a later answered_at."""
    at = (dt.datetime(2026, 3, 18, 6, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=i)).isoformat()
    return {
        "answers": [
            a | {"client_id": str(uuid.uuid4()), "answered_at": at} for a in plan["answers"]
        ]
    }


def pct(values: list[float], q: int) -> float:
    """The ``q``th percentile in milliseconds; inclusive, so never above the slowest."""
    if len(values) < 2:
        return values[0] * 1000 if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phones", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite", action="store_true", help="use SQLite instead")
    parser.add_argument("--ramp", type=float, default=60, help="seconds over which phones start")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mshop-load-"))
    (work / "seaweed").mkdir()
    seaweed = start_seaweed(work / "seaweed")
    servers: list[subprocess.Popen[bytes]] = []
    # The database has a name of its own (never an earlier run's) and is dropped at the end.
    databases = ExitStack()
    try:
        url = scratch_database(
            databases, work, "load", postgres=None if args.sqlite else args.postgres
        )
        plans = prepare(url, args.phones)
        endpoint = seaweed.endpoint
        env = api_env(url, endpoint, "load", SECRET) | {
            "MSHOP_DATABASE__MIGRATE_ON_START": "false",
            "MALLOC_ARENA_MAX": "2",
        }
        workers = ["--workers", str(args.workers)]
        port = free_port()
        servers.append(start(["--factory", "service.main:create_app", *workers], env, port))
        results, errors, elapsed = asyncio.run(
            run_phones(f"http://127.0.0.1:{port}", plans, args.ramp)
        )
        plan_of = plans.__getitem__

        def sync_request(i: int) -> tuple[str, str, dict[str, Any], dict[str, str]]:
            plan = plan_of(i % len(plans))
            return (
                "PUT",
                f"/api/v1/visits/{plan['visit']}/answers",
                fresh_batch(plan, i),
                plan["headers"],
            )

        sync = asyncio.run(
            saturate(
                f"http://127.0.0.1:{port}",
                sync_request,
                concurrency=args.concurrency,
                seconds=args.seconds,
            )
        )
        servers.pop().terminate()
        bare_port = free_port()
        servers.append(start(["bench.bare_app:app", *workers], env, bare_port))

        def bare_request(i: int) -> tuple[str, str, dict[str, Any], dict[str, str]]:
            return "PUT", "/bare", fresh_batch(plan_of(i % len(plans)), i), {}

        bare = asyncio.run(
            saturate(
                f"http://127.0.0.1:{bare_port}",
                bare_request,
                concurrency=args.concurrency,
                seconds=args.seconds,
            )
        )
        db = "SQLite" if args.sqlite else "PostgreSQL"
        total = sum(len(v) for v in results.values())
        print(
            f"{args.phones} phones over {args.ramp:.0f} s, {args.workers} workers, "
            f"{db} + SeaweedFS: {total} requests in {elapsed:.1f} s = "
            f"{total / elapsed:.0f} req/s"
        )
        print(f"{'request':<16}{'ok':>6}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
        for kind, values in results.items():
            print(
                f"{kind:<16}{len(values):>6}{len(errors.get(kind, [])):>8}"
                f"{pct(values, 50):>9.0f}{pct(values, 95):>9.0f}{pct(values, 99):>9.0f}"
            )
        sync_rate, bare_rate = sync[0] / sync[2], bare[0] / bare[2]
        print(f"saturated, {args.concurrency} clients x {args.seconds:.0f} s, 40-answer batches:")
        print(f"  answer sync  {sync_rate:8.0f} req/s ({sync[1]} errors)")
        print(f"  bare parse   {bare_rate:8.0f} req/s ({bare[1]} errors)")
        print(f"  ratio sync / bare: {sync_rate / bare_rate:.2f}")
        print(json.dumps({"errors": {k: len(v) for k, v in errors.items()}}))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        stop_seaweed(seaweed)
        databases.close()
        shutil.rmtree(work, ignore_errors=True)  # the store's volumes


if __name__ == "__main__":
    main()
