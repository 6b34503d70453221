"""Answer sync against its database floor and a bare parse, side by side, round by round.

One uvicorn worker serves the API with two baselines mounted beside it (``bench/sync_app.py``):
the database floor (the same body through the same model, written with the fewest statements
through the raw driver) and a bare endpoint that only parses the body; and, as a measure for
the issue's author, the other write model the issue offers (the batch appended as one row):
its request path alone (``journal``) and whole, its answers derived after by a thread of the
same process (``deferred``, ``bench/sync_deferred.py``). A cheap client (raw HTTP/1.1 on
keep-alive connections, bodies filled into a template) keeps the worker saturated on each
endpoint in turn, the order rotating every round, and prints each endpoint's throughput, the
ratios sync/floor (goal >= 0.7) and sync/bare (goal >= 0.25), the SQL statements per sync
counted by the server's engine, and journal/bare and deferred/bare (not goals).

Each endpoint syncs its own visits, which start in progress with every item answered, so
every request is a later sync of fresh answers that replace the current ones (40 retired,
40 inserted). The database is new and uniquely named (a SQLite file in a temporary folder,
or ``mshop_t_<8 hex>_bench_sync`` on the PostgreSQL server), and dropped at the end.

    python bench/sync.py [--postgres URL | --sqlite] [--rounds 5] [--seconds 3]
"""

import argparse
import asyncio
import datetime as dt
import itertools
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import start  # noqa: E402
from service.auth.roles import Role  # noqa: E402
from service.checklists import service as checklists_service  # noqa: E402
from service.config import Settings  # noqa: E402
from service.standards import service as standards_service  # noqa: E402
from tests.conftest import NOW, SECRET, FrozenClock  # noqa: E402
from tests.fixtures.db import migrated_engine, scratch_database  # noqa: E402
from tests.fixtures.factories import complete_answers, make_office, make_visit  # noqa: E402
from tests.fixtures.http import bearer  # noqa: E402
from tests.fixtures.server import free_port  # noqa: E402
from tests.fixtures.users import make_user  # noqa: E402

ENDPOINTS = ("sync", "floor", "bare", "journal", "deferred")


