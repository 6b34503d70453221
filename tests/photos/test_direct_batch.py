"""Several direct uploads of a visit: tickets in one request, completes in one request."""

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.auth.models import User
from service.auth.roles import Role
from service.checklists import pinned
from service.photos.models import Photo, PhotoJob, PhotoStatus
from tests.conftest import FrozenClock
from tests.fixtures import images, photo_jobs
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.fixtures.statements import Statements
from tests.fixtures.users import make_user
from tests.photos.test_direct import put, upload_request

pytestmark = pytest.mark.parametrize("backend", [pytest.param("s3", marks=pytest.mark.s3)])


def tickets(
    client: TestClient, visit_id: uuid.UUID, phone: dict[str, str], photos: list[bytes]
) -> list[dict[str, Any]]:
    granted = client.post(
        api_path("start_uploads", visit_id=visit_id),
        json={"uploads": [upload_request(data) for data in photos]},
        headers=phone,
    )
    assert granted.status_code == 201, granted.text
    found: list[dict[str, Any]] = granted.json()["tickets"]
    return found


def complete(client: TestClient, visit_id: uuid.UUID, phone: dict[str, str], ids: list[str]) -> Any:
    return client.post(
        api_path("complete_uploads", visit_id=visit_id), json={"photo_ids": ids}, headers=phone
    )


def statuses(session: Session, visit_id: uuid.UUID) -> dict[str, PhotoStatus]:
    session.expire_all()
    rows = session.exec(select(Photo).where(Photo.visit_id == visit_id)).all()
    return {str(p.id): p.status for p in rows}


