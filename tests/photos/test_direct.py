"""Direct uploads (presigned PUT to S3), and the clean-up of what uploads leave behind."""

import datetime as dt
import hashlib
import io
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.auth.models import User
from service.auth.roles import Role
from service.photos import lifecycle
from service.photos.models import Photo, PhotoStatus
from tests.conftest import FrozenClock
from tests.fixtures import images, photo_jobs
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user


def upload_request(data: bytes, **kw: Any) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "item_code": "signage_clear",
        "taken_at": "2026-03-18T10:15:30+05:00",
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "content_type": "image/jpeg",
    } | kw


def ticket(
    client: TestClient, visit_id: object, headers: dict[str, str], data: bytes, **kw: Any
) -> Any:
    body = upload_request(data, **kw)
    return client.post(api_path("start_upload", visit_id=visit_id), json=body, headers=headers)


def put(url: str, data: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=data, method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


@pytest.mark.parametrize("backend", [pytest.param("s3", marks=pytest.mark.s3)])
class TestPresigned:
    def test_put_then_complete(
        self, app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        data = images.photo()
        granted = ticket(client, visit.id, phone, data)
        assert granted.status_code == 201, granted.text
        body = granted.json()
        early = client.post(api_path("complete_upload", photo_id=body["photo_id"]), headers=phone)
        assert early.status_code == 409
        assert early.json()["code"] == "upload-missing"
        assert put(body["upload_url"], data, body["headers"]) == 200
        done = client.post(api_path("complete_upload", photo_id=body["photo_id"]), headers=phone)
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "processing"
        assert done.json()["sha256"] == hashlib.sha256(data).hexdigest()
        # The PUT landed on the final key; complete copied and deleted nothing.
        base = f"photos/{visit.id}/{body['photo_id']}"
        assert list(app.state.store.list_keys(f"photos/{visit.id}/")) == [f"{base}/original"]
        assert photo_jobs.drain(client) == 1  # its job makes the copies
        assert sorted(app.state.store.list_keys(f"photos/{visit.id}/")) == [
            f"{base}/display.jpg",
            f"{base}/original",
            f"{base}/thumb.jpg",
        ]
        with app.state.store.open(f"{base}/original") as original:
            assert original.read() == data
        again = client.post(api_path("complete_upload", photo_id=body["photo_id"]), headers=phone)
        # Complete again: the same photo, now ready with what the decode told.
        assert again.status_code == 200, again.text
        assert (again.json()["id"], again.json()["status"]) == (body["photo_id"], "ready")
        assert (again.json()["width"], again.json()["height"]) == (640, 480)

    def test_same_bytes_for_another_item_is_a_new_photo(
        self, app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        data = images.photo(seed=3)
        form = {"item_code": "ticket_photo", "taken_at": "2026-03-18T10:15:30+05:00"}
        first = client.post(
            api_path("upload_photo", visit_id=visit.id),
            data=form | {"client_id": str(uuid.uuid4())},
            files={"file": ("p.jpg", data, "image/jpeg")},
            headers=phone,
        ).json()
        body = ticket(client, visit.id, phone, data).json()  # signage_clear
        assert put(body["upload_url"], data, body["headers"]) == 200
        done = client.post(api_path("complete_upload", photo_id=body["photo_id"]), headers=phone)
        assert done.status_code == 200, done.text
        assert done.json()["id"] == body["photo_id"] != first["id"]
        assert (done.json()["item_code"], done.json()["status"]) == (
            "signage_clear",
            "processing",
        )
        # The same bytes for the same item again: the upload is dropped, the photo stands.
        again = ticket(client, visit.id, phone, data).json()
        assert put(again["upload_url"], data, again["headers"]) == 200
        repeat = client.post(api_path("complete_upload", photo_id=again["photo_id"]), headers=phone)
        assert repeat.json()["id"] == body["photo_id"]
        assert photo_jobs.drain(client) == 2
        # An abandoned upload of those bytes expires; clean-up leaves both photos whole.
        abandoned = ticket(client, visit.id, phone, data, item_code="ticket_photo").json()
        assert put(abandoned["upload_url"], data, abandoned["headers"]) == 200
        later = max(clock(), dt.datetime.now(dt.UTC)) + dt.timedelta(days=1)
        report = lifecycle.cleanup(session, app.state.store, now=later, grace=dt.timedelta(hours=1))
        assert (report.expired_uploads, report.orphan_objects) == (1, 0)
        rows = session.exec(select(Photo).where(Photo.visit_id == visit.id)).all()
        assert sorted(p.item_code for p in rows) == ["signage_clear", "ticket_photo"]
        coordinator = bearer(make_user(session, Role.coordinator), clock)
        for photo_id in (first["id"], body["photo_id"]):
            content = client.get(
                api_path("read_photo_content", photo_id=photo_id) + "?variant=original",
                headers=coordinator,
                follow_redirects=False,
            )
            with urllib.request.urlopen(content.headers["location"], timeout=10) as stored:
                assert stored.read() == data
        assert len(list(app.state.store.list_keys(f"photos/{visit.id}/"))) == 6

    def test_the_store_refuses_bytes_other_than_declared(
        self, app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        declared, sent = images.photo(seed=1), images.photo(seed=2)
        body = ticket(client, visit.id, phone, declared, size_bytes=len(sent)).json()

        # Same length, other bytes: the checksum bound into the URL makes the store say no.
        assert put(body["upload_url"], sent, body["headers"]) == 400
        early = client.post(api_path("complete_upload", photo_id=body["photo_id"]), headers=phone)

        assert_problem(early, 409, "upload-missing")
        assert list(app.state.store.list_keys("photos/")) == []
        row = session.get(Photo, uuid.UUID(body["photo_id"]))
        assert row is not None
        assert row.status == PhotoStatus.pending  # until it expires

    def test_complete_checks_the_bytes_of_a_store_that_keeps_no_checksum(
        self, app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        declared, sent = images.photo(seed=1), images.photo(seed=2)
        body = ticket(client, visit.id, phone, declared, size_bytes=len(sent)).json()
        row = session.get(Photo, uuid.UUID(body["photo_id"]))
        assert row is not None
        # Written past the URL, with no checksum kept: as on a store that ignores the header.
        app.state.store.put(row.original_key, io.BytesIO(sent), content_type="image/jpeg")

        response = client.post(
            api_path("complete_upload", photo_id=body["photo_id"]), headers=phone
        )
        assert response.status_code == 200, response.text  # the HEAD had no checksum to check
        assert photo_jobs.drain(client) == 1  # the job reads the bytes back

        session.expire_all()
        (photo,) = session.exec(select(Photo).where(Photo.visit_id == visit.id)).all()
        assert photo.status == PhotoStatus.rejected
        assert (photo.rejected_reason or "").startswith("checksum-mismatch: ")
        assert list(app.state.store.list_keys("photos/")) == [row.original_key]  # no copies

    def test_a_replayed_url_cannot_touch_a_completed_photo(
        self, app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        data = images.photo(seed=5)
        body = ticket(client, visit.id, phone, data).json()
        assert put(body["upload_url"], data, body["headers"]) == 200
        done = client.post(api_path("complete_upload", photo_id=body["photo_id"]), headers=phone)
        assert done.status_code == 200, done.text
        stored = sorted(app.state.store.list_keys(f"photos/{visit.id}/"))

        # The same URL again, and a fresh ticket for the finished photo: both refused.
        replay = put(body["upload_url"], data, body["headers"])
        again = ticket(client, visit.id, phone, data, client_id=done.json()["client_id"])

        assert replay == 412
        assert_problem(again, 409, "photo-conflict")
        assert sorted(app.state.store.list_keys(f"photos/{visit.id}/")) == stored
        with app.state.store.open(f"photos/{visit.id}/{body['photo_id']}/original") as original:
            assert original.read() == data

    def test_a_put_the_phone_repeats_before_complete_is_refused_and_complete_works(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        data = images.photo(seed=6)
        body = ticket(client, visit.id, phone, data).json()
        assert put(body["upload_url"], data, body["headers"]) == 200
        # The phone lost the answer and asks again: same reservation, a URL that says 412.
        retry = ticket(client, visit.id, phone, data, client_id=body["client_id"]).json()
        assert retry["photo_id"] == body["photo_id"]
        assert put(retry["upload_url"], data, retry["headers"]) == 412

        done = client.post(api_path("complete_upload", photo_id=body["photo_id"]), headers=phone)

        assert done.status_code == 200, done.text
        assert (done.json()["status"], done.json()["sha256"]) == (
            "processing",
            hashlib.sha256(data).hexdigest(),
        )

    def test_several_tickets_in_one_request(
        self, app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        photos = [images.photo(seed=s) for s in (11, 12, 13)]
        items = ["ticket_photo", "ticket_photo", "signage_clear"]
        uploads = [upload_request(d, item_code=i) for d, i in zip(photos, items, strict=True)]

        granted = client.post(
            api_path("start_uploads", visit_id=visit.id), json={"uploads": uploads}, headers=phone
        )

        assert granted.status_code == 201, granted.text
        tickets = granted.json()["tickets"]
        assert [t["client_id"] for t in tickets] == [u["client_id"] for u in uploads]
        for data, issued in zip(photos, tickets, strict=True):
            assert put(issued["upload_url"], data, issued["headers"]) == 200
            done = client.post(
                api_path("complete_upload", photo_id=issued["photo_id"]), headers=phone
            )
            assert done.status_code == 200, done.text
            assert done.json()["sha256"] == hashlib.sha256(data).hexdigest()
        assert photo_jobs.drain(client) == 3
        listed = client.get(api_path("list_photos", visit_id=visit.id), headers=phone).json()
        assert sorted(p["item_code"] for p in listed["photos"]) == sorted(items)
        assert {p["status"] for p in listed["photos"]} == {"ready"}
        assert len(list(app.state.store.list_keys(f"photos/{visit.id}/"))) == 9

    def test_a_batch_over_the_limit_is_refused(
        self, app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        settings = app.state.settings
        app.state.settings = settings.model_copy(
            update={"upload": settings.upload.model_copy(update={"max_tickets_per_request": 2})}
        )
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        uploads = [upload_request(images.photo(seed=s)) for s in (1, 2, 3)]

        refused = client.post(
            api_path("start_uploads", visit_id=visit.id), json={"uploads": uploads}, headers=phone
        )
        allowed = client.post(
            api_path("start_uploads", visit_id=visit.id),
            json={"uploads": uploads[:2]},
            headers=phone,
        )

        body = assert_problem(refused, 422, "validation-failed")
        assert "at most 2 photos" in body["detail"]
        assert allowed.status_code == 201, allowed.text
        assert len(allowed.json()["tickets"]) == 2

    def test_a_batch_is_all_or_nothing(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        # ticket_photo takes two photos: the third reservation of the batch is one too many.
        uploads = [
            upload_request(images.photo(seed=s), item_code="ticket_photo") for s in (1, 2, 3)
        ]

        refused = client.post(
            api_path("start_uploads", visit_id=visit.id), json={"uploads": uploads}, headers=phone
        )

        assert_problem(refused, 409, "too-many-photos")
        session.expire_all()
        assert session.exec(select(Photo).where(Photo.visit_id == visit.id)).all() == []

    def test_url_is_bound_to_the_declared_size(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        data = images.photo()
        body = ticket(client, visit.id, phone, data).json()
        assert (
            put(
                body["upload_url"],
                data + b"extra",
                body["headers"] | {"Content-Length": str(len(data) + 5)},
            )
            == 403
        )

    def test_declared_size_over_the_limit_is_413(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        response = ticket(
            client, visit.id, bearer(shopper, clock), b"x", size_bytes=16 * 1024 * 1024
        )
        assert_problem(response, 413, "payload-too-large")


@pytest.mark.parametrize("backend", ["local"])
def test_local_store_has_no_direct_upload(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    visit = make_visit(session, shopper=shopper)
    response = ticket(client, visit.id, bearer(shopper, clock), images.photo())
    assert response.status_code == 409
    assert response.json()["code"] == "direct-upload-unavailable"


def test_cleanup_removes_expired_uploads_and_orphans(
    app: FastAPI, session: Session, clock: FrozenClock, shopper: User
) -> None:
    store = app.state.store
    store.ensure_ready()
    visit = make_visit(session, shopper=shopper)
    pending = Photo(
        client_id=uuid.uuid4(),
        visit_id=visit.id,
        item_code="signage_clear",
        status=PhotoStatus.pending,
        taken_at=clock(),
        original_key=f"photos/{visit.id}/x/original",
        uploaded_by_id=shopper.id,
        created_at=clock(),
        expires_at=clock() - dt.timedelta(minutes=1),
    )
    session.add(pending)
    session.flush()
    store.put(pending.original_key, io.BytesIO(b"half"), content_type="image/jpeg")
    store.put("photos/orphan/y/original", io.BytesIO(b"lost"), content_type="image/jpeg")
    young = lifecycle.cleanup(
        session, store, now=dt.datetime.now(dt.UTC), grace=dt.timedelta(hours=1)
    )
    assert (young.expired_uploads, young.orphan_objects) == (1, 0)
    assert store.exists("photos/orphan/y/original")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    old = lifecycle.cleanup(session, store, now=later, grace=dt.timedelta(hours=1))
    assert old.orphan_objects == 1
    assert list(store.list_keys("photos/")) == []
    assert session.get(Photo, pending.id) is None
