"""Many phones syncing one visit at once: nothing lost, nothing duplicated, newest current.

Runs against a real server with real per-request transactions (no test rollback), on SQLite
and on PostgreSQL.
"""

import datetime as dt
import json
import random
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, text
from sqlmodel import Session

from service.auth.roles import Role
from service.checklists import service as checklists_service
from service.config import (
    AuthSettings,
    DatabaseSettings,
    LimitSettings,
    Settings,
    StorageSettings,
)
from service.main import create_app
from service.standards import service as standards_service
from tests.conftest import NOW, SECRET, FrozenClock
from tests.fixtures.db import migrated_engine, postgres_url_or_skip
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.server import running
from tests.fixtures.users import make_user

ITEMS = ["overall_rating", "staff_competence", "help_desk_courtesy", "staff_politeness"]
VERSIONS = 5
PHONES = 20


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'concurrency.db'}"
        return
    yield from postgres_url_or_skip("concurrency")


@pytest.fixture
def engine(fresh_url: str) -> Iterator[Engine]:  # shadows the shared engine on purpose
    engine = migrated_engine(fresh_url)
    with Session(engine) as session:
        standards_service.load_standards(session, Settings().catalogue_dir, now=NOW)
        checklists_service.load_template_files(session, Settings().templates_dir, now=NOW)
        session.commit()
    yield engine
    engine.dispose()


def put(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="PUT",
        headers=headers | {"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.slow  # a real uvicorn server, twenty phones
# Capped, the versions dropped by one phone's sync are resent by others: still unchanged.
@pytest.mark.parametrize("keep", [VERSIONS, 2], ids=["all-kept", "capped"])
def test_concurrent_overlapping_syncs(
    engine: Engine, fresh_url: str, tmp_path: Path, keep: int
) -> None:
    clock = FrozenClock(NOW)
    with Session(engine) as session:
        shopper = make_user(session, Role.shopper)
        visit = make_visit(session, shopper=shopper)
        session.commit()
        headers = bearer(shopper, clock)
        visit_id = visit.id
    base = dt.datetime(2026, 3, 18, 10, 0, tzinfo=dt.UTC)
    pool = [
        {
            "client_id": str(uuid.uuid4()),
            "item_code": item,
            "value": 1 + version,
            "answered_at": (base + dt.timedelta(minutes=version)).isoformat(),
        }
        for item in ITEMS
        for version in range(VERSIONS)
    ]
    rng = random.Random(2018)
    batches = [pool] + [rng.sample(pool, len(pool) // 2) for _ in range(PHONES - 1)]
    settings = Settings(
        database=DatabaseSettings(url=fresh_url, migrate_on_start=False),
        storage=StorageSettings(local_dir=tmp_path / "blobs"),
        auth=AuthSettings(secret_key=SecretStr(SECRET)),
        limits=LimitSettings(answer_versions_per_item=keep),
    )
    barrier = threading.Barrier(PHONES)

    with running(create_app(settings, clock=clock)) as url:
        endpoint = url + api_path("sync_answers", visit_id=visit_id)

        def phone(batch: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
            barrier.wait()
            return put(endpoint, {"answers": rng.sample(batch, len(batch))}, headers)

        with ThreadPoolExecutor(PHONES) as executor:
            outcomes = list(executor.map(phone, batches))

    assert [status for status, _ in outcomes] == [200] * PHONES, outcomes
    assert sum(body["created"] for _, body in outcomes) == len(pool)
    with Session(engine) as session:
        rows = session.exec(  # type: ignore[call-overload]
            text("SELECT client_id, item_code, value, is_current FROM answers")
        ).all()
        dropped = session.exec(  # type: ignore[call-overload]
            text("SELECT client_id FROM dropped_answers")
        ).all()
    assert len(rows) == len(ITEMS) * keep
    assert len(dropped) == len(ITEMS) * (VERSIONS - keep)
    # Every answer stored exactly once, kept or dropped.
    assert sorted(uuid.UUID(str(r[0])) for r in [*rows, *dropped]) == sorted(
        uuid.UUID(str(a["client_id"])) for a in pool
    )
    # SQLite hands JSON back as text, PostgreSQL as a value.
    current = {r[1]: json.loads(r[2]) if isinstance(r[2], str) else r[2] for r in rows if r[3]}
    assert current == dict.fromkeys(ITEMS, VERSIONS)
