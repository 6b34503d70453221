"""Reports benchmark: each report endpoint against the bare SQL that computes its figures.

The rankings' bare SQL has every column the endpoint shows: satisfaction (the current
overall_rating answer) beside compliance, and the total row as a window over the groups, in
person only (the rankings' default channel); the findings' is grouped by code and item with a
message per example.

Generates N demo visits (~40 answers each, scored by the real rules) into a fresh SQLite file
and, with --postgres, a fresh PostgreSQL database of a unique name, dropped at the end; then
times every report endpoint through the ASGI app (TestClient: routing, auth, validation, the
read-only session, JSON) against the minimal hand-written SQL for the same figures on the same
database, and prints the ratio (endpoint / bare SQL), checking both give the same figures.
Each report is also timed as a 304 (the client's copy is current: one query for the data
version). Each chart is timed served from the chart cache, as a 304 and drawn afresh, against
the JSON report it draws. The two sides of a ratio run in turn, round by round, and the ratio is the
median of the rounds' quotients; the machine's load is printed before and after. Last, the
exports' throughput (rows/s, time to first byte). Asserts nothing about time.

    python bench/reports.py [--visits 50000] [--seed 1] [--repeat 15] [--postgres URL]
"""

import argparse
import datetime as dt
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, bindparam, text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service import migrate  # noqa: E402
from service.auth.roles import Role  # noqa: E402
from service.auth.security import encode_token  # noqa: E402
from service.config import AuthSettings, DatabaseSettings, Settings, StorageSettings  # noqa: E402
from service.db import create_db_engine  # noqa: E402
from service.db_types import UtcDateTime  # noqa: E402
from service.demo.generate import generate  # noqa: E402
from service.demo.plan import NOW  # noqa: E402
from service.main import create_app  # noqa: E402
from service.reports.cache import ChartCache  # noqa: E402
from tests.fixtures.db import scratch_postgres_database  # noqa: E402
from tests.fixtures.users import make_user  # noqa: E402

SCORED = (
    "visits v LEFT JOIN visit_scores s ON s.visit_id = v.id LEFT JOIN answers a "
    "ON a.visit_id = v.id AND a.item_code = 'overall_rating' AND a.is_current AND NOT a.na"
)
STANDARD = "JOIN service_standards st ON st.id = v.standard_id"
OFFICE = "JOIN offices o ON o.id = v.office_id"
PERIOD = "AND v.window_start_at >= :a AND v.window_start_at < :b"
# The shopper's own 1-5 rating, the JSON answer's value: SQLite stores a JSON number in a
# column of numeric affinity as that number; PostgreSQL's json needs its text cast.
RATING = {"sqlite": "a.value", "postgresql": "CAST(a.value #>> '{}' AS INTEGER)"}
PARTS = [
    "COUNT(v.id)", "COUNT(__RATING__)", "SUM(__RATING__)",
    "SUM(CASE WHEN __RATING__ = 5 THEN 1 ELSE 0 END)", "COUNT(s.grade)", "COUNT(s.score)",
    "SUM(s.score)", "SUM(s.grade)", "SUM(CASE WHEN s.grade = 5 THEN 1 ELSE 0 END)",
    "SUM(COALESCE(s.findings_critical, 0))", "SUM(COALESCE(s.findings_major, 0))",
    "SUM(COALESCE(s.findings_minor, 0))",
    "SUM(CASE WHEN s.deadline_status IN ('on_time', 'late', 'overdue') THEN 1 ELSE 0 END)",
    "SUM(CASE WHEN s.deadline_status = 'on_time' THEN 1 ELSE 0 END)",
]  # fmt: skip
SUMS = ", ".join(PARTS)
# The total row: each sum again over every group (a window over the grouped rows).
TOTALS = ", ".join(f"SUM({part}) OVER ()" for part in PARTS)


def grouped(key: str, joins: str = "", where: str = "") -> str:
    """The bare SQL of a ranking: both measures per ``key`` and pooled, best first."""
    return f"""
        SELECT {key} AS k, {SUMS}, {TOTALS}
        FROM {SCORED} {joins}
        WHERE v.status = 'approved' AND v.channel = 'in_person' {where}
        GROUP BY {key}
        ORDER BY ROUND(CAST(SUM(__RATING__) * 1.0 / NULLIF(COUNT(__RATING__), 0) AS NUMERIC), 2)
            DESC NULLS LAST,
          ROUND(CAST(SUM(CASE WHEN __RATING__ = 5 THEN 100.0 ELSE 0 END)
            / NULLIF(COUNT(__RATING__), 0) AS NUMERIC), 2) DESC NULLS LAST,
          {key}"""


