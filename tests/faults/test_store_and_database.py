"""Faults of the things the API depends on: the object store down, database connections lost."""

import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session

from service.auth.roles import Role
from service.config import (
    AuthSettings,
    DatabaseSettings,
    S3Settings,
    Settings,
    StorageBackend,
    StorageSettings,
)
from service.main import create_app
from tests.conftest import NOW, SECRET, FrozenClock
from tests.fixtures import images
from tests.fixtures.db import migrated_engine, postgres_url_or_skip, terminate_backends
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.server import free_port, running
from tests.fixtures.users import make_user


def test_store_down_uploads_503_answers_sync_readyz_says_so(
    settings: Settings, app: object, session: Session, clock: FrozenClock
) -> None:
    dead = S3Settings(
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        bucket="mshop",
        access_key_id=SecretStr("a"),
        secret_access_key=SecretStr("b"),
        connect_timeout_seconds=0.5,
        read_timeout_seconds=0.5,
    )
    down = create_app(
        settings.model_copy(
            update={"storage": StorageSettings(backend=StorageBackend.s3), "s3": dead}
        ),
        clock=clock,
    )
    down.dependency_overrides.update(app.dependency_overrides)  # type: ignore[attr-defined]
    shopper = make_user(session, Role.shopper)
    visit = make_visit(session, shopper=shopper)
    phone = bearer(shopper, clock)
    with TestClient(down, base_url="http://127.0.0.1") as client:
        # Only an admin is told which check failed.
        admin = bearer(make_user(session, Role.admin), clock)
        ready = client.get("/readyz", headers=admin)
        assert ready.status_code == 503
        assert [e["check"] for e in ready.json()["errors"]] == ["storage"]
        form = {
            "item_code": "signage_clear",
            "taken_at": "2026-03-18T10:15:30+05:00",
            "client_id": str(uuid.uuid4()),
        }
        files = {"file": ("p.jpg", images.photo(), "image/jpeg")}
        upload = client.post(
            api_path("upload_photo", visit_id=visit.id), data=form, files=files, headers=phone
        )
        assert upload.status_code == 503
        assert upload.json()["code"] == "storage-unavailable"
        assert int(upload.headers["Retry-After"]) > 0
        answer = {
            "client_id": str(uuid.uuid4()),
            "item_code": "overall_rating",
            "value": 4,
            "answered_at": "2026-03-18T10:00:00+05:00",
        }
        synced = client.put(
            api_path("sync_answers", visit_id=visit.id), json={"answers": [answer]}, headers=phone
        )
        assert synced.status_code == 200
        photos = client.get(api_path("list_photos", visit_id=visit.id), headers=phone).json()
        assert photos["photos"] == []


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from postgres_url_or_skip("faults")


def test_requests_recover_after_database_connections_are_dropped(
    pg_url: str, tmp_path: Path
) -> None:
    engine = migrated_engine(pg_url)
    clock = FrozenClock(NOW)
    with Session(engine) as session:
        shopper = make_user(session, Role.shopper)
        session.commit()
        headers = bearer(shopper, clock)
    settings = Settings(
        database=DatabaseSettings(url=pg_url, migrate_on_start=False),
        storage=StorageSettings(local_dir=tmp_path / "blobs"),
        auth=AuthSettings(secret_key=SecretStr(SECRET)),
    )

    def me(base: str) -> int:
        request = urllib.request.Request(base + api_path("read_me"), headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)

    with running(create_app(settings, clock=clock)) as base:
        assert me(base) == 200
        # What a database restart looks like from the API: every pooled connection dies.
        killed = terminate_backends(pg_url)
        assert killed >= 1
        assert me(base) == 200
        assert me(base) == 200
    engine.dispose()