@dataclass
class Target:
    """One endpoint's visits and the request bytes for its ``i``-th call."""

    name: str
    paths: list[str]
    headers: list[bytes]
    template: str
    prefixes: list[str]
    start: dt.datetime
    counter: "itertools.count[int]" = field(default_factory=itertools.count)

    def request(self) -> bytes:
        i = next(self.counter)
        # Fresh client ids, and a later time than any earlier call's: every answer is new and
        # replaces the current one.
        at = (self.start + dt.timedelta(milliseconds=i)).isoformat()
        body = (
            self.template % tuple(v for p in self.prefixes for v in (f"{p}{i:012x}", at))
        ).encode()
        k = i % len(self.paths)
        return (
            f"PUT {self.paths[k]} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
            + self.headers[k]
            + b"Content-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )


def body_template(answers: list[dict[str, Any]]) -> str:
    """The batch as JSON with ``%s`` for each answer's client id and time."""
    parts = []
    for answer in answers:
        rest = {k: v for k, v in answer.items() if k not in ("client_id", "answered_at")}
        fields = json.dumps(rest).replace("%", "%%")[1:-1]
        parts.append('{"client_id": "%s", "answered_at": "%s", ' + fields + "}")
    return '{"answers": [' + ", ".join(parts) + "]}"


def prepare(url: str, visits: int, answers: int) -> dict[str, Target]:
    """Visits for each endpoint, in progress with every item answered; the requests' parts."""
    engine = migrated_engine(url)
    clock = FrozenClock(dt.datetime.now(dt.UTC))
    run = secrets.token_hex(4)
    targets: dict[str, Target] = {}
    with Session(engine) as session:
        standards_service.load_standards(session, Settings().catalogue_dir, now=NOW)
        checklists_service.load_template_files(session, Settings().templates_dir, now=NOW)
        office = make_office(session)
        shoppers = [make_user(session, Role.shopper) for _ in range(10)]
        tokens = [
            f"Authorization: {bearer(s, clock)['Authorization']}\r\n".encode() for s in shoppers
        ]
        template = None
        for n, name in enumerate(ENDPOINTS):
            paths, headers = [], []
            for v in range(visits):
                owner = v % len(shoppers)
                visit = make_visit(session, shopper=shoppers[owner], office=office)
                if template is None:
                    row = checklists_service.get_checklist(session, visit.checklist_id)
                    checklist = checklists_service.public(session, row).checklist.model_dump(
                        mode="json", by_alias=True
                    )
                    template = complete_answers(checklist)[:answers]
                paths.append(
                    {
                        "sync": f"/api/v1/visits/{visit.id}/answers",
                        "floor": f"/api/v1/visits/{visit.id}/answers-floor",
                        "bare": f"/api/v1/visits/{visit.id}/answers-bare",
                        "journal": f"/api/v1/visits/{visit.id}/answers-journal",
                        "deferred": f"/api/v1/visits/{visit.id}/answers-deferred",
                    }[name]
                )
                headers.append(tokens[owner] if name == "sync" else b"")
            assert template is not None
            targets[name] = Target(
                name=name,
                paths=paths,
                headers=headers,
                template=body_template(template),
                prefixes=[f"{run}-{n:04x}-{j:04x}-8000-" for j in range(len(template))],
                start=clock() - dt.timedelta(hours=2),
            )
        session.commit()
    with engine.begin() as conn:
        # Statistics, as autovacuum keeps them in production (this machine's server runs with
        # it off). From an empty table's, a client-id lookup that the sync or the floor has
        # prepared may be planned once as a sequential scan, which grows with every request.
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return targets


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return status, await reader.readexactly(length)


async def saturate(
    port: int,
    make: Callable[[], bytes],
    *,
    concurrency: int,
    seconds: float = float("inf"),
    count: int | None = None,
) -> tuple[int, int, float, bytes]:
    """Closed loop: ``concurrency`` connections send ``make()`` requests for ``seconds``, or
    ``count`` requests in all."""
    done = failed = 0
    sample = b""
    streams = [await asyncio.open_connection("127.0.0.1", port) for _ in range(concurrency)]
    stop = time.perf_counter() + seconds
    left = itertools.count(count, -1) if count is not None else itertools.repeat(1)

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal done, failed, sample
        while time.perf_counter() < stop and next(left) > 0:
            status, body = await exchange(reader, writer, make())
            if status == 200:
                done += 1
            else:
                failed += 1
                sample = sample or body[:300]

    started = time.perf_counter()
    await asyncio.gather(*(worker(r, w) for r, w in streams))
    elapsed = time.perf_counter() - started
    for _, writer in streams:
        writer.close()
    return done, failed, elapsed, sample


def statements(port: int) -> dict[str, int]:
    return _counts(port, "statements")


def deriver(port: int) -> dict[str, int]:
    return _counts(port, "deriver")


def _counts(port: int, name: str) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/{name}", timeout=10) as r:
        counts: dict[str, int] = json.loads(r.read())
        return counts


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """One uvicorn worker serving the API with the bench's endpoints beside it."""
    return start(["--factory", "bench.sync_app:create", "--workers", "1"], env, port)


def cpu_times(pid: int) -> tuple[float, float]:
    """User and system CPU time the process has used (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used, together."""
    return sum(cpu_times(pid))


def postgres_cpu_seconds() -> float:
    """CPU time used by this machine's ``postgres`` processes (a local server's backends): to
    tell whether a ratio measures the API process or a database server it saturates."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "comm").read_text().strip() == "postgres":
                total += cpu_seconds(int(proc.name))
        except OSError:  # gone between listing and reading
            continue
    return total


def usage(pid: int, *, postgres: bool) -> list[float]:
    """The server's user and system CPU seconds and, on PostgreSQL, the local server's, now."""
    return [*cpu_times(pid), postgres_cpu_seconds() if postgres else 0.0]


def load() -> str:
    """The machine's load average over 1, 5 and 15 minutes (what ``uptime`` prints)."""
    return ", ".join(Path("/proc/loadavg").read_text().split()[:3])


def run(url: str, work: Path, args: argparse.Namespace) -> None:
    targets = prepare(url, args.visits, args.answers)
    env = os.environ | {
        "MSHOP_DATABASE__URL": url,
        "MSHOP_DATABASE__MIGRATE_ON_START": "false",
        "MSHOP_AUTH__SECRET_KEY": SECRET,
        "MSHOP_STORAGE__LOCAL_DIR": str(work / "blobs"),
        "MALLOC_ARENA_MAX": "2",
    }
    port = free_port()
    server = serve(env, port)
    try:
        # Warm-up, unmeasured: each visit's first sync (the API's starts the visit), caches.
        for target in targets.values():
            _, failed, _, sample = asyncio.run(
                saturate(port, target.request, concurrency=args.concurrency, count=args.visits)
            )
            if failed:
                raise RuntimeError(f"{target.name}: {failed} failed in warm-up: {sample!r}")
        while deriver(port)["pending"]:  # the deferred model's warm-up, off the first round
            time.sleep(0.005)
        # Per endpoint: requests done, failed, seconds; server user, system and PostgreSQL CPU.
        totals = {name: [0.0] * 6 for name in ENDPOINTS}
        per_sync = []
        print(f"load at start (1, 5, 15 min): {load()}")
        header = "".join(f"{name:>10}" for name in ENDPOINTS)
        print(f"round{header}   req/s, {args.concurrency} connections x {args.seconds:.0f} s")
        for r in range(args.rounds):
            turn = r % len(ENDPOINTS)
            order = ENDPOINTS[turn:] + ENDPOINTS[:turn]
            rates = {}
            for name in order:
                before, used = statements(port), usage(server.pid, postgres=not args.sqlite)
                done, failed, elapsed, sample = asyncio.run(
                    saturate(
                        port,
                        targets[name].request,
                        concurrency=args.concurrency,
                        seconds=args.seconds,
                    )
                )
                if name == "deferred":
                    # The model whole: its batches derived before the next endpoint's turn,
                    # the wait counted in its time (and its CPU in the usage read below).
                    waited = time.perf_counter()
                    while deriver(port)["pending"]:
                        time.sleep(0.005)
                    elapsed += time.perf_counter() - waited
                if failed:
                    print(f"  {name}: {failed} failed, e.g. {sample!r}")
                if name == "sync" and done + failed:
                    after = statements(port)
                    per_sync.append((after["statements"] - before["statements"]) / (done + failed))
                measured = [done, failed, elapsed] + [
                    now - then
                    for now, then in zip(
                        usage(server.pid, postgres=not args.sqlite), used, strict=True
                    )
                ]
                totals[name] = [t + m for t, m in zip(totals[name], measured, strict=True)]
                rates[name] = done / elapsed
            print(f"{r + 1:>5}" + "".join(f"{rates[name]:>10.0f}" for name in ENDPOINTS))
        rate = {name: ok / seconds for name, (ok, _, seconds, *_) in totals.items()}
        for name in ENDPOINTS:
            ok, refused, _, user, system, database = totals[name]
            ms = 1000 / max(1, ok + refused)
            # PostgreSQL's CPU beside the API process's: it tells whether a ratio measures the
            # API process or a database server the load saturates.
            on_postgres = f"; PostgreSQL {database * ms:.1f} ms" if not args.sqlite else ""
            print(
                f"{name:>7}: {rate[name]:6.0f} req/s, {refused:.0f} failed, "
                f"server CPU {(user + system) * ms:.1f} ms per request "
                f"(user {user * ms:.1f}, system {system * ms:.1f}){on_postgres}"
            )
        print(f"ratio sync / floor: {rate['sync'] / rate['floor']:.2f}   (goal >= 0.7)")
        print(f"ratio sync / bare:  {rate['sync'] / rate['bare']:.2f}   (goal >= 0.25)")
        # The bound on the line above: a sync that stores each answer as a row costs at least
        # the floor, so it reaches at most this against the bare endpoint.
        print(f"ratio floor / bare: {rate['floor'] / rate['bare']:.2f}   (not a goal)")
        # The write model the issue offers if rows per answer cannot reach the goal: a batch
        # appended as one row, its request path only (bench/sync_app.py says what it leaves out).
        print(
            f"ratio journal / bare: {rate['journal'] / rate['bare']:.2f}   "
            "(not a goal: one row per batch, its request path only)"
        )
        # The same model whole: its answers derived in SQL by a thread of the same process.
        derived = deriver(port)
        print(
            f"ratio deferred / bare: {rate['deferred'] / rate['bare']:.2f}   (not a goal: one "
            f"row per batch, derived after, waited for; "
            f"{derived['batches'] / max(1, derived['runs']):.1f} batches a derivation over the "
            f"run, {derived['failures']} failed)"
        )
        print(
            f"SQL statements per sync: {min(per_sync):.2f} to {max(per_sync):.2f} "
            "(besides BEGIN and COMMIT)"
        )
        print(f"load at end (1, 5, 15 min): {load()}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite", action="store_true", help="use SQLite instead")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3, help="per endpoint and round")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--visits", type=int, default=300, help="per endpoint")
    parser.add_argument("--answers", type=int, default=40, help="per batch")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mshop-sync-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        url = scratch_database(stack, work, "sync", postgres=None if args.sqlite else args.postgres)
        print(f"{'SQLite' if args.sqlite else 'PostgreSQL'}, {args.answers} answers per batch")
        run(url, work, args)


if __name__ == "__main__":
    main()
