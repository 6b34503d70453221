"""Locks of service/db/ on a real database file: readers never wait, a writer holds the lock
from its first write to its commit, and a wait past the limits is a 503, never a 500.

These tests use an engine and an app of their own (a file each), not the suite's shared
connection, so sessions really are concurrent.
"""

import asyncio
import datetime as dt
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from service import db, migrate
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
from service.errors import DatabaseBusy
from service.main import create_app
from service.standards import service as standards_service
from service.visits.transitions import VisitStatus
from tests.fixtures.db import postgres_url_or_skip
from tests.fixtures.factories import make_visit
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user

SECRET = "a-test-secret-of-at-least-thirty-two-characters"
LOCK_TIMEOUT = 0.3
OFFICE = {"name": "ЦОН", "kind": "con", "region": "astana", "city": "Астана"}


def _settings(url: str, tmp_path: Path, **database: Any) -> Settings:
    return Settings(
        database=DatabaseSettings(url=url, lock_timeout_seconds=LOCK_TIMEOUT, **database),
        storage=StorageSettings(local_dir=tmp_path / "blobs"),
        auth=AuthSettings(secret_key=SecretStr(SECRET)),
        # No photo-job runner: its own commits would blur what these tests count.
        jobs=JobSettings(in_process=False),
    )


@pytest.fixture
def file_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'locks.db'}"


@pytest.fixture
def engine(file_url: str, tmp_path: Path) -> Iterator[Engine]:
    engine = db.create_db_engine(_settings(file_url, tmp_path).database)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _user_count(session: Session) -> int:
    count: int = session.execute(select(func.count()).select_from(User)).scalar_one()
    return count


def _headers(user: User) -> dict[str, str]:
    token = encode_token(
        subject=user.id,
        token_type="access",
        secret=SECRET,
        now=dt.datetime.now(dt.UTC),
        ttl=dt.timedelta(minutes=5),
    )
    return {"Authorization": f"Bearer {token}"}


class TestSqlite:
    def test_a_reader_neither_blocks_a_writer_nor_waits_for_one(self, engine: Engine) -> None:
        with Session(engine) as reader, Session(engine) as writer:
            before = _user_count(reader)  # the reader's snapshot is open from here
            make_user(writer, Role.shopper)
            writer.commit()  # not blocked by the open read
            assert _user_count(reader) == before  # one snapshot for the whole read
            make_user(writer, Role.analyst)  # the writer holds the lock: the reader still reads
            assert _user_count(reader) == before
            writer.commit()
            reader.rollback()
            assert _user_count(reader) == before + 2

    def test_the_first_write_takes_the_lock_and_the_commit_gives_it_back(
        self, engine: Engine
    ) -> None:
        with Session(engine) as first, Session(engine) as second:
            _user_count(first)
            make_user(first, Role.shopper)  # the flush takes the lock
            with pytest.raises(DatabaseBusy):
                make_user(second, Role.shopper)
            second.rollback()
            first.commit()
            make_user(second, Role.analyst)  # free at once
            second.commit()
            assert _user_count(second) == 2

    def test_write_lock_on_purpose_then_rows_read_are_current(self, engine: Engine) -> None:
        with Session(engine) as holder, Session(engine) as other:
            _user_count(holder)  # an old snapshot
            make_user(other, Role.shopper)
            other.commit()
            db.write_lock(holder)
            assert _user_count(holder) == 1  # read under the lock: current
            with pytest.raises(DatabaseBusy):
                db.write_lock(other)
            holder.rollback()

    def test_a_savepoint_opens_under_the_write_lock(self, engine: Engine) -> None:
        with Session(engine) as first, Session(engine) as second:
            _user_count(first)
            with db.savepoint(first):
                make_user(first, Role.shopper)
            with pytest.raises(DatabaseBusy):
                make_user(second, Role.shopper)
            second.rollback()
            first.commit()
            assert _user_count(second) == 1

    @pytest.mark.parametrize("end", ["rollback", "close"])
    def test_rollback_or_return_to_the_pool_gives_the_lock_back(
        self, engine: Engine, end: str
    ) -> None:
        first = Session(engine)
        make_user(first, Role.shopper)
        getattr(first, end)()
        with Session(engine) as second:
            make_user(second, Role.analyst)
            second.commit()
            assert _user_count(second) == 1

    def test_a_writer_in_another_process_is_waited_for_then_busy(
        self, engine: Engine, file_url: str
    ) -> None:
        outside = sqlite3.connect(file_url.removeprefix("sqlite:///"), isolation_level=None)
        outside.execute("BEGIN IMMEDIATE")
        try:
            with Session(engine) as session:
                with pytest.raises(DatabaseBusy):
                    make_user(session, Role.shopper)
                session.rollback()
        finally:
            outside.execute("ROLLBACK")
            outside.close()
        with Session(engine) as session:  # the process's own lock was given back
            make_user(session, Role.shopper)
            session.commit()

    def test_a_writer_queue_serves_every_thread(self, engine: Engine) -> None:
        """Twenty threads write at once: each waits its turn, none is refused."""
        errors: list[BaseException] = []

        def write() -> None:
            try:
                with Session(engine) as session:
                    _user_count(session)
                    make_user(session, Role.shopper)
                    session.commit()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=write) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with Session(engine) as session:
            assert _user_count(session) == 20


