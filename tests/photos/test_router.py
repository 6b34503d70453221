"""Photo evidence over HTTP, on the local folder and on SeaweedFS alike."""

import datetime as dt
import hashlib
import io
import urllib.request
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from service.auth.models import User
from service.auth.roles import Role
from service.photos import lifecycle
from service.photos.models import Photo
from tests.conftest import FrozenClock
from tests.fixtures import images, photo_jobs
from tests.fixtures.factories import complete_answers, make_visit, upload_required_photos
from tests.fixtures.http import bearer
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user

TAKEN = "2026-03-18T10:15:30+05:00"
OTHER_ITEM = "signage_clear"  # takes optional photos


def post_photo(
    client: TestClient,
    visit_id: object,
    headers: dict[str, str],
    data: bytes,
    *,
    item: str = "ticket_photo",
    client_id: str | None = None,
    name: str = "p.jpg",
    process: bool = True,
) -> Any:
    """Upload a photo. ``process``: then run its job, and answer with the upload's status and
    headers but the photo as the visit now lists it (ready or rejected, with its copies and
    flags); without it, the upload's own answer (``processing``)."""
    form = {"item_code": item, "taken_at": TAKEN, "client_id": client_id or str(uuid.uuid4())}
    files = {"file": (name, data, "image/jpeg")}
    response = client.post(
        api_path("upload_photo", visit_id=visit_id), data=form, files=files, headers=headers
    )
    if not process or response.status_code not in (200, 201):
        return response
    photo_jobs.drain(client)
    listing = client.get(api_path("list_photos", visit_id=visit_id), headers=headers).json()
    (now,) = [p for p in listing["photos"] if p["id"] == response.json()["id"]]
    return Processed(response, now)


class Processed:
    """An upload's answer, with the photo as it is once processed."""

    def __init__(self, response: Any, photo: dict[str, Any]) -> None:
        self.status_code: int = response.status_code
        self.headers = response.headers
        self.text: str = response.text
        self.upload = response.json()
        self.photo = photo

    def json(self) -> dict[str, Any]:
        return self.photo


def fetch(client: TestClient, photo_id: str, variant: str, headers: dict[str, str]) -> Any:
    response = client.get(
        api_path("read_photo_content", photo_id=photo_id) + f"?variant={variant}",
        headers=headers,
        follow_redirects=False,
    )
    if response.status_code == 307:  # S3: a short-lived URL on the store itself
        with urllib.request.urlopen(response.headers["location"], timeout=10) as stored:
            return 200, stored.read()
    return response.status_code, response.content


def stored_keys(app: FastAPI) -> list[str]:
    return list(app.state.store.list_keys("photos/"))


def own_keys(photo: Photo) -> set[str]:
    """The three objects of a stored photo (both copies exist once it is stored)."""
    assert photo.thumb_key is not None
    assert photo.display_key is not None
    return {photo.original_key, photo.thumb_key, photo.display_key}


