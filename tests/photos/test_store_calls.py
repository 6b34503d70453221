"""No database transaction is open while the object store is called, on any photo path.

A store that hangs holds each call for its whole deadline; a transaction held meanwhile is a
pooled connection (PostgreSQL) or the write lock (SQLite) every other request waits for.
The store here is the real one behind a double that records, for each call reaching the
store, whether any transaction was open: a request's, or one of its own (requests in tests
run their transactions as savepoints on the test's connection, so one is open exactly when
the connection has a nested transaction).
"""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlmodel import Session, select

from service.auth.models import User
from service.photos.models import Photo, PhotoStatus
from service.storage.objects import ObjectStore, StorageUnavailable
from tests.conftest import FrozenClock
from tests.fixtures import images, photo_jobs
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.photos.test_direct import put, upload_request
from tests.photos.test_router import post_photo

# Signing a URL is arithmetic on this machine: it reaches no server.
LOCAL_ONLY = frozenset({"presign_put", "presign_get"})


class WatchedStore:
    """The real store, recording each call as (name, transaction open?)."""

    def __init__(self, inner: ObjectStore, connection: Connection) -> None:
        self.inner = inner
        self.connection = connection
        self.calls: list[tuple[str, bool]] = []
        # Run before the real call of that name (each decides when to act, or to raise).
        self.before: dict[str, Callable[[], None]] = {}

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr) or name in LOCAL_ONLY:
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, self.connection.in_nested_transaction()))
            if (hook := self.before.get(name)) is not None:
                hook()
            return attr(*args, **kwargs)

        return call

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def under_transaction(self) -> list[str]:
        return [name for name, held in self.calls if held]


@pytest.fixture
def watched(app: FastAPI, client: TestClient, connection: Connection) -> WatchedStore:
    # After the client started the app: its start-up made the store ready.
    store = WatchedStore(app.state.store, connection)
    app.state.store = store
    return store


def idle(session: Session) -> None:
    """End the test's own transaction, so that any open one belongs to a request."""
    session.commit()
    assert not session.in_transaction()


def arrange(session: Session, shopper: User, clock: FrozenClock) -> tuple[uuid.UUID, Any]:
    visit_id = make_visit(session, shopper=shopper).id
    phone = bearer(shopper, clock)
    idle(session)
    return visit_id, phone


def photos_of(session: Session, visit_id: uuid.UUID) -> list[Photo]:
    session.expire_all()
    return list(session.exec(select(Photo).where(Photo.visit_id == visit_id)).all())


class TestMultipart:
    def test_an_upload_stores_and_reads_with_no_transaction_open(
        self,
        client: TestClient,
        watched: WatchedStore,
        session: Session,
        clock: FrozenClock,
        shopper: User,
    ) -> None:
        visit_id, phone = arrange(session, shopper, clock)

        stored = post_photo(client, visit_id, phone, images.photo())
        read = client.get(
            api_path("read_photo_content", photo_id=stored.json()["id"]),
            headers=phone,
            follow_redirects=False,
        )

        assert stored.status_code == 201, stored.text
        assert read.status_code in (200, 307), read.text
        # The upload stores the original; its job reads it back and stores the two copies.
        assert watched.names()[:4] == ["start_put", "open", "put", "put"]
        assert watched.names()[4] in ("head", "open")
        assert watched.under_transaction() == []

    def test_objects_of_a_failed_upload_go_after_the_request_with_no_transaction_open(
        self,
        app: FastAPI,
        client: TestClient,
        watched: WatchedStore,
        session: Session,
        clock: FrozenClock,
        shopper: User,
    ) -> None:
        visit_id, phone = arrange(session, shopper, clock)
        puts: list[int] = []

        def fail_first() -> None:
            puts.append(1)
            if len(puts) == 1:  # the original, the request's only store call
                raise StorageUnavailable("the store went away")

        watched.before["start_put"] = fail_first

        response = post_photo(client, visit_id, phone, images.photo())

        assert_problem(response, 503, "storage-unavailable")
        assert watched.names() == ["start_put", "delete_many"]
        assert watched.under_transaction() == []
        assert list(app.state.store.list_keys("photos/")) == []
        assert photos_of(session, visit_id) == []

    def test_a_parallel_retry_that_won_leaves_one_photo_and_the_losers_objects_go(
        self,
        app: FastAPI,
        client: TestClient,
        watched: WatchedStore,
        session: Session,
        clock: FrozenClock,
        shopper: User,
    ) -> None:
        visit_id, phone = arrange(session, shopper, clock)
        data, client_id = images.photo(seed=8), str(uuid.uuid4())
        winner: list[Any] = []

        def retry_overtakes() -> None:
            # While the first request stores its objects (holding no transaction), the
            # phone's retry of the same photo arrives and finishes first.
            if not winner:
                winner.append(None)
                winner[0] = post_photo(client, visit_id, phone, data, client_id=client_id)

        watched.before["start_put"] = retry_overtakes

        loser = post_photo(client, visit_id, phone, data, client_id=client_id)

        assert winner[0].status_code == 201, winner[0].text
        assert loser.status_code == 200, loser.text
        assert loser.json()["id"] == winner[0].json()["id"]
        assert watched.names().count("delete_many") == 1
        assert watched.under_transaction() == []
        (photo,) = photos_of(session, visit_id)
        assert sorted(app.state.store.list_keys("photos/")) == sorted(
            k for k in (photo.original_key, photo.thumb_key, photo.display_key) if k
        )