class TestRequests:
    @pytest.fixture
    def app_client(self, file_url: str, tmp_path: Path) -> Iterator[TestClient]:
        app = create_app(_settings(file_url, tmp_path, pool_size=2, max_overflow=0))
        with TestClient(app, base_url="http://127.0.0.1") as client:
            yield client

    @pytest.fixture
    def app_engine(self, app_client: TestClient) -> Engine:
        engine: Engine = app_client.app.state.engine  # type: ignore[attr-defined]
        return engine

    @pytest.fixture
    def coordinator(self, app_engine: Engine) -> User:
        with Session(app_engine, expire_on_commit=False) as session:
            user = make_user(session, Role.coordinator)
            session.commit()
        return user

    def test_reads_go_on_and_a_write_past_the_lock_timeout_is_503(
        self, app_client: TestClient, app_engine: Engine, coordinator: User
    ) -> None:
        headers = _headers(coordinator)
        with Session(app_engine) as holder:
            make_user(holder, Role.shopper)  # holds the write lock
            me = app_client.get(api_path("read_me"), headers=headers)
            assert me.json()["email"] == coordinator.email  # a read does not wait
            busy = app_client.post(api_path("create_office"), json=OFFICE, headers=headers)
            assert_problem(busy, 503, "database-busy")
            assert busy.headers["Retry-After"] == "2"
            holder.rollback()
        created = app_client.post(api_path("create_office"), json=OFFICE, headers=headers)
        assert created.json()["name"] == "ЦОН"  # the failed request gave nothing back held

    def test_a_submit_refused_as_incomplete_takes_no_write_lock(
        self, app_client: TestClient, app_engine: Engine
    ) -> None:
        """Phones poll submit while their photos are processed: a refusal is read without the
        write lock, so it answers at once while another request holds the lock."""
        now = dt.datetime.now(dt.UTC)
        settings: Settings = app_client.app.state.settings  # type: ignore[attr-defined]
        with Session(app_engine, expire_on_commit=False) as session:
            standards_service.load_standards(session, settings.catalogue_dir, now=now)
            checklists_service.load_template_files(session, settings.templates_dir, now=now)
            shopper = make_user(session, Role.shopper)
            visit = make_visit(session, shopper=shopper)
            visit.status = VisitStatus.in_progress  # started: a sync was stored
            session.add(visit)
            session.commit()
        body = {"client_id": str(uuid.uuid4()), "submitted_at": now.isoformat()}
        path = api_path("submit_visit", visit_id=visit.id)
        with Session(app_engine) as holder:
            make_user(holder, Role.coordinator)  # holds the write lock
            refused = app_client.post(path, json=body, headers=_headers(shopper))
            holder.rollback()
        assert_problem(refused, 422, "submission-incomplete")  # not 503 database-busy
        assert refused.json()["errors"]  # every unanswered item listed

    def test_no_free_connection_within_the_pool_timeout_is_503(
        self, file_url: str, tmp_path: Path, coordinator: User, app_engine: Engine
    ) -> None:
        settings = _settings(file_url, tmp_path, pool_size=1, max_overflow=0)
        settings.database.pool_timeout_seconds = LOCK_TIMEOUT
        app = create_app(settings)
        with TestClient(app, base_url="http://127.0.0.1") as client:
            engine: Engine = app.state.engine
            held = engine.connect()
            try:
                response = client.get(api_path("read_me"), headers=_headers(coordinator))
                assert_problem(response, 503, "service-unavailable")
                assert response.headers["Retry-After"] == "5"
            finally:
                held.close()
            me = client.get(api_path("read_me"), headers=_headers(coordinator))
            assert me.json()["id"] == str(coordinator.id)

    def test_commits_run_on_threads_of_their_own(
        self, app_client: TestClient, app_engine: Engine, coordinator: User
    ) -> None:
        """A request holding the write lock never queues for the routes' worker threads to
        give it back (what made "database is locked" 500s under load)."""
        threads: list[str] = []

        @event.listens_for(app_engine, "commit")
        def _record(_conn: Any) -> None:
            threads.append(threading.current_thread().name)

        response = app_client.post(
            api_path("create_office"), json=OFFICE, headers=_headers(coordinator)
        )
        assert response.json()["city"] == "Астана"
        assert threads
        assert all(name.startswith("mshop-commit") for name in threads)

    def test_an_answer_sync_commits_on_its_own_thread(
        self, app_client: TestClient, app_engine: Engine
    ) -> None:
        """The sync commits as soon as its write is done (``db.commit_now``), on the route's
        thread: every other writer waits for the lock it holds."""
        now = dt.datetime.now(dt.UTC)
        settings: Settings = app_client.app.state.settings  # type: ignore[attr-defined]
        with Session(app_engine, expire_on_commit=False) as session:
            standards_service.load_standards(session, settings.catalogue_dir, now=now)
            checklists_service.load_template_files(session, settings.templates_dir, now=now)
            shopper = make_user(session, Role.shopper)
            visit = make_visit(session, shopper=shopper)
            session.commit()
        threads: list[str] = []

        @event.listens_for(app_engine, "commit")
        def _record(_conn: Any) -> None:
            threads.append(threading.current_thread().name)

        answer = {
            "client_id": str(uuid.uuid4()),
            "item_code": "overall_rating",
            "value": 4,
            "answered_at": now.isoformat(),
        }
        response = app_client.put(
            api_path("sync_answers", visit_id=visit.id),
            json={"answers": [answer]},
            headers=_headers(shopper),
        )
        assert response.json()["created"] == 1, response.text
        assert len(threads) == 1  # get_session found nothing left to commit
        assert not threads[0].startswith("mshop-commit")
        with Session(app_engine) as session:
            assert session.execute(text("SELECT count(*) FROM answers")).scalar_one() == 1


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from postgres_url_or_skip("row_lock")


