"""A hung object store (a real SeaweedFS stopped with SIGSTOP) costs a request seconds, not minutes.

Before the deadlines an upload waited 245 s for its 503 and /readyz 120 s (30 s read timeout x 3
attempts per call, then the clean-up's delete waiting as long again).
"""

import itertools
import logging
import os
import signal
import time
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlmodel import Session

from service.auth.roles import Role
from service.config import Settings, StorageBackend, StorageSettings
from service.main import create_app
from tests.conftest import FrozenClock
from tests.fixtures import images, photo_jobs
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.s3 import SeaweedError, SeaweedServer, start_seaweed, stop_seaweed
from tests.fixtures.users import make_user
from tests.fixtures.waiting import wait_for

# Starts its own SeaweedFS and waits out real deadlines (~30 s).
pytestmark = [pytest.mark.slow, pytest.mark.s3]
log = logging.getLogger(__name__)
TAKEN = "2026-03-18T10:15:30+05:00"


@pytest.fixture(scope="module")
def own_seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    """A SeaweedFS of this module's own: stopping the session's would hang other tests."""
    try:
        server = start_seaweed(tmp_path_factory.mktemp("hung-seaweed"))
    except SeaweedError as exc:
        pytest.fail(f"SeaweedFS did not start: {exc}", pytrace=False)
    try:
        yield server
    finally:
        os.killpg(server.process.pid, signal.SIGCONT)
        stop_seaweed(server)


@pytest.fixture
def client(
    own_seaweed: SeaweedServer,
    settings: Settings,
    app: FastAPI,
    clock: FrozenClock,
    connection: Connection,
) -> Iterator[TestClient]:
    # The default deadlines: what a deployment gets without tuning.
    s3 = own_seaweed.endpoint.settings(f"hung-{uuid.uuid4().hex[:12]}")
    store_app = create_app(
        settings.model_copy(
            update={"storage": StorageSettings(backend=StorageBackend.s3), "s3": s3}
        ),
        clock=clock,
    )
    store_app.dependency_overrides.update(app.dependency_overrides)
    photo_jobs.install(store_app, connection, clock)
    with TestClient(store_app, base_url="http://127.0.0.1") as test_client:
        yield test_client


# Each upload's own picture: the same bytes again would be answered 200 as the stored photo.
SEEDS = itertools.count(1)


def upload(client: TestClient, visit_id: object, phone: dict[str, str]) -> tuple[float, Any]:
    form = {"item_code": "ticket_photo", "taken_at": TAKEN, "client_id": str(uuid.uuid4())}
    files = {"file": ("p.jpg", images.photo(seed=next(SEEDS)), "image/jpeg")}
    started = time.monotonic()
    response = client.post(
        api_path("upload_photo", visit_id=visit_id), data=form, files=files, headers=phone
    )
    return time.monotonic() - started, response


def timed_get(client: TestClient, path: str) -> tuple[float, Any]:
    started = time.monotonic()
    response = client.get(path)
    return time.monotonic() - started, response


def test_a_hung_store_answers_503_promptly_and_recovers(
    own_seaweed: SeaweedServer,
    client: TestClient,
    session: Session,
    clock: FrozenClock,
) -> None:
    shopper = make_user(session, Role.shopper)
    visit = make_visit(session, shopper=shopper)
    phone = bearer(shopper, clock)
    _, stored = upload(client, visit.id, phone)
    assert stored.status_code == 201, stored.text

    os.killpg(own_seaweed.process.pid, signal.SIGSTOP)
    try:
        upload_s, refused = upload(client, visit.id, phone)  # waits out the upload budget
        ready_s, ready = timed_get(client, "/readyz")  # probes the store with its own budget
        again_s, refused_again = upload(client, visit.id, phone)  # within the cool-down
    finally:
        os.killpg(own_seaweed.process.pid, signal.SIGCONT)
    log.warning(
        "hung store: upload 503 after %.1f s, /readyz 503 after %.1f s, next upload %.1f s",
        upload_s,
        ready_s,
        again_s,
    )

    assert refused.status_code == 503, refused.text
    assert refused.json()["code"] == "storage-unavailable"
    assert int(refused.headers["Retry-After"]) > 0
    assert upload_s < 15, f"the upload's 503 took {upload_s:.1f} s"
    assert ready.status_code == 503
    assert ready.json()["detail"] == "Not ready."
    assert ready_s < 5, f"/readyz took {ready_s:.1f} s"
    assert refused_again.status_code == 503
    assert again_s < 5, f"an upload during the cool-down took {again_s:.1f} s"

    wait_for(
        lambda: timed_get(client, "/readyz")[1].status_code == 200,
        "/readyz recovered after SIGCONT",
    )
    _, recovered = upload(client, visit.id, phone)
    assert recovered.status_code == 201, recovered.text
    assert recovered.json()["id"] != stored.json()["id"]


def test_photo_reads_answer_503_while_the_store_hangs_then_redirect_again(
    own_seaweed: SeaweedServer,
    client: TestClient,
    session: Session,
    clock: FrozenClock,
) -> None:
    shopper = make_user(session, Role.shopper)
    visit = make_visit(session, shopper=shopper)
    _, stored = upload(client, visit.id, bearer(shopper, clock))
    assert stored.status_code == 201, stored.text
    assert photo_jobs.drain(client) == 1
    staff = bearer(make_user(session, Role.coordinator), clock)
    path = api_path("read_photo_content", photo_id=stored.json()["id"])

    def read(variant: str) -> tuple[float, Any]:
        started = time.monotonic()
        response = client.get(
            path, params={"variant": variant}, headers=staff, follow_redirects=False
        )
        return time.monotonic() - started, response

    os.killpg(own_seaweed.process.pid, signal.SIGSTOP)
    try:
        hung = [read(variant) for variant in ("thumb", "display", "original")]
    finally:
        os.killpg(own_seaweed.process.pid, signal.SIGCONT)
    log.warning("hung store: photo reads 503 after %s s", [f"{s:.1f}" for s, _ in hung])

    for seconds, response in hung:
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "storage-unavailable"
        assert int(response.headers["Retry-After"]) > 0
        assert "location" not in response.headers
        assert seconds < 8, f"a photo read's 503 took {seconds:.1f} s"

    wait_for(
        lambda: timed_get(client, "/readyz")[1].status_code == 200,
        "/readyz recovered after SIGCONT",
    )
    _, recovered = read("thumb")
    assert recovered.status_code == 307, recovered.text
    with urllib.request.urlopen(recovered.headers["location"], timeout=10) as thumb:
        assert thumb.read().startswith(b"\xff\xd8")