class TestUpload:
    def test_jpeg_with_exif_is_stored_with_stripped_copies(
        self, app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        data = images.photo()
        response = post_photo(client, visit.id, phone, data)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["sha256"] == hashlib.sha256(data).hexdigest()
        assert (body["width"], body["height"]) == (640, 480)
        assert body["exif_taken_at"] == "2026-03-18T05:15:30Z"
        assert body["flags"] == []
        assert body["gps_latitude"] is None  # a shopper's view carries no GPS
        status, display = fetch(client, body["id"], "display", phone)
        assert status == 200
        copy = Image.open(io.BytesIO(display))
        assert copy.format == "JPEG"
        assert not copy.getexif()
        assert "exif" not in copy.info
        assert len(stored_keys(app)) == 3

    def test_first_upload_starts_an_assigned_visit(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        assert post_photo(client, visit.id, phone, images.photo()).status_code == 201
        assert client.get(api_path("read_visit", visit_id=visit.id), headers=phone).json()[
            "status"
        ] == ("in_progress")
        coordinator = bearer(make_user(session, Role.coordinator), clock)
        history = client.get(
            api_path("read_visit_history", visit_id=visit.id), headers=coordinator
        ).json()
        assert [(e["action"], e["detail"]) for e in history] == [
            ("assign", {}),
            ("start", {"implicit": True}),
        ]

    def test_rotated_jpeg_is_turned_upright(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        response = post_photo(client, visit.id, bearer(shopper, clock), images.corner_marked(6))
        assert (response.json()["width"], response.json()["height"]) == (40, 60)

    @pytest.mark.parametrize(
        ("fmt", "mime"), [("PNG", "image/png"), ("HEIF", "image/heic"), ("WEBP", "image/webp")]
    )
    def test_other_formats(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        fmt: str,
        mime: str,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        response = post_photo(client, visit.id, bearer(shopper, clock), images.photo(fmt))
        assert response.status_code == 201, response.text
        assert response.json()["mime"] == mime

    def test_retry_and_same_bytes_are_one_photo(
        self, app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        client_id = str(uuid.uuid4())
        first = post_photo(client, visit.id, phone, images.photo(), client_id=client_id)
        retry = post_photo(client, visit.id, phone, images.photo(), client_id=client_id)
        again = post_photo(client, visit.id, phone, images.photo())
        assert (first.status_code, retry.status_code, again.status_code) == (201, 200, 200)
        assert first.json()["id"] == retry.json()["id"] == again.json()["id"]
        other = post_photo(client, visit.id, phone, images.photo(seed=9), client_id=client_id)
        assert other.status_code == 409
        assert other.json()["code"] == "photo-conflict"
        assert len(stored_keys(app)) == 3

    @pytest.mark.parametrize(
        ("make", "status", "code"),
        [
            (lambda: b"just text, named .jpg", 415, "unsupported-media-type"),
            (lambda: b"", 422, "empty-file"),
            (lambda: images.png_claiming(50_000, 50_000), 413, "image-too-large"),
        ],
        ids=["text-as-jpg", "empty", "bomb"],
    )
    def test_bad_files_leave_nothing_behind(
        self,
        app: FastAPI,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        make: Any,
        status: int,
        code: str,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        response = post_photo(client, visit.id, bearer(shopper, clock), make())
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == code
        assert session.exec(select(Photo).where(Photo.visit_id == visit.id)).all() == []
        assert stored_keys(app) == []

    def test_oversize_file_is_413(
        self, app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        app.state.settings.upload.max_bytes = 50_000
        visit = make_visit(session, shopper=shopper)
        big = images.photo(size=(1600, 1200))
        assert len(big) > 50_000
        response = post_photo(client, visit.id, bearer(shopper, clock), big)
        assert response.status_code == 413
        assert stored_keys(app) == []

    @pytest.mark.parametrize(("item", "status"), [("overall_rating", 422), ("no_such_item", 422)])
    def test_item_must_take_photos(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        item: str,
        status: int,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        response = post_photo(client, visit.id, bearer(shopper, clock), images.photo(), item=item)
        assert response.status_code == status
        assert response.json()["code"] == "photo-item-invalid"

    def test_other_shoppers_visit_is_404(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session)
        response = post_photo(client, visit.id, bearer(shopper, clock), images.photo())
        assert_problem(response, 404, "visit-not-found")


class TestFlags:
    def test_far_and_late_and_reused(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        phone = bearer(shopper, clock)
        first = make_visit(session, shopper=shopper)
        post_photo(client, first.id, phone, images.photo())
        second = make_visit(session, shopper=shopper)
        reused = post_photo(client, second.id, phone, images.photo()).json()
        assert "reused-image" in reused["flags"]
        far_gps = (images.rational_dms((43, 14, 0)), "N", images.rational_dms((76, 53, 0)), "E")
        late = images.encode(
            images.scene(5), "JPEG", exif=images.exif(taken="2026:05:01 10:00:00", gps=far_gps)
        )
        flagged = post_photo(client, second.id, phone, late).json()
        assert {"taken-outside-window", "taken-far-from-claimed-time", "far-from-office"} <= set(
            flagged["flags"]
        )
        bare = images.encode(images.scene(6), "JPEG")
        # ticket_photo takes two photos; the third goes to another item that takes photos.
        assert post_photo(client, second.id, phone, bare, item=OTHER_ITEM).json()["flags"] == [
            "no-exif"
        ]


class TestReading:
    def test_expected_vs_received_and_submit_gate(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        checklist = client.get(
            api_path("read_checklist", checklist_id=visit.checklist_id), headers=phone
        ).json()
        answers = complete_answers(checklist["checklist"])
        client.put(
            api_path("sync_answers", visit_id=visit.id), json={"answers": answers}, headers=phone
        )
        before = client.get(api_path("list_photos", visit_id=visit.id), headers=phone).json()
        ticket = next(i for i in before["items"] if i["item_code"] == "ticket_photo")
        assert (ticket["min_count"], ticket["max_count"], ticket["received"]) == (1, 2, 0)
        assert ticket["missing"] == 1
        submit = {"client_id": str(uuid.uuid4()), "submitted_at": "2026-03-18T09:30:00Z"}
        refused = client.post(
            api_path("submit_visit", visit_id=visit.id), json=submit, headers=phone
        )
        assert refused.status_code == 422
        assert {"item_code": "ticket_photo", "missing": "photo"} in refused.json()["errors"]
        sent = upload_required_photos(client, visit.id, phone)
        after = client.get(api_path("list_photos", visit_id=visit.id), headers=phone).json()
        assert all(i["missing"] == 0 for i in after["items"])
        assert len(after["photos"]) == sent
        accepted = client.post(
            api_path("submit_visit", visit_id=visit.id), json=submit, headers=phone
        )
        assert accepted.status_code == 200, accepted.text
        score = client.get(api_path("read_score", visit_id=visit.id), headers=phone).json()
        assert "required-item-unanswered" not in {f["code"] for f in score["findings"]}

    def test_who_sees_what(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        photo_id = post_photo(client, visit.id, bearer(shopper, clock), images.photo()).json()["id"]
        analyst = bearer(make_user(session, Role.analyst), clock)
        coordinator = bearer(make_user(session, Role.coordinator), clock)
        stranger = bearer(make_user(session, Role.shopper), clock)
        assert fetch(client, photo_id, "thumb", analyst)[0] == 200
        assert fetch(client, photo_id, "original", analyst)[0] == 403
        assert fetch(client, photo_id, "original", bearer(shopper, clock))[0] == 403
        status, original = fetch(client, photo_id, "original", coordinator)
        assert (status, original) == (200, images.photo())
        assert fetch(client, photo_id, "display", stranger)[0] == 404
        listed = client.get(api_path("list_photos", visit_id=visit.id), headers=analyst).json()
        assert listed["photos"][0]["gps_latitude"] is None
        staff_view = client.get(
            api_path("list_photos", visit_id=visit.id), headers=coordinator
        ).json()
        assert staff_view["photos"][0]["gps_latitude"] == pytest.approx(images.ASTANA[0], abs=1e-3)

    def test_retention_deletes_every_copy(
        self, app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        post_photo(client, visit.id, bearer(shopper, clock), images.photo())
        admin = bearer(make_user(session, Role.admin), clock)
        response = client.delete(api_path("delete_photos", visit_id=visit.id), headers=admin)
        assert response.json() == {"deleted": 1}
        assert stored_keys(app) == []


class TestSameBytesForAnotherItem:
    """A photo is (visit, item, bytes): one picture may be evidence for two items."""

    def test_is_a_new_photo_of_that_item(
        self, app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        checklist = client.get(
            api_path("read_checklist", checklist_id=visit.checklist_id), headers=phone
        ).json()
        answers = complete_answers(checklist["checklist"])
        client.put(
            api_path("sync_answers", visit_id=visit.id), json={"answers": answers}, headers=phone
        )
        data = images.photo()
        first = post_photo(client, visit.id, phone, data)
        second = post_photo(client, visit.id, phone, data, item=OTHER_ITEM)
        assert (first.status_code, second.status_code) == (201, 201), second.text
        assert second.json()["id"] != first.json()["id"]
        assert second.json()["item_code"] == OTHER_ITEM
        assert second.json()["sha256"] == first.json()["sha256"] == hashlib.sha256(data).hexdigest()
        listing = client.get(api_path("list_photos", visit_id=visit.id), headers=phone).json()
        received = {row["item_code"]: row["received"] for row in listing["items"]}
        assert (received["ticket_photo"], received[OTHER_ITEM]) == (1, 1)
        assert {p["item_code"] for p in listing["photos"]} == {"ticket_photo", OTHER_ITEM}
        coordinator = bearer(make_user(session, Role.coordinator), clock)
        for response in (first, second):
            assert fetch(client, response.json()["id"], "original", coordinator) == (200, data)
        # The same bytes for the same item again stay the one photo already stored.
        again = post_photo(client, visit.id, phone, data, item=OTHER_ITEM)
        assert (again.status_code, again.json()["id"]) == (200, second.json()["id"])
        assert len(stored_keys(app)) == 6

    def test_removing_one_row_leaves_the_other_whole(
        self, app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        data = images.photo(seed=5)
        kept = post_photo(client, visit.id, phone, data).json()["id"]
        dropped = post_photo(client, visit.id, phone, data, item=OTHER_ITEM).json()["id"]
        rows = {str(p.id): p for p in session.exec(select(Photo)).all()}
        keys = {i: own_keys(rows[i]) for i in rows}
        assert keys[kept].isdisjoint(keys[dropped])
        # What any per-row deletion does: the row and its own objects go.
        app.state.store.delete_many(keys[dropped])
        session.delete(rows[dropped])
        session.flush()
        far = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        report = lifecycle.cleanup(session, app.state.store, now=far, grace=dt.timedelta(hours=1))
        assert (report.expired_uploads, report.orphan_objects) == (0, 0)
        coordinator = bearer(make_user(session, Role.coordinator), clock)
        assert fetch(client, kept, "original", coordinator) == (200, data)
        assert fetch(client, kept, "display", coordinator)[0] == 200
        assert sorted(stored_keys(app)) == sorted(keys[kept])