@pytest.mark.parametrize("backend", [pytest.param("s3", marks=pytest.mark.s3)])
class TestDirect:
    def test_complete_calls_the_store_with_no_transaction_open(
        self,
        client: TestClient,
        watched: WatchedStore,
        session: Session,
        clock: FrozenClock,
        shopper: User,
    ) -> None:
        visit_id, phone = arrange(session, shopper, clock)
        data = images.photo(seed=21)
        body = ticket(client, visit_id, phone, data)
        assert put(body["upload_url"], data, body["headers"]) == 200

        done = client.post(api_path("complete_upload", photo_id=body["photo_id"]), headers=phone)

        assert done.status_code == 200, done.text
        assert watched.names() == ["head_many"]  # the rest is the photo job's
        assert photo_jobs.drain(client) == 1
        assert watched.names() == ["head_many", "open", "put", "put"]
        assert watched.under_transaction() == []

    def test_an_undecodable_upload_is_rejected_by_its_job_with_no_transaction_open(
        self,
        app: FastAPI,
        client: TestClient,
        watched: WatchedStore,
        session: Session,
        clock: FrozenClock,
        shopper: User,
    ) -> None:
        visit_id, phone = arrange(session, shopper, clock)
        data = b"\xff\xd8\xff" + b"not really a JPEG" * 100
        body = ticket(client, visit_id, phone, data)
        assert put(body["upload_url"], data, body["headers"]) == 200

        done = client.post(api_path("complete_upload", photo_id=body["photo_id"]), headers=phone)
        assert done.status_code == 200, done.text  # only a decode tells
        assert photo_jobs.drain(client) == 1

        # The job read it back, found it undecodable and deleted any copy (none was made).
        assert watched.names() == ["head_many", "open", "delete_many"]
        assert watched.under_transaction() == []
        (photo,) = photos_of(session, visit_id)
        assert photo.status == PhotoStatus.rejected
        assert list(app.state.store.list_keys("photos/")) == [photo.original_key]

    def test_a_duplicate_upload_goes_after_the_commit_with_no_transaction_open(
        self,
        app: FastAPI,
        client: TestClient,
        watched: WatchedStore,
        session: Session,
        clock: FrozenClock,
        shopper: User,
    ) -> None:
        visit_id, phone = arrange(session, shopper, clock)
        data = images.photo(seed=22)
        first = ticket(client, visit_id, phone, data)
        assert put(first["upload_url"], data, first["headers"]) == 200
        stored = client.post(api_path("complete_upload", photo_id=first["photo_id"]), headers=phone)
        assert stored.status_code == 200, stored.text
        photo_jobs.drain(client)
        second = ticket(client, visit_id, phone, data)
        assert put(second["upload_url"], data, second["headers"]) == 200
        watched.calls.clear()

        same = client.post(api_path("complete_upload", photo_id=second["photo_id"]), headers=phone)

        assert same.json()["id"] == first["photo_id"]
        assert watched.names() == ["head_many", "delete_many"]
        assert watched.under_transaction() == []
        (photo,) = photos_of(session, visit_id)
        assert photo.status == PhotoStatus.ready
        assert all(second["photo_id"] not in k for k in app.state.store.list_keys("photos/"))


def ticket(client: TestClient, visit_id: uuid.UUID, phone: Any, data: bytes) -> Any:
    granted = client.post(
        api_path("start_upload", visit_id=visit_id), json=upload_request(data), headers=phone
    )
    assert granted.status_code == 201, granted.text
    return granted.json()
