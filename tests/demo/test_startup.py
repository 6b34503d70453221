"""``mshop serve --demo`` in two halves: the accounts before it listens, the data as a job after.

The job commits, so these tests use a fresh database each (SQLite, or PostgreSQL when the run
asks for it), as the generator's tests do.
"""

import datetime as dt
import itertools
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import ColumnElement, Engine, func
from sqlmodel import Session, col, select

from service.auth.models import User
from service.auth.security import needs_rehash, verify_password
from service.config import AuthSettings, DatabaseSettings, Settings, StorageSettings
from service.db import transaction
from service.demo import generate, plan
from service.demo.accounts import DEMO_ACCOUNTS, SHOPPER
from service.demo.startup import (
    DEMO_PASSWORD,
    DEMO_PASSWORD_HASH,
    JOB_NAME,
    create_accounts,
    demo_job,
)
from service.main import create_app
from service.standards.models import ServiceStandard
from service.startup import JobState
from service.visits.models import Visit
from tests.fixtures.db import database_url_for, migrated_engine
from tests.fixtures.factories import make_visit
from tests.fixtures.routes import api_path

NOW = dt.datetime(2026, 3, 18, 9, 30, tzinfo=dt.UTC)
_databases = itertools.count()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Settings, Engine]]:
    url = database_url_for(f"demo_start_{next(_databases)}", tmp_path / "demo.db")
    settings = Settings(
        demo=True,
        database=DatabaseSettings(url=url),
        storage=StorageSettings(local_dir=tmp_path / "blobs"),
        auth=AuthSettings(secret_key=SecretStr("demo-start-test-" + "k" * 40)),
    )
    engine = migrated_engine(url)
    yield settings, engine
    engine.dispose()


def load(settings: Settings, visits: int) -> str:
    """Run the demo job to its end; its last progress line."""
    job = demo_job(settings, visits=visits, seed=1, now=lambda: NOW)
    job.start()
    assert job.wait(timeout=600)
    assert job.state is JobState.done, job.progress
    return job.progress


def count(engine: Engine, *where: ColumnElement[bool]) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Visit).where(*where)).one()


class TestAccounts:
    def test_made_before_anything_else_and_sign_in_with_the_demo_password(
        self, demo: tuple[Settings, Engine]
    ) -> None:
        settings, engine = demo
        with transaction(engine) as session:
            made = create_accounts(session, now=NOW)
        assert made == [email for email, _, _ in DEMO_ACCOUNTS]
        with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
            login = client.post(
                api_path("login"), data={"username": SHOPPER, "password": DEMO_PASSWORD}
            )
            assert login.status_code == 200, login.text
            token = login.json()["access_token"]
            me = client.get(api_path("read_me"), headers={"Authorization": f"Bearer {token}"})
            assert (me.json()["email"], me.json()["role"]) == (SHOPPER, "shopper")

    def test_one_hash_serves_them_all_and_a_second_start_adds_none(
        self, demo: tuple[Settings, Engine]
    ) -> None:
        _, engine = demo
        with transaction(engine) as session:
            create_accounts(session, now=NOW)
        with transaction(engine) as session:
            assert create_accounts(session, now=NOW) == []
            hashes = {u.hashed_password for u in session.exec(select(User)).all()}
        assert len(hashes) == 1
        assert verify_password(DEMO_PASSWORD, hashes.pop())


class TestDataJob:
    def test_loads_the_catalogue_the_accounts_visits_then_generated_visits(
        self, demo: tuple[Settings, Engine], caplog: pytest.LogCaptureFixture
    ) -> None:
        settings, engine = demo
        with transaction(engine) as session:
            create_accounts(session, now=NOW)
        with caplog.at_level(logging.INFO, logger="mshop"):
            assert load(settings, visits=30) == "done"
        with Session(engine) as session:
            # 60 services, S02 in two versions (its November 2018 change, report line 874).
            assert session.exec(select(func.count()).select_from(ServiceStandard)).one() == 61
            shopper = session.exec(select(User).where(col(User.email) == SHOPPER)).one()
            assert plan.generated_visits(session) == 30
        assert count(engine, col(Visit.shopper_id) == shopper.id) == 4
        # The accounts' visits come first: shopper1 has something to do before the rest is in.
        steps = [m.removeprefix(f"{JOB_NAME}: ") for m in caplog.messages]
        assert steps.index("giving the demo accounts visits of their own") < steps.index(
            "generating visits: 0 of 30"
        )
        assert "generating visits: 30 of 30" in steps

    def test_a_restart_tops_up_an_interrupted_load_and_repeats_nothing(
        self, demo: tuple[Settings, Engine]
    ) -> None:
        settings, engine = demo
        with transaction(engine) as session:
            create_accounts(session, now=NOW)
        load(settings, visits=20)
        before = count(engine)
        load(settings, visits=50)
        with Session(engine) as session:
            assert plan.generated_visits(session) == 50
        assert count(engine) == before + 30
        load(settings, visits=50)
        assert count(engine) == before + 30

    def test_a_database_in_use_gets_no_generated_visits(
        self, demo: tuple[Settings, Engine]
    ) -> None:
        settings, engine = demo
        with transaction(engine) as session:
            create_accounts(session, now=NOW)
        plan.load_catalogue(engine, settings, now=NOW)
        with transaction(engine) as session:
            make_visit(session)
        load(settings, visits=30)
        with Session(engine) as session:
            assert plan.generated_visits(session) == 0
        # The accounts still get theirs: four for shopper1, one for shopper2.
        assert count(engine) == 1 + 5

    def test_stopping_leaves_whole_batches_and_the_job_stopped(
        self, demo: tuple[Settings, Engine]
    ) -> None:
        settings, engine = demo
        with transaction(engine) as session:
            create_accounts(session, now=NOW)
        planned = generate.BATCH * 5
        job = demo_job(settings, visits=planned, seed=1, now=lambda: NOW)
        job.start()
        while not (done := re.fullmatch(r"generating visits: (\d+) of \d+", job.progress)) or (
            int(done[1]) == 0
        ):
            assert job.state is JobState.running, job.progress
            job.wait(timeout=0.01)
        job.stop(timeout=600)
        assert job.state is JobState.stopped
        with Session(engine) as session:
            made = plan.generated_visits(session)
        assert made % generate.BATCH == 0
        assert 0 < made < planned


def test_the_shipped_hash_is_the_demo_passwords_with_the_hashers_parameters() -> None:
    # Else every start would hash again (a tenth of the time to the first login).
    assert verify_password(DEMO_PASSWORD, DEMO_PASSWORD_HASH)
    assert not needs_rehash(DEMO_PASSWORD_HASH)
