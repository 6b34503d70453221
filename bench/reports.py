"""Reports benchmark: each report endpoint against the bare SQL that computes its figures.

Generates N demo visits (~40 answers each, scored by the real rules) into a fresh SQLite file
and, with --postgres, a fresh PostgreSQL database; then times every report endpoint through the
ASGI app (TestClient: routing, auth, validation, the read-only session, JSON or PNG) against
the minimal hand-written SQL for the same figures on the same database, and prints the ratio
(endpoint / bare SQL). It checks that both give the same figures, and measures the exports'
throughput (rows/s, time to first byte). Asserts nothing about time.

    python bench/reports.py [--visits 50000] [--seed 1] [--repeat 5] [--postgres URL]
"""

import argparse
import datetime as dt
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
from service.demo.generate import NOW, generate  # noqa: E402
from service.main import create_app  # noqa: E402
from tests.fixtures.db import scratch_postgres_database  # noqa: E402
from tests.fixtures.users import make_user  # noqa: E402

SCORED = "visits v LEFT JOIN visit_scores s ON s.visit_id = v.id"
STANDARD = "JOIN service_standards st ON st.id = v.standard_id"
OFFICE = "JOIN offices o ON o.id = v.office_id"
PERIOD = "AND v.window_start_at >= :a AND v.window_start_at < :b"


def grouped(key: str, joins: str = "", where: str = "") -> str:
    """The bare SQL of a ranking: grade figures per ``key``, best first."""
    return f"""
        SELECT {key} AS k, COUNT(v.id) AS visits, AVG(CAST(s.grade AS FLOAT)) AS mean_grade,
          AVG(CAST(s.score AS FLOAT)), COUNT(s.grade), SUM(CASE WHEN s.grade = 5 THEN 1 ELSE 0 END),
          SUM(COALESCE(s.findings_critical, 0)), SUM(COALESCE(s.findings_major, 0)),
          SUM(COALESCE(s.findings_minor, 0)),
          SUM(CASE WHEN s.deadline_status IN ('on_time', 'late', 'overdue') THEN 1 ELSE 0 END),
          SUM(CASE WHEN s.deadline_status = 'on_time' THEN 1 ELSE 0 END)
        FROM {SCORED} {joins}
        WHERE v.status = 'approved' {where}
        GROUP BY {key}
        ORDER BY ROUND(CAST(AVG(CAST(s.grade AS FLOAT)) AS NUMERIC), 2) DESC NULLS LAST,
          ROUND(CAST(SUM(CASE WHEN s.grade = 5 THEN 100.0 ELSE 0 END) / NULLIF(COUNT(s.grade), 0)
            AS NUMERIC), 2) DESC NULLS LAST,
          {key}"""


CRITERIA = """
    SELECT c.criterion AS k, COUNT(*) AS visits, AVG(CAST(c.earned AS FLOAT) / c.applicable),
      SUM(CASE WHEN c.earned >= c.applicable - 1e-6 THEN 1 ELSE 0 END)
    FROM visit_criteria c JOIN visits v ON v.id = c.visit_id
    WHERE v.status = 'approved' AND c.applicable > 0
    GROUP BY c.criterion"""
FINDINGS = """
    SELECT f.code AS k, f.severity, COUNT(*) AS n, COUNT(DISTINCT f.visit_id)
    FROM visit_findings f JOIN visits v ON v.id = f.visit_id
    WHERE v.status = 'approved'
    GROUP BY f.code, f.severity ORDER BY n DESC, f.code, f.severity LIMIT 20"""
EXAMPLES = """
    SELECT code, severity, visit_id FROM (
      SELECT code, severity, visit_id,
        ROW_NUMBER() OVER (PARTITION BY code, severity ORDER BY start DESC, visit_id) AS n
      FROM (SELECT DISTINCT f.code, f.severity, v.id AS visit_id, v.window_start_at AS start
            FROM visit_findings f JOIN visits v ON v.id = f.visit_id
            WHERE v.status = 'approved') AS p
    ) AS r WHERE n <= 3"""
