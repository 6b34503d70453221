"""More requests than database connections: callers wait, then get 503 and a retry hint."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session

from service.auth.roles import Role
from service.config import AuthSettings, DatabaseSettings, Settings, StorageSettings
from service.main import create_app
from tests.conftest import NOW, SECRET, FrozenClock
from tests.fixtures.db import migrated_engine, postgres_url_or_skip
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from postgres_url_or_skip("pool")


def test_exhausted_pool_answers_503_then_recovers(pg_url: str, tmp_path: Path) -> None:
    engine = migrated_engine(pg_url)
    clock = FrozenClock(NOW)
    with Session(engine) as session:
        shopper = make_user(session, Role.shopper)
        session.commit()
        headers = bearer(shopper, clock)
    engine.dispose()
    settings = Settings(
        database=DatabaseSettings(
            url=pg_url,
            migrate_on_start=False,
            pool_size=1,
            max_overflow=0,
            pool_timeout_seconds=0.2,
        ),
        storage=StorageSettings(local_dir=tmp_path / "blobs"),
        auth=AuthSettings(secret_key=SecretStr(SECRET)),
    )
    app = create_app(settings, clock=clock)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        held = app.state.engine.connect()
        busy = client.get(api_path("read_me"), headers=headers)
        assert busy.status_code == 503
        assert busy.json()["code"] == "service-unavailable"
        assert busy.headers["Retry-After"] == "5"
        held.close()
        assert client.get(api_path("read_me"), headers=headers).status_code == 200
