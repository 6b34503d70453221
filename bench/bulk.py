"""Bulk assignment benchmark: rows/s of ``POST /visits/bulk`` and how long a login waits.

Makes a fresh SQLite file (and, with --postgres, a fresh PostgreSQL database), an office and
50 shoppers, then for each row count uploads a CSV of that many valid rows (three services over
four weeks) through the real app (TestClient, real per-request transactions) and prints the
best time of ``--rounds`` and rows/s; then uploads once more while a second thread logs in
(``POST /auth/token``, a write) over and over, and prints the longest a login took against
a login alone: how long the bulk kept others out of the database. Asserts nothing about
time.

    python bench/bulk.py [--rows 1000 5000] [--rounds 2] [--postgres URL]
"""

import argparse
import datetime as dt
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service import migrate  # noqa: E402
from service.auth.roles import Role  # noqa: E402
from service.auth.security import encode_token, hash_password  # noqa: E402
from service.checklists import service as checklists_service  # noqa: E402
from service.config import AuthSettings, DatabaseSettings, Settings, StorageSettings  # noqa: E402
from service.db import create_db_engine  # noqa: E402
from service.main import create_app  # noqa: E402
from service.standards import service as standards_service  # noqa: E402
from tests.fixtures.db import scratch_postgres_database  # noqa: E402
from tests.fixtures.factories import make_office  # noqa: E402
from tests.fixtures.routes import api_path  # noqa: E402
from tests.fixtures.users import make_user  # noqa: E402

NOW = dt.datetime(2026, 3, 18, 9, 30, tzinfo=dt.UTC)
SECRET = "bench-secret-" + "x" * 40
PASSWORD = "bench-password"
SERVICES = ("S17", "S26", "S33")
HEADER = "service_code,office_id,shopper_email,channel,window_start_at,window_end_at,wave"


def run(url: str, counts: list[int], rounds: int, blobs: Path) -> None:
    engine = create_db_engine(DatabaseSettings(url=url))
    migrate.upgrade(engine)
    with Session(engine) as session:
        standards_service.load_standards(session, Settings().catalogue_dir, now=NOW)
        checklists_service.load_template_files(session, Settings().templates_dir, now=NOW)
        office = make_office(session)
        shoppers = [make_user(session, Role.shopper).email for _ in range(50)]
        coordinator = make_user(session, Role.coordinator)
        login = make_user(session, Role.shopper)
        login.hashed_password = hash_password(PASSWORD)
        session.commit()
        office_id, coordinator_id, login_email = office.id, coordinator.id, login.email
    engine.dispose()
    settings = Settings(
        database=DatabaseSettings(url=url, migrate_on_start=False),
        storage=StorageSettings(local_dir=blobs),
        auth=AuthSettings(secret_key=SecretStr(SECRET)),
    )
    token = encode_token(
        subject=coordinator_id,
        token_type="access",
        secret=SECRET,
        now=NOW,
        ttl=dt.timedelta(hours=1),
    )
    headers = {"Authorization": f"Bearer {token}"}
    login_form = {"username": login_email, "password": PASSWORD}
    with TestClient(create_app(settings, clock=lambda: NOW), base_url="http://127.0.0.1") as c:

        def bulk(count: int, wave: str) -> float:
            # Three services over four weeks, as a month's wave: 84 (service, day) pairs.
            lines = [
                f"{SERVICES[n % 3]},{office_id},{shoppers[n % 50]},in_person,"
                f"2026-04-{1 + n % 28:02d}T09:00:00+05:00,2026-04-{1 + n % 28:02d}T18:00:00+05:00,"
                f"{wave}"
                for n in range(count)
            ]
            body = ("\n".join([HEADER, *lines]) + "\n").encode()
            started = time.perf_counter()
            response = c.post(
                api_path("bulk_create_visits"),
                files={"file": ("wave.csv", body, "text/csv")},
                headers=headers,
            )
            took = time.perf_counter() - started
            assert response.status_code == 201, response.text[:500]
            assert response.json()["created"] == count, response.text[:500]
            return took

        def log_in(done: threading.Event, waits: list[float]) -> None:
            while not done.is_set():
                started = time.perf_counter()
                answer = c.post(api_path("login"), data=login_form)
                waits.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text
                time.sleep(0.05)

        alone: list[float] = []
        for _ in range(3):
            started = time.perf_counter()
            assert c.post(api_path("login"), data=login_form).status_code == 200
            alone.append(time.perf_counter() - started)
        print(f"a login alone: {min(alone):.2f}-{max(alone):.2f} s")
        for count in counts:
            took = min(bulk(count, f"alone-{count}-{n}") for n in range(rounds))
            done = threading.Event()
            waits: list[float] = []
            other = threading.Thread(target=log_in, args=(done, waits))
            other.start()
            with_logins = bulk(count, f"logins-{count}")
            done.set()
            other.join()
            print(
                f"{count:>6} rows  {took:6.2f} s  {count / took:6.0f} rows/s alone; "
                f"{with_logins:6.2f} s with {len(waits):>3} logins meanwhile, "
                f"the longest {max(waits):5.2f} s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--rounds", type=int, default=2, help="bulks timed alone; the best")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a scratch database)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite")
        run(
            f"sqlite:///{tmp}/bulk-{secrets.token_hex(4)}.db",
            args.rows,
            args.rounds,
            Path(tmp) / "blobs",
        )
        if args.postgres:
            with scratch_postgres_database(args.postgres, "bench_bulk") as url:
                print("PostgreSQL")
                run(url, args.rows, args.rounds, Path(tmp) / "blobs-pg")


if __name__ == "__main__":
    main()