UTC = dt.UTC
Q2 = {"a": dt.datetime(2026, 3, 31, 19, tzinfo=UTC), "b": dt.datetime(2026, 6, 30, 19, tzinfo=UTC)}
Q1 = {"a": dt.datetime(2025, 12, 31, 19, tzinfo=UTC), "b": dt.datetime(2026, 3, 31, 19, tzinfo=UTC)}
SERVICES = grouped("v.service_code")
AGENCIES = grouped("st.agency_abbr", STANDARD, PERIOD)
AGENCY_PATH = "agencies?from=2026-04-01&to=2026-06-30&compare_from=2026-01-01&compare_to=2026-03-31"

# (name, endpoint path and query, bare SQL statements with parameters, key of the JSON rows)
Params = dict[str, dt.datetime]
CASES: list[tuple[str, str, list[tuple[str, Params]], str | None]] = [
    ("services", "services", [(SERVICES, {})], "service_code"),
    ("agencies+compare", AGENCY_PATH, [(AGENCIES, Q2), (AGENCIES, Q1)], "agency"),
    ("regions", "regions", [(grouped("o.region", OFFICE), {})], "region"),
    ("offices", "offices", [(grouped("o.id", OFFICE), {})], "office_id"),
    ("criteria", "criteria", [(CRITERIA, {})], "criterion"),
    ("findings", "findings", [(FINDINGS, {}), (EXAMPLES, {})], "code"),
    ("services.png", "services.png", [(SERVICES, {})], None),
    ("criteria.png", "criteria.png", [(CRITERIA, {})], None),
]  # fmt: skip


def median_time(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    result = run()  # warm caches and the pool first
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def bare(engine: Engine, statements: list[tuple[str, Params]]) -> list[Any]:
    with engine.connect() as conn:
        results = []
        for sql, params in statements:
            query = text(sql)
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
        return [(c, n) for c, n in ours] == [(str(r[0]), r[3]) for r in rows[0]]
    return ours == [(str(r[0]), r[1]) for r in rows[0]]


COUNT_ROWS = {
    "visits": "SELECT COUNT(*) FROM visits v WHERE v.status = 'approved'",
    "answers": "SELECT COUNT(*) FROM answers a JOIN visits v ON v.id = a.visit_id "
    "WHERE a.is_current AND v.status = 'approved'",
}


def line(*cells: object, widths: tuple[int, ...] = (18, 12, 12, 7, 10)) -> str:
    first, *rest = cells
    return f"{first!s:{widths[0]}}" + "".join(
        f" {c!s:>{w}}" for c, w in zip(rest, widths[1:], strict=False)
    )


def bench_reports(client: TestClient, engine: Engine, headers: dict[str, str], repeat: int) -> None:
    print(line("report", "endpoint ms", "bare SQL ms", "ratio", "figures"))
    for name, path, statements, key in CASES:

        def call(path: str = path) -> Any:
            response = client.get(f"/api/v1/reports/{path}", headers=headers)
            assert response.status_code == 200, response.text
            return response

        endpoint, response = median_time(call, repeat)

        def query(s: list[tuple[str, Params]] = statements) -> list[Any]:
            return bare(engine, s)

        sql, rows = median_time(query, repeat)
        check = "-"
        if key is not None:
            check = "same" if same_figures(response.json(), rows, key) else "DIFFERENT"
        ratio = f"{endpoint / sql:.2f}"
        print(line(name, f"{endpoint * 1000:.1f}", f"{sql * 1000:.1f}", ratio, check))


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
    with TestClient(app, base_url="http://127.0.0.1") as client:
        bench_reports(client, engine, headers, args.repeat)
        bench_exports(client, engine, headers)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query (median)")
    parser.add_argument("--postgres", help="PostgreSQL server URL (a fresh database is made)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            bench_database(f"sqlite:///{tmp}/bench.db", "SQLite", args)
    if args.postgres:
        with scratch_postgres_database(args.postgres, "reports") as url:
            bench_database(url, "PostgreSQL", args)


if __name__ == "__main__":
    main()