CRITERIA = """
    SELECT c.criterion AS k, COUNT(*) AS visits, AVG(CAST(c.earned AS FLOAT) / c.applicable),
      SUM(CASE WHEN c.earned >= c.applicable - 1e-6 THEN 1 ELSE 0 END)
    FROM visit_criteria c JOIN visits v ON v.id = c.visit_id
    WHERE v.status = 'approved' AND c.applicable > 0
    GROUP BY c.criterion"""
FINDINGS = """
    SELECT f.code AS k, f.severity, f.item_code, COUNT(*) AS n, COUNT(DISTINCT f.visit_id)
    FROM visit_findings f JOIN visits v ON v.id = f.visit_id
    WHERE v.status = 'approved'
    GROUP BY f.code, f.severity, f.item_code
    ORDER BY n DESC, f.code, f.severity, f.item_code NULLS FIRST LIMIT 20"""
EXAMPLES = """
    SELECT code, severity, item_code, visit_id, message FROM (
      SELECT code, severity, item_code, visit_id, message,
        ROW_NUMBER() OVER (PARTITION BY code, severity, item_code
                           ORDER BY start DESC, visit_id) AS n
      FROM (SELECT f.code, f.severity, f.item_code, v.id AS visit_id, v.window_start_at AS start,
              MIN(f.message_ru) AS message
            FROM visit_findings f JOIN visits v ON v.id = f.visit_id
            WHERE v.status = 'approved'
            GROUP BY f.code, f.severity, f.item_code, v.id, v.window_start_at) AS p
    ) AS r WHERE n <= 3"""
UTC = dt.UTC
Q2 = {"a": dt.datetime(2026, 3, 31, 19, tzinfo=UTC), "b": dt.datetime(2026, 6, 30, 19, tzinfo=UTC)}
Q1 = {"a": dt.datetime(2025, 12, 31, 19, tzinfo=UTC), "b": dt.datetime(2026, 3, 31, 19, tzinfo=UTC)}
SERVICES = grouped("v.service_code")
AGENCIES = grouped("st.agency_abbr", STANDARD, PERIOD)
AGENCY_PATH = "agencies?from=2026-04-01&to=2026-06-30&compare_from=2026-01-01&compare_to=2026-03-31"

# (name, endpoint path and query, bare SQL statements with parameters, key of the JSON rows)
Params = dict[str, dt.datetime]
CASES: list[tuple[str, str, list[tuple[str, Params]], str]] = [
    ("services", "services", [(SERVICES, {})], "service_code"),
    ("agencies+compare", AGENCY_PATH, [(AGENCIES, Q2), (AGENCIES, Q1)], "agency"),
    ("regions", "regions", [(grouped("o.region", OFFICE), {})], "region"),
    ("offices", "offices", [(grouped("o.id", OFFICE), {})], "office_id"),
    ("criteria", "criteria", [(CRITERIA, {})], "criterion"),
    ("findings", "findings", [(FINDINGS, {}), (EXAMPLES, {})], "code"),
]  # fmt: skip
# (chart, the JSON report it draws): a chart kept in the cache against that report.
CHARTS = [("services.png", "services"), ("criteria.png", "criteria")]


Side = Callable[[], Any]


class Timings:
    """Seconds per round of each side of a comparison, the sides run in turn in each round."""

    def __init__(self, times: dict[str, list[float]]) -> None:
        self.times = times

    def ms(self, side: str) -> str:
        return f"{statistics.median(self.times[side]) * 1000:.1f}"

    def ratio(self, side: str, base: str) -> float:
        """The median over rounds of ``side``'s time over ``base``'s in the same round: a burst
        of load from other processes falls on both terms of each quotient alike."""
        pairs = zip(self.times[side], self.times[base], strict=True)
        return statistics.median(mine / theirs for mine, theirs in pairs)

    def best_ratio(self, side: str, base: str) -> float:
        """``side``'s fastest round over ``base``'s: load only ever adds time, so the fastest
        rounds are the least disturbed ones."""
        return min(self.times[side]) / min(self.times[base])