def test_a_row_lock_past_the_lock_timeout_is_503_on_postgresql(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = _settings(postgres_url, tmp_path)
    engine = db.create_db_engine(settings.database)
    migrate.upgrade(engine)
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    with Session(engine, expire_on_commit=False) as session:
        standards_service.load_standards(session, settings.catalogue_dir, now=now)
        checklists_service.load_template_files(session, settings.templates_dir, now=now)
        shopper = make_user(session, Role.shopper)
        visit = make_visit(session, shopper=shopper)
        session.commit()
    start = api_path("start_visit", visit_id=str(visit.id))
    try:
        with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
            with engine.connect() as holder:
                holder.execute(
                    text("SELECT id FROM visits WHERE id = :id FOR UPDATE"), {"id": visit.id}
                )
                response = client.post(start, headers=_headers(shopper))
                assert_problem(response, 503, "database-busy")
                assert response.headers["Retry-After"] == "2"
            started = client.post(start, headers=_headers(shopper))
            assert started.json()["status"] == "in_progress"
    finally:
        engine.dispose()


def test_lock_timeouts_are_told_from_other_database_errors() -> None:
    locked = OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    missing = OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))
    assert db.is_lock_timeout(locked)
    assert not db.is_lock_timeout(missing)


class TestSlots:
    def test_more_requests_than_connections_and_threads_all_answer(
        self, engine: Engine, file_url: str, tmp_path: Path
    ) -> None:
        """Thirty requests at once through two connections and two worker threads: each waits
        for a slot on the event loop, none for a connection while holding a thread (that
        deadlocked until the pool timeout made everything a 503)."""
        settings = _settings(file_url, tmp_path, pool_size=2, max_overflow=0)
        settings.database.pool_timeout_seconds = 3
        app = create_app(settings)
        with Session(engine, expire_on_commit=False) as session:
            user = make_user(session, Role.coordinator)
            session.commit()
        headers = _headers(user)

        async def wave() -> list[httpx.Response]:
            anyio.to_thread.current_default_thread_limiter().total_tokens = 2
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                calls = [
                    c.post(api_path("create_office"), json=OFFICE, headers=headers)
                    if i % 3 == 0
                    else c.get(api_path("read_me"), headers=headers)
                    for i in range(30)
                ]
                return list(await asyncio.gather(*calls))

        responses = anyio.run(wave)
        assert [r.status_code for r in responses].count(201) == 10
        assert [r.json().get("email") for r in responses].count(user.email) == 20
