import shutil

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from service.config import Settings


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_when_all_is_reachable(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "storage": "ok"}}


def test_readyz_when_storage_is_gone(client: TestClient, settings: Settings) -> None:
    shutil.rmtree(settings.storage.local_dir)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "service-unavailable"
    assert [e["check"] for e in body["errors"]] == ["storage"]
    assert response.headers["Retry-After"] == "5"


def test_readyz_when_database_is_gone(client: TestClient, app: FastAPI) -> None:
    app.state.engine = create_engine("sqlite:////nonexistent/dir/mshop.db")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert [e["check"] for e in response.json()["errors"]] == ["database"]
