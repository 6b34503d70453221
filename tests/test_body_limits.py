"""Body limits are declared on routes (``middleware.body_limit``), not matched by path."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient

from service.config import LimitSettings, Settings, UploadSettings
from service.main import create_app
from service.middleware import RequestGuard, body_limit
from service.visits.routes_photos import MULTIPART_ROOM
from tests.conftest import FrozenClock
from tests.fixtures.routes import api_path

GENERAL = 4096
UPLOAD = 16_384


@pytest.fixture
def small_client(settings: Settings, clock: FrozenClock) -> Iterator[TestClient]:
    small = settings.model_copy(
        update={
            "limits": LimitSettings(max_body_bytes=GENERAL),
            "upload": UploadSettings(max_bytes=UPLOAD),
        }
    )
    with TestClient(create_app(small, clock=clock), base_url="http://127.0.0.1") as client:
        yield client


def _problem(response: Any, limit: int) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "payload-too-large"
    assert body["detail"] == f"The request body is larger than {limit} bytes."


def test_photo_upload_refuses_a_body_over_its_own_limit(small_client: TestClient) -> None:
    limit = UPLOAD + MULTIPART_ROOM
    response = small_client.post(
        api_path("upload_photo", visit_id=uuid.uuid4()),
        files={"file": ("p.jpg", b"x" * (limit + 1), "image/jpeg")},
    )
    _problem(response, limit)


def test_photo_upload_takes_a_body_over_the_general_limit(small_client: TestClient) -> None:
    # Past the guard (the route's own limit is higher), the request meets authentication.
    response = small_client.post(
        api_path("upload_photo", visit_id=uuid.uuid4()),
        files={"file": ("p.jpg", b"x" * (GENERAL * 4), "image/jpeg")},
        data={"item_code": "a", "taken_at": "2026-03-18T09:30:00Z", "client_id": str(uuid.uuid4())},
    )
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "not-authenticated"


def test_json_elsewhere_is_held_to_the_general_limit(small_client: TestClient) -> None:
    big = b'{"refresh_token": "' + b"a" * GENERAL + b'"}'
    response = small_client.post(
        api_path("refresh_tokens"), content=big, headers={"content-type": "application/json"}
    )
    _problem(response, GENERAL)


def test_the_limit_goes_where_the_route_goes(settings: Settings) -> None:
    router = APIRouter()

    @router.post("/anywhere/{name}/else")
    @body_limit(lambda _settings: 3 * GENERAL)
    async def take(name: str, request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    @router.post("/plain")
    async def plain(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    app = FastAPI()
    app.include_router(router, prefix="/moved")
    app.add_middleware(
        RequestGuard,
        settings=settings.model_copy(update={"limits": LimitSettings(max_body_bytes=GENERAL)}),
    )
    json = {"content-type": "application/json"}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        taken = client.post("/moved/anywhere/x/else", content=b"1" * (2 * GENERAL), headers=json)
        assert taken.json() == {"received": 2 * GENERAL}
        _problem(
            client.post("/moved/anywhere/x/else", content=b"1" * (3 * GENERAL + 1), headers=json),
            3 * GENERAL,
        )
        _problem(client.post("/moved/plain", content=b"1" * (GENERAL + 1), headers=json), GENERAL)