def interleaved(sides: dict[str, Side], rounds: int) -> tuple[Timings, dict[str, Any]]:
    """Time ``sides`` in turn, round by round (the order reversed every other round), after one
    untimed warm-up call each; return the times and each side's last result."""
    results = {name: run() for name, run in sides.items()}  # warm caches and the pool
    times: dict[str, list[float]] = {name: [] for name in sides}
    order = list(sides)
    for round_ in range(rounds):
        for name in order if round_ % 2 == 0 else reversed(order):
            started = time.perf_counter()
            results[name] = sides[name]()
            times[name].append(time.perf_counter() - started)
    return Timings(times), results


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def bare(engine: Engine, statements: list[tuple[str, Params]]) -> list[Any]:
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # As the reports do (reports/repository.py): a plan for the values of each run,
            # never one generic plan guessed for any period.
            conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
        results = []
        for sql, params in statements:
            query = text(sql.replace("__RATING__", RATING[conn.dialect.name]))
            if params:
                query = query.bindparams(*(bindparam(k, type_=UtcDateTime()) for k in params))
            results.append(conn.execute(query, params).all())
        return results


def same_figures(body: dict[str, Any], rows: list[Any], key: str) -> bool:
    """Keys in order and their visit counts agree between the endpoint and the bare SQL."""
    ours = [(str(r[key]), r["visits"]) for r in body["items"]]
    if key == "criterion":
        return sorted(ours) == sorted((str(r[0]), r[1]) for r in rows[0])
    if key == "code":
        return [(c, n) for c, n in ours] == [(str(r[0]), r[4]) for r in rows[0]]
    return ours == [(str(r[0]), r[1]) for r in rows[0]]


COUNT_ROWS = {
    "visits": "SELECT COUNT(*) FROM visits v WHERE v.status = 'approved'",
    "answers": "SELECT COUNT(*) FROM answers a JOIN visits v ON v.id = a.visit_id "
    "WHERE a.is_current AND v.status = 'approved'",
}


def line(*cells: object, widths: tuple[int, ...] = (18, 12, 12, 7, 7, 10, 8)) -> str:
    first, *rest = cells
    return f"{first!s:{widths[0]}}" + "".join(
        f" {c!s:>{w}}" for c, w in zip(rest, widths[1:], strict=False)
    )


def bench_reports(client: TestClient, engine: Engine, headers: dict[str, str], repeat: int) -> None:
    print(line("report", "endpoint ms", "bare SQL ms", "ratio", "best", "figures", "304 ms"))
    for name, path, statements, key in CASES:

        def call(path: str = path, tag: str | None = None) -> Any:
            sent = headers if tag is None else {**headers, "If-None-Match": tag}
            response = client.get(f"/api/v1/reports/{path}", headers=sent)
            assert response.status_code == (200 if tag is None else 304), response.text
            return response

        def query(s: list[tuple[str, Params]] = statements) -> list[Any]:
            return bare(engine, s)

        # A client holding the current copy: answered from the data version alone.
        current = partial(call, tag=call().headers["etag"])
        sides: dict[str, Side] = {"endpoint": call, "sql": query, "304": current}
        timings, results = interleaved(sides, repeat)
        same = same_figures(results["endpoint"].json(), results["sql"], key)
        ratio = f"{timings.ratio('endpoint', 'sql'):.2f}"
        best = f"{timings.best_ratio('endpoint', 'sql'):.2f}"
        figures = "same" if same else "DIFFERENT"
        cells = (timings.ms("endpoint"), timings.ms("sql"), ratio, best, figures)
        print(line(name, *cells, timings.ms("304")))


def bench_charts(client: TestClient, app: FastAPI, headers: dict[str, str], repeat: int) -> None:
    """Each chart served from the cache, as a 304, and drawn afresh, against its JSON report."""
    widths = (18, 10, 8, 7, 8, 7, 9, 7)
    print(
        "\n"
        + line(
            "chart", "cached ms", "JSON ms", "ratio", "304 ms", "ratio", "drawn ms", "ratio",
            widths=widths,
        )
    )  # fmt: skip
    for chart, report in CHARTS:
        url, json_url = f"/api/v1/reports/{chart}", f"/api/v1/reports/{report}"

        def get(path: str, extra: dict[str, str] | None = None, want: int = 200) -> Any:
            response = client.get(path, headers={**headers, **(extra or {})})
            assert response.status_code == want, response.text
            return response

        etag = get(url).headers["etag"]

        def drawn(url: str = url) -> Any:
            app.state.chart_cache = ChartCache(app.state.settings.reports.chart_cache_entries)
            return get(url)

        sides: dict[str, Side] = {
            "cached": partial(get, url),
            "json": partial(get, json_url),
            "304": partial(get, url, {"If-None-Match": etag}, 304),
            "drawn": drawn,
        }
        timings, results = interleaved(sides, repeat)
        assert results["cached"].content == results["drawn"].content
        cells = [timings.ms("cached"), timings.ms("json")]
        for side in ("cached", "304", "drawn"):
            if side != "cached":
                cells.append(timings.ms(side))
            cells.append(f"{timings.ratio(side, 'json'):.2f}")
        print(line(chart, *cells, widths=widths))


