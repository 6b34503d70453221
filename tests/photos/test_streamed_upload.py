"""A photo declared before its bytes (size and sha256) is stored while it arrives.

On SeaweedFS the upload's PUT starts as the file part begins (``start_stream``), and is
waited for, not made, by the route; on the local folder the same form is stored as before.
Whatever refuses the upload afterwards (its bytes, its token, its visit, a retry) leaves no
object behind.
"""

import hashlib
import uuid
from concurrent.futures import Future
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlmodel import Session, select

from service.auth.models import User
from service.auth.roles import Role
from service.photos.models import Photo, PhotoStatus
from service.storage.objects import ObjectStore
from service.storage.pipe import BodyPipe
from service.storage.streaming import StreamingPut
from tests.conftest import FrozenClock
from tests.fixtures import images, photo_jobs
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.photo_forms import declared_form
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user
from tests.photos.test_router import TAKEN
from tests.photos.test_store_calls import WatchedStore


@pytest.fixture
def watched(app: FastAPI, client: TestClient, connection: Connection) -> WatchedStore:
    store = WatchedStore(app.state.store, connection)
    app.state.store = store
    return store


def post_declared(
    client: TestClient,
    visit_id: object,
    headers: dict[str, str],
    data: bytes,
    *,
    client_id: str | None = None,
    size: int | None = None,
    sha256: str | None = None,
) -> Any:
    """Upload with the size and sha256 declared before the file (those of ``data`` unless
    given)."""
    form = {
        "item_code": "ticket_photo",
        "taken_at": TAKEN,
        "client_id": client_id or str(uuid.uuid4()),
        "size_bytes": str(len(data) if size is None else size),
        "sha256": sha256 or hashlib.sha256(data).hexdigest(),
    }
    return client.post(
        api_path("upload_photo", visit_id=visit_id),
        data=form,
        files={"file": ("p.jpg", data, "image/jpeg")},
        headers=headers,
    )


def objects_of(store: ObjectStore, visit_id: uuid.UUID) -> list[str]:
    return sorted(store.list_keys(f"photos/{visit_id}/"))


def test_a_declared_photo_is_stored_as_it_arrives_then_processed(
    client: TestClient,
    watched: WatchedStore,
    backend: str,
    session: Session,
    shopper: User,
    clock: FrozenClock,
) -> None:
    visit = make_visit(session, shopper=shopper)
    data = images.photo(seed=41)
    response = post_declared(client, visit.id, bearer(shopper, clock), data)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "processing"
    original = f"photos/{visit.id}/{body['id']}/original"
    assert objects_of(watched.inner, visit.id) == [original]
    with watched.inner.open(original) as stored:
        assert stored.read() == data
    # On S3 the route waited for the stream the form started; it made no put of its own.
    stored_by = [n for n in watched.names() if n in ("start_stream", "start_put")]
    assert stored_by == (["start_stream"] if backend == "s3" else ["start_stream", "start_put"])
    photo_jobs.drain(client)
    session.expire_all()
    row = session.exec(select(Photo).where(Photo.visit_id == visit.id)).one()
    assert (row.status, row.sha256, row.size_bytes) == (
        PhotoStatus.ready,
        hashlib.sha256(data).hexdigest(),
        len(data),
    )


@pytest.mark.parametrize(
    ("size_change", "sha_of"),
    [(0, b"other bytes"), (1, None), (-1, None)],
    ids=["other-sha256", "larger-size", "smaller-size"],
)
def test_bytes_other_than_the_declared_ones_are_refused_and_nothing_is_kept(
    client: TestClient,
    watched: WatchedStore,
    session: Session,
    shopper: User,
    clock: FrozenClock,
    size_change: int,
    sha_of: bytes | None,
) -> None:
    visit = make_visit(session, shopper=shopper)
    data = images.photo(seed=42)
    response = post_declared(
        client,
        visit.id,
        bearer(shopper, clock),
        data,
        size=len(data) + size_change,
        sha256=hashlib.sha256(sha_of).hexdigest() if sha_of else None,
    )
    body = assert_problem(response, 422, "checksum-mismatch")
    assert watched.names().count("start_stream") == 1
    declared_sha = hashlib.sha256(sha_of).hexdigest() if sha_of else None
    expected = (
        [
            {
                "field": "sha256",
                "declared": declared_sha,
                "received": hashlib.sha256(data).hexdigest(),
            }
        ]
        if sha_of
        else [{"field": "size_bytes", "declared": len(data) + size_change, "received": len(data)}]
    )
    assert body["errors"] == expected
    assert all(f"{e['field']} declared {e['declared']}" in body["detail"] for e in expected)
    assert objects_of(watched.inner, visit.id) == []
    assert session.exec(select(Photo).where(Photo.visit_id == visit.id)).all() == []


