"""A write whose commit fails is never reported as stored."""

import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session

from service.auth.roles import Role
from service.checklists import service as checklists_service
from service.config import AuthSettings, DatabaseSettings, Settings, StorageSettings
from service.main import create_app
from service.standards import service as standards_service
from tests.conftest import NOW, SECRET, FrozenClock
from tests.fixtures.db import migrated_engine
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user


def test_failed_commit_is_an_error_not_a_success(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'commit.db'}"
    engine = migrated_engine(url)
    clock = FrozenClock(NOW)
    with Session(engine) as session:
        standards_service.load_standards(session, Settings().catalogue_dir, now=NOW)
        checklists_service.load_template_files(session, Settings().templates_dir, now=NOW)
        shopper = make_user(session, Role.shopper)
        visit_id = make_visit(session, shopper=shopper).id
        session.commit()
        headers = bearer(shopper, clock)
    settings = Settings(
        database=DatabaseSettings(url=url, migrate_on_start=False),
        storage=StorageSettings(local_dir=tmp_path / "blobs"),
        auth=AuthSettings(secret_key=SecretStr(SECRET)),
    )
    app = create_app(settings, clock=clock)

    def broken_commit(self: Session) -> None:
        raise RuntimeError("the database went away during commit")

    answer = {
        "client_id": str(uuid.uuid4()),
        "item_code": "overall_rating",
        "value": 4,
        "answered_at": "2026-03-18T10:00:00+05:00",
    }
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        monkeypatch.setattr(Session, "commit", broken_commit)
        response = client.put(
            api_path("sync_answers", visit_id=visit_id), json={"answers": [answer]}, headers=headers
        )
        monkeypatch.undo()
        assert response.status_code == 500
        assert response.json()["code"] == "internal-error"
        stored = client.get(api_path("list_answers", visit_id=visit_id), headers=headers).json()
        assert (stored["items"], stored["total"]) == ([], 0)
    engine.dispose()