def bench_exports(client: TestClient, engine: Engine, headers: dict[str, str]) -> None:
    widths = (18, 9, 8, 9, 7, 12)
    print("\n" + line("export", "rows", "seconds", "rows/s", "MB", "first byte s", widths=widths))
    with engine.connect() as conn:
        totals = {what: conn.execute(text(sql)).scalar_one() for what, sql in COUNT_ROWS.items()}
    for what in ("visits", "answers"):
        for fmt in ("csv", "xlsx", "parquet"):
            size, first = 0, 0.0
            started = time.perf_counter()
            path = f"/api/v1/exports/{what}?format={fmt}"
            with client.stream("GET", path, headers=headers) as response:
                assert response.status_code == 200
                for chunk in response.iter_bytes():
                    first = first or time.perf_counter() - started
                    size += len(chunk)
            seconds = time.perf_counter() - started
            rows = totals[what]
            cells = (f"{rows / seconds:.0f}", f"{size / 1e6:.1f}", f"{first:.2f}")
            print(line(f"{what}.{fmt}", rows, f"{seconds:.2f}", *cells, widths=widths))


def bench_database(url: str, label: str, args: argparse.Namespace) -> None:
    engine = create_db_engine(DatabaseSettings(url=url))
    migrate.upgrade(engine)
    settings = Settings(
        database=DatabaseSettings(url=url, migrate_on_start=False),
        storage=StorageSettings(local_dir=Path(tempfile.mkdtemp()) / "blobs"),
        auth=AuthSettings(secret_key=SecretStr(secrets.token_urlsafe(48))),
    )
    with engine.connect() as conn:
        existing = conn.execute(text("SELECT COUNT(*) FROM visits")).scalar_one()
    if existing:
        print(f"\n== {label}: {existing} visits already there, none generated")
    else:
        started = time.perf_counter()
        counts = generate(engine, settings, visits=args.visits, seed=args.seed)
        took = time.perf_counter() - started
        print(
            f"\n== {label}: {args.visits} visits, {counts['answers']} answers generated in "
            f"{took:.1f} s ({args.visits / took:.0f} visits/s)"
        )
    with Session(engine) as session:
        analyst_id = make_user(session, Role.analyst).id
        session.commit()
    secret = settings.auth.secret_key.get_secret_value()
    ttl = dt.timedelta(days=3650)
    token = encode_token(subject=analyst_id, token_type="access", secret=secret, now=NOW, ttl=ttl)
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {token}"}
    print(f"-- before: {load()}")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        bench_reports(client, engine, headers, args.repeat)
        bench_charts(client, app, headers, args.repeat)
        print(f"-- after: {load()}")
        if not args.no_exports:
            bench_exports(client, engine, headers)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=15, help="timed rounds per ratio")
    parser.add_argument("--postgres", help="PostgreSQL server URL (a fresh database is made)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--sqlite-file",
        type=Path,
        help="SQLite file to use and keep: generated into when it has no visits, else reused",
    )
    parser.add_argument(
        "--postgres-database",
        help="existing PostgreSQL database URL to use and keep (generated into when empty)",
    )
    parser.add_argument("--no-exports", action="store_true", help="reports and charts only")
    args = parser.parse_args()
    if args.sqlite_file is not None:
        bench_database(f"sqlite:///{args.sqlite_file.resolve()}", "SQLite", args)
    elif not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            bench_database(f"sqlite:///{tmp}/bench.db", "SQLite", args)
    if args.postgres_database:
        bench_database(args.postgres_database, "PostgreSQL", args)
    elif args.postgres:
        with scratch_postgres_database(args.postgres, "reports") as url:
            bench_database(url, "PostgreSQL", args)


if __name__ == "__main__":
    main()