def test_a_visits_uploads_complete_in_one_request(
    app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    visit = make_visit(session, shopper=shopper)
    phone = bearer(shopper, clock)
    photos = [images.photo(seed=40 + i) for i in range(3)]
    granted = tickets(client, visit.id, phone, photos)
    for data, given in zip(photos, granted, strict=True):
        assert put(given["upload_url"], data, given["headers"]) == 200
    ids = [t["photo_id"] for t in granted]

    done = complete(client, visit.id, phone, ids)

    assert done.status_code == 200, done.text
    assert [p["id"] for p in done.json()["photos"]] == ids
    assert {p["status"] for p in done.json()["photos"]} == {"processing"}
    assert set(statuses(session, visit.id).values()) == {PhotoStatus.processing}
    assert len(session.exec(select(PhotoJob)).all()) == 3
    again = complete(client, visit.id, phone, ids)  # a retry: the same photos, nothing new
    assert again.status_code == 200, again.text
    assert again.json() == done.json()
    assert photo_jobs.drain(client) == 3
    assert set(statuses(session, visit.id).values()) == {PhotoStatus.ready}


def test_one_upload_missing_refuses_the_request_and_the_rest_wait(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    visit = make_visit(session, shopper=shopper)
    phone = bearer(shopper, clock)
    photos = [images.photo(seed=50 + i) for i in range(3)]
    granted = tickets(client, visit.id, phone, photos)
    for data, given in list(zip(photos, granted, strict=True))[:2]:
        assert put(given["upload_url"], data, given["headers"]) == 200
    ids = [t["photo_id"] for t in granted]

    refused = complete(client, visit.id, phone, ids)

    problem = assert_problem(refused, 409, "upload-missing")
    assert ids[2] in problem["detail"]
    assert set(statuses(session, visit.id).values()) == {PhotoStatus.pending}
    assert put(granted[2]["upload_url"], photos[2], granted[2]["headers"]) == 200
    done = complete(client, visit.id, phone, ids)
    assert done.status_code == 200, done.text
    assert set(statuses(session, visit.id).values()) == {PhotoStatus.processing}


def test_a_photo_of_another_visit_is_not_found(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    mine, theirs = (
        make_visit(session, shopper=shopper),
        make_visit(session, shopper=make_user(session, Role.shopper)),
    )
    phone = bearer(shopper, clock)
    data = images.photo(seed=60)
    (given,) = tickets(client, mine.id, phone, [data])
    assert put(given["upload_url"], data, given["headers"]) == 200

    elsewhere = complete(client, mine.id, phone, [given["photo_id"], str(uuid.uuid4())])
    not_mine = complete(client, theirs.id, phone, [given["photo_id"]])

    assert "There is no photo" in assert_problem(elsewhere, 404, "photo-not-found")["detail"]
    assert_problem(not_mine, 404, "visit-not-found")
    assert statuses(session, mine.id) == {given["photo_id"]: PhotoStatus.pending}


def test_tickets_for_another_shoppers_visit_are_not_found(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    theirs = make_visit(session, shopper=make_user(session, Role.shopper))
    phone = bearer(shopper, clock)
    body = {"uploads": [upload_request(images.photo(seed=61))]}

    batch = client.post(api_path("start_uploads", visit_id=theirs.id), json=body, headers=phone)
    one = client.post(
        api_path("start_upload", visit_id=theirs.id), json=body["uploads"][0], headers=phone
    )

    assert_problem(batch, 404, "visit-not-found")
    assert_problem(one, 404, "visit-not-found")
    assert statuses(session, theirs.id) == {}


def test_more_ids_than_a_request_may_complete_are_refused(
    app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    visit = make_visit(session, shopper=shopper)
    limit = app.state.settings.upload.max_tickets_per_request
    ids = [str(uuid.uuid4()) for _ in range(limit + 1)]

    refused = complete(client, visit.id, bearer(shopper, clock), ids)
    empty = complete(client, visit.id, bearer(shopper, clock), [])

    assert f"at most {limit}" in assert_problem(refused, 422, "validation-failed")["detail"]
    assert_problem(empty, 422, "validation-failed", field="photo_ids")


def test_one_client_id_twice_in_a_ticket_batch_is_one_reservation(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    visit = make_visit(session, shopper=shopper)
    data = images.photo(seed=70)
    twice = upload_request(data)

    granted = client.post(
        api_path("start_uploads", visit_id=visit.id),
        json={"uploads": [twice, twice]},
        headers=bearer(shopper, clock),
    )

    assert granted.status_code == 201, granted.text
    first, second = granted.json()["tickets"]
    assert first["photo_id"] == second["photo_id"]
    assert statuses(session, visit.id) == {first["photo_id"]: PhotoStatus.pending}


def test_a_ticket_batch_larger_than_the_items_room_is_refused_whole(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    visit = make_visit(session, shopper=shopper)
    phone = bearer(shopper, clock)
    tickets(client, visit.id, phone, [images.photo(seed=80 + i) for i in range(3)])

    refused = client.post(
        api_path("start_uploads", visit_id=visit.id),
        json={"uploads": [upload_request(images.photo(seed=90 + i)) for i in range(3)]},
        headers=phone,
    )

    problem = assert_problem(refused, 409, "too-many-photos")
    assert "signage_clear" in problem["detail"]
    assert len(statuses(session, visit.id)) == 3


def test_the_same_bytes_twice_in_one_complete_are_one_photo(
    app: FastAPI, client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    visit = make_visit(session, shopper=shopper)
    phone = bearer(shopper, clock)
    data = images.photo(seed=99)
    granted = tickets(client, visit.id, phone, [data, data])  # two client ids, one picture
    for given in granted:
        assert put(given["upload_url"], data, given["headers"]) == 200
    first, second = (t["photo_id"] for t in granted)

    done = complete(client, visit.id, phone, [first, second])

    assert done.status_code == 200, done.text
    assert [p["id"] for p in done.json()["photos"]] == [first, first]
    assert statuses(session, visit.id) == {first: PhotoStatus.processing}
    # The duplicate's object goes once the request has committed.
    assert list(app.state.store.list_keys(f"photos/{visit.id}/{second}/")) == []


def test_tickets_and_complete_send_the_same_statements_for_one_photo_or_three(
    app: FastAPI,
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    shopper: User,
    statements: Statements,
) -> None:
    """Tickets read the visit once, under its lock, with its checklist's hash and the
    shopper's account; complete reads the visit with the account, updates the photos' rows
    in one statement and inserts their jobs in one. The parse cache is warm (a server that
    has seen the checklist once)."""
    phone = bearer(shopper, clock)
    counted: list[list[str]] = []
    granting: list[list[str]] = []
    for count in (1, 3):
        visit = make_visit(session, shopper=shopper)
        pinned.checklist_for_visit(session, visit)
        photos = [images.photo(seed=60 + count + i) for i in range(count)]
        statements.seen.clear()
        statements.recording = True
        granted = tickets(client, visit.id, phone, photos)
        statements.recording = False
        granting.append(list(statements.seen))
        for data, given in zip(photos, granted, strict=True):
            assert put(given["upload_url"], data, given["headers"]) == 200
        statements.seen.clear()
        statements.recording = True
        done = complete(client, visit.id, phone, [t["photo_id"] for t in granted])
        statements.recording = False
        assert done.status_code == 200, done.text
        counted.append(list(statements.seen))
    # The visit, locked (starting it: its update and event); the batch's client ids; each
    # item's photos so far; the reservations.
    reserve = ["SELECT visits", "UPDATE visits", "INSERT visit_events"]
    reserve += ["SELECT photos", "SELECT photos", "INSERT photos"]
    assert granting == [reserve, reserve]
    # Before the HEADs: the visit, the photos. Under the lock: the visit, the photos again,
    # those of the same bytes, each item's count; then the rows and the jobs.
    check = ["SELECT visits", "SELECT photos", "SELECT visits"]
    check += ["SELECT photos", "SELECT photos", "SELECT photos", "UPDATE photos"]
    assert counted == [check + ["INSERT photo_jobs"]] * 2
    assert len(session.exec(select(PhotoJob)).all()) == 4
