"""Reading a photo while its store is down: 503 with Retry-After, never a 500 or a dead link.

A hung SeaweedFS (SIGSTOP) is in tests/storage/test_hung_store.py; here the local folder gone
or unusable, and an object lost by a store that is up.
"""

import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import User
from service.config import Settings
from tests.conftest import FrozenClock
from tests.fixtures import images
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.photos.test_router import post_photo

VARIANTS = ("thumb", "display", "original")


def read(client: TestClient, photo_id: str, variant: str, headers: dict[str, str]) -> Any:
    return client.get(
        api_path("read_photo_content", photo_id=photo_id),
        params={"variant": variant},
        headers=headers,
        follow_redirects=False,
    )


@pytest.mark.parametrize("backend", ["local"])
@pytest.mark.parametrize("fault", ["folder-missing", "folder-is-a-file"])
def test_reads_answer_503_when_the_storage_folder_is_unusable(
    client: TestClient,
    photo_settings: Settings,
    session: Session,
    clock: FrozenClock,
    shopper: User,
    coordinator: User,
    fault: str,
) -> None:
    visit = make_visit(session, shopper=shopper)
    stored = post_photo(client, visit.id, bearer(shopper, clock), images.photo())
    assert stored.status_code == 201, stored.text
    staff = bearer(coordinator, clock)
    root: Path = photo_settings.storage.local_dir
    assert read(client, stored.json()["id"], "thumb", staff).status_code == 200
    shutil.rmtree(root)
    if fault == "folder-is-a-file":  # e.g. a volume mounted wrong: every path under it fails
        root.write_bytes(b"")

    for variant in VARIANTS:
        response = read(client, stored.json()["id"], variant, staff)
        body = assert_problem(response, 503, "storage-unavailable")
        assert int(response.headers["Retry-After"]) > 0
        assert "photo store cannot be reached" in body["detail"]
    assert root.is_dir() is False  # nothing recreated the folder behind the operator's back


@pytest.mark.parametrize("backend", ["local", pytest.param("s3", marks=pytest.mark.s3)])
def test_a_lost_object_is_404_not_a_dead_link(
    app: FastAPI,
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    shopper: User,
    coordinator: User,
) -> None:
    visit = make_visit(session, shopper=shopper)
    stored = post_photo(client, visit.id, bearer(shopper, clock), images.photo())
    assert stored.status_code == 201, stored.text
    photo_id = stored.json()["id"]
    app.state.store.delete(f"photos/{visit.id}/{photo_id}/thumb.jpg")
    staff = bearer(coordinator, clock)

    lost = read(client, photo_id, "thumb", staff)
    kept = read(client, photo_id, "display", staff)

    body = assert_problem(lost, 404, "photo-not-found")
    assert "stored copy" in body["detail"]
    assert kept.status_code in (200, 307)
    if kept.status_code == 307:
        assert f"{photo_id}/display.jpg" in kept.headers["location"]
    else:
        assert kept.content.startswith(b"\xff\xd8")
