import shutil
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine
from sqlmodel import Session

from service.auth.roles import Role
from service.config import S3Settings, Settings, StorageBackend, StorageSettings
from service.main import create_app
from tests.conftest import FrozenClock
from tests.fixtures.http import bearer
from tests.fixtures.server import free_port
from tests.fixtures.users import make_user


@pytest.fixture
def admin(session: Session, clock: FrozenClock) -> dict[str, str]:
    return bearer(make_user(session, Role.admin), clock)


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_when_all_is_reachable(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}
    detailed = client.get("/readyz", headers=admin)
    assert detailed.json() == {"status": "ready", "checks": {"database": "ok", "storage": "ok"}}


@pytest.mark.parametrize("role", [Role.coordinator, Role.shopper, Role.analyst])
def test_readyz_details_are_for_admins_only(
    client: TestClient, session: Session, clock: FrozenClock, role: Role
) -> None:
    response = client.get("/readyz", headers=bearer(make_user(session, role), clock))
    assert response.json() == {"status": "ready"}
    forged = client.get("/readyz", headers={"Authorization": "Bearer not-a-token"})
    assert forged.json() == {"status": "ready"}


def test_readyz_when_storage_is_gone(
    client: TestClient, settings: Settings, admin: dict[str, str]
) -> None:
    shutil.rmtree(settings.storage.local_dir)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "service-unavailable"
    assert body["detail"] == "Not ready."
    assert "errors" not in body or body["errors"] is None
    assert str(settings.storage.local_dir) not in response.text
    assert response.headers["Retry-After"] == "5"
    detailed = client.get("/readyz", headers=admin).json()
    assert [e["check"] for e in detailed["errors"]] == ["storage"]
    assert str(settings.storage.local_dir) in detailed["errors"][0]["error"]


def test_readyz_when_database_is_gone(
    client: TestClient, app: FastAPI, admin: dict[str, str]
) -> None:
    app.state.engine = create_engine("sqlite:////nonexistent/dir/mshop.db")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["detail"] == "Not ready."
    detailed = client.get("/readyz", headers=admin)
    assert detailed.status_code == 503
    assert [e["check"] for e in detailed.json()["errors"]] == ["database"]


@pytest.fixture
def dead_s3_client(settings: Settings, app: FastAPI, clock: FrozenClock) -> Iterator[TestClient]:
    dead = S3Settings(
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        bucket="secret-bucket-name",
        access_key_id=SecretStr("a"),
        secret_access_key=SecretStr("b"),
    )
    down = create_app(
        settings.model_copy(
            update={"storage": StorageSettings(backend=StorageBackend.s3), "s3": dead}
        ),
        clock=clock,
    )
    down.dependency_overrides.update(app.dependency_overrides)
    with TestClient(down, base_url="http://127.0.0.1") as client:
        yield client


def test_readyz_never_tells_anonymous_callers_the_store_address(
    dead_s3_client: TestClient, admin: dict[str, str]
) -> None:
    response = dead_s3_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["detail"] == "Not ready."
    assert "127.0.0.1" not in response.text
    assert "secret-bucket-name" not in response.text
    detailed = dead_s3_client.get("/readyz", headers=admin).json()
    assert "secret-bucket-name" in detailed["errors"][0]["error"]
