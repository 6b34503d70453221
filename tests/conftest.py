"""Test app on a real migrated database, per-test rollback, a pinned clock and real HTTP."""

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from service.auth.models import User
from service.auth.roles import Role
from service.auth.security import encode_token
from service.checklists import service as checklists_service
from service.config import (
    AuthSettings,
    DatabaseSettings,
    JobSettings,
    Settings,
    StorageSettings,
)
from service.db import new_session
from service.main import create_app
from service.standards import service as standards_service
from tests.fixtures import photo_jobs
from tests.fixtures.db import (
    drop_created_databases,
    migrated_engine,
    run_id,
    sweep_run_databases,
    worker_database_url,
)
from tests.fixtures.s3 import s3_bucket, seaweed  # noqa: F401  (shared S3 fixtures)
from tests.fixtures.statements import statements  # noqa: F401  (shared fixture)
from tests.fixtures.users import make_user
from tests.reports.data import Dataset
from tests.reports.data import build as build_report_data

SECRET = "test-secret-" + "x" * 40
NOW = dt.datetime(2026, 3, 18, 9, 30, tzinfo=dt.UTC)


def pytest_configure(config: pytest.Config) -> None:
    # Fix the run id before xdist starts its workers: they inherit it through the environment,
    # so all of a run's PostgreSQL databases share one suffix the controller can sweep.
    run_id()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Runs after a failure too. Each process drops what it made; the controller (or a run
    # without xdist) then drops anything of this run still left, e.g. by a crashed worker.
    drop_created_databases()
    if not hasattr(session.config, "workerinput"):
        sweep_run_databases()


class FrozenClock:
    """A clock tests can move."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return worker_database_url(tmp_path_factory.mktemp("db"), worker)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = migrated_engine(database_url)
    # The catalogue is reference data every test may read; load it once, outside rollbacks.
    with Session(engine) as session:
        standards_service.load_standards(session, Settings().catalogue_dir, now=NOW)
        checklists_service.load_template_files(session, Settings().templates_dir, now=NOW)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """The test's connection: its outer transaction is rolled back at the end."""
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """The test's own session (arranging rows, reading them after requests): its every commit
    is a savepoint inside the connection's outer transaction.

    Requests do not share it (see ``app``): what a request wrote is seen here after
    ``session.expire_all()`` or ``session.refresh(obj)``, as another session would see it.
    """
    with Session(bind=connection, join_transaction_mode="create_savepoint") as s:
        yield s


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database=DatabaseSettings(url=database_url, migrate_on_start=False),
        storage=StorageSettings(local_dir=tmp_path / "blobs"),
        auth=AuthSettings(secret_key=SecretStr(SECRET)),
        # Photo jobs run when a test drains the queue (tests/fixtures/photo_jobs.py): a
        # runner thread on the engine would not see the test's uncommitted rows.
        jobs=JobSettings(in_process=False),
    )


@pytest.fixture
def app(
    settings: Settings, connection: Connection, session: Session, clock: FrozenClock
) -> Iterator[FastAPI]:
    app = create_app(settings, clock=clock)

    async def request_session() -> Session:
        # A session of its own per request, as in production (a shared one would hide stale
        # reads behind one identity map), through production's own commit/rollback/finish
        # code; only the bind differs: the test's connection, where a commit is a savepoint.
        return Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    app.dependency_overrides[new_session] = request_session
    photo_jobs.install(app, connection, clock)
    yield app
    app.dependency_overrides.clear()


@pytest.fixture
def drain_photo_jobs(app: FastAPI) -> Callable[[], int]:
    """Run every due photo job now, as the app's runner would; how many ran."""
    drain: Callable[[], int] = app.state.drain_photo_jobs
    return drain


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


AuthHeaders = Callable[[Role], dict[str, str]]


@pytest.fixture
def auth_headers(session: Session, clock: FrozenClock) -> AuthHeaders:
    """Make a user of a role and return the Authorization header of its access token."""

    def make(role: Role) -> dict[str, str]:
        user = make_user(session, role)
        token = encode_token(
            subject=user.id,
            token_type="access",
            secret=SECRET,
            now=clock(),
            ttl=dt.timedelta(minutes=30),
        )
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def report_data(session: Session) -> Dataset:
    """The hand-checked data set of tests/reports/data.py, for reports and exports."""
    return build_report_data(session)


# Tests that start another process (SeaweedFS, a uvicorn server, the mshop CLI, a killed and
# restarted API) take seconds each; they are marked ``slow`` so the inner loop can leave them
# out (`pytest -m "not slow"`, see CONTRIBUTING.md). A test is slow when it uses one of these
# fixtures or markers, lives in one of these folders, or is marked by hand because it starts
# a process in its own body.
SLOW_FIXTURES = frozenset({"seaweed", "s3_bucket", "s3_store", "demo_server"})
SLOW_MARKERS = ("s3", "fuzz")  # s3 parameters reach SeaweedFS through getfixturevalue
SLOW_FOLDERS = ("faults", "fuzz")
TESTS_ROOT = Path(__file__).resolve().parent


def is_slow(item: pytest.Item) -> bool:
    if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    if any(item.get_closest_marker(name) for name in SLOW_MARKERS):
        return True
    try:
        folder = item.path.resolve().relative_to(TESTS_ROOT).parts[0]
    except ValueError:  # collected from outside tests/
        return False
    return folder in SLOW_FOLDERS


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects, so the added marks count
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if is_slow(item):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def coordinator(session: Session) -> User:
    """A coordinator account, for tests that act as staff."""
    return make_user(session, Role.coordinator)


@pytest.fixture
def shopper(session: Session) -> User:
    """A shopper account, for tests that act as a phone."""
    return make_user(session, Role.shopper)