def test_a_retry_answers_the_stored_photo_and_drops_its_second_copy(
    client: TestClient,
    watched: WatchedStore,
    session: Session,
    shopper: User,
    clock: FrozenClock,
) -> None:
    visit = make_visit(session, shopper=shopper)
    data = images.photo(seed=43)
    client_id = str(uuid.uuid4())
    headers = bearer(shopper, clock)
    first = post_declared(client, visit.id, headers, data, client_id=client_id)
    again = post_declared(client, visit.id, headers, data, client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert watched.names().count("start_stream") == 2
    assert objects_of(watched.inner, visit.id) == [
        f"photos/{visit.id}/{first.json()['id']}/original"
    ]


def test_a_valid_token_for_another_shoppers_visit_is_404_and_keeps_nothing(
    client: TestClient,
    watched: WatchedStore,
    backend: str,
    session: Session,
    shopper: User,
    clock: FrozenClock,
) -> None:
    visit = make_visit(session, shopper=shopper)
    stranger = bearer(make_user(session, Role.shopper), clock)
    response = post_declared(client, visit.id, stranger, images.photo(seed=44))
    assert_problem(response, 404, "visit-not-found")
    assert watched.names().count("start_stream") == 1  # the token alone let it start
    # On S3 the streamed object was stored, then deleted once the request had failed.
    assert watched.names()[-1:] == (["delete"] if backend == "s3" else ["start_stream"])
    assert objects_of(watched.inner, visit.id) == []


def test_without_a_valid_token_the_store_is_never_written(
    client: TestClient,
    watched: WatchedStore,
    session: Session,
    shopper: User,
    clock: FrozenClock,
) -> None:
    visit = make_visit(session, shopper=shopper)
    bad = {"Authorization": "Bearer not-a-token"}
    response = post_declared(client, visit.id, bad, images.photo(seed=45))
    assert_problem(response, 401, "invalid-token")
    assert "start_stream" not in watched.names()
    assert objects_of(watched.inner, visit.id) == []


class FailingStreams(WatchedStore):
    """The real store, but each stream's PUT fails: the connection dropped mid-way, or
    (``timed_out``) the store never answers."""

    def __init__(self, inner: ObjectStore, connection: Connection, *, timed_out: bool) -> None:
        super().__init__(inner, connection)
        self.timed_out = timed_out

    def start_stream(self, key: str, *, size: int, **_: Any) -> StreamingPut | None:
        self.calls.append(("start_stream", False))
        put: Future[None] = Future()
        if not self.timed_out:
            put.set_exception(ConnectionResetError("the store dropped the connection"))
        return StreamingPut(key, BodyPipe(size), put, seconds=0.05)


@pytest.mark.parametrize("backend", [pytest.param("s3", marks=pytest.mark.s3)])
def test_a_stream_cut_short_is_stored_again_from_the_received_bytes(
    app: FastAPI,
    client: TestClient,
    connection: Connection,
    session: Session,
    shopper: User,
    clock: FrozenClock,
) -> None:
    store = app.state.store = FailingStreams(app.state.store, connection, timed_out=False)
    visit = make_visit(session, shopper=shopper)
    data = images.photo(seed=46)
    response = post_declared(client, visit.id, bearer(shopper, clock), data)
    assert response.status_code == 201, response.text
    assert [n for n in store.names() if n in ("start_stream", "start_put")] == [
        "start_stream",
        "start_put",
    ]
    original = f"photos/{visit.id}/{response.json()['id']}/original"
    with store.inner.open(original) as stored:
        assert stored.read() == data


@pytest.mark.parametrize("backend", [pytest.param("s3", marks=pytest.mark.s3)])
def test_a_stream_the_store_never_answered_is_503_and_not_put_again(
    app: FastAPI,
    client: TestClient,
    connection: Connection,
    session: Session,
    shopper: User,
    clock: FrozenClock,
) -> None:
    store = app.state.store = FailingStreams(app.state.store, connection, timed_out=True)
    visit = make_visit(session, shopper=shopper)
    response = post_declared(client, visit.id, bearer(shopper, clock), images.photo(seed=47))
    assert_problem(response, 503, "storage-unavailable")
    assert "start_put" not in store.names()
    assert objects_of(store.inner, visit.id) == []
    assert session.exec(select(Photo).where(Photo.visit_id == visit.id)).all() == []


def test_a_body_cut_after_the_photo_leaves_no_object(
    client: TestClient,
    watched: WatchedStore,
    session: Session,
    shopper: User,
    clock: FrozenClock,
) -> None:
    """Every byte of the photo arrived (so the store may have stored it), then the body ended
    without its closing boundary: refused, and what the store kept is deleted."""
    visit = make_visit(session, shopper=shopper)
    data = images.photo(seed=48)
    boundary = uuid.uuid4().hex
    head, _ = declared_form(boundary, data)
    body = head + data  # and no closing boundary
    response = client.post(
        api_path("upload_photo", visit_id=visit.id),
        content=body,
        headers=bearer(shopper, clock)
        | {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_problem(response, 400, "bad-request")
    assert objects_of(watched.inner, visit.id) == []
    assert session.exec(select(Photo).where(Photo.visit_id == visit.id)).all() == []


def test_a_declared_sha256_that_is_not_hex_is_a_validation_error(
    client: TestClient,
    watched: WatchedStore,
    session: Session,
    shopper: User,
    clock: FrozenClock,
) -> None:
    visit = make_visit(session, shopper=shopper)
    response = post_declared(
        client, visit.id, bearer(shopper, clock), images.photo(seed=49), sha256="g" * 64
    )
    assert_problem(response, 422, "validation-failed", field="sha256")
    assert "start_stream" not in watched.names()
    assert objects_of(watched.inner, visit.id) == []
