import datetime as dt
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import User
from service.auth.roles import Role
from service.offices.regions import Region
from service.photos.models import Photo, PhotoStatus
from tests.conftest import NOW, FrozenClock
from tests.fixtures.factories import make_office, make_visit
from tests.fixtures.http import bearer as headers_for
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user


def assignment(session: Session, shopper: User, **kw: Any) -> dict[str, Any]:
    office = make_office(session)
    return {
        "service_code": "S26",
        "office_id": office.id,
        "shopper_id": str(shopper.id),
        "channel": "in_person",
        "window_start_at": "2026-03-20T09:00:00+05:00",
        "window_end_at": "2026-03-20T18:00:00+05:00",
        "wave": "2026-spring",
    } | kw


class TestCreateVisit:
    def test_pins_checklist_and_standard(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        shopper: User,
    ) -> None:
        response = client.post(
            api_path("create_visit"),
            json=assignment(session, shopper),
            headers=headers_for(coordinator, clock),
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["status"] == "assigned"
        checklist = client.get(
            api_path("read_checklist", checklist_id=body["checklist_id"]),
            headers=headers_for(shopper, clock),
        ).json()
        assert checklist["service_code"] == "S26"
        assert checklist["channel"] == "in_person"
        assert body["allowed_actions"] == ["cancel"]

    def test_retry_with_client_id_creates_one_visit(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        shopper: User,
    ) -> None:
        data = assignment(session, shopper, client_id=str(uuid.uuid4()))
        headers = headers_for(coordinator, clock)
        first = client.post(api_path("create_visit"), json=data, headers=headers)
        again = client.post(api_path("create_visit"), json=data, headers=headers)
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["id"] == again.json()["id"]
        changed = client.post(
            api_path("create_visit"), json=data | {"wave": "other"}, headers=headers
        )
        assert changed.status_code == 409
        assert changed.json()["code"] == "visit-conflict"

    def test_coordinator_cannot_be_the_shopper(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        response = client.post(
            api_path("create_visit"),
            json=assignment(session, coordinator),
            headers=headers_for(coordinator, clock),
        )
        assert response.status_code == 422
        assert response.json()["code"] == "shopper-not-active"

    @pytest.mark.parametrize(
        "change",
        [
            {"window_end_at": "2026-03-20T08:00:00+05:00"},
            {"window_start_at": "2026-03-20T09:00:00"},
            {"channel": "fax"},
            {"extra": 1},
        ],
    )
    def test_malformed_is_422(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        shopper: User,
        change: dict[str, Any],
    ) -> None:
        response = client.post(
            api_path("create_visit"),
            json=assignment(session, shopper) | change,
            headers=headers_for(coordinator, clock),
        )
        assert response.status_code == 422
        assert response.json()["code"] == "validation-failed"


class TestListVisits:
    def test_shopper_sees_only_their_own(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        mine = make_visit(session, shopper=shopper)
        make_visit(session)
        body = client.get(api_path("list_visits"), headers=headers_for(shopper, clock)).json()
        assert [v["id"] for v in body["items"]] == [str(mine.id)]
        assert body["total"] == 1

    def test_filters(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        shymkent = make_office(session, Region.shymkent)
        a = make_visit(session, office=shymkent, wave="w1")
        b = make_visit(session, service_code="S33", wave="w2")
        headers = headers_for(coordinator, clock)

        def ids(query: str) -> set[str]:
            items = client.get(
                api_path("list_visits") + f"?{query}&limit=200", headers=headers
            ).json()["items"]
            return {v["id"] for v in items}

        assert str(a.id) in ids("region=shymkent")
        assert str(b.id) not in ids("region=shymkent")
        assert ids("service=S33") >= {str(b.id)}
        assert str(a.id) not in ids("service=S33")
        assert ids("wave=w1") == {str(a.id)}
        assert ids(f"shopper_id={a.shopper_id}") == {str(a.id)}
        assert ids("status=submitted&wave=w1") == set()
        assert ids("window_from=2030-01-01T00:00:00Z") == set()

    def test_overdue_and_flagged(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        ends_soon = make_visit(session, wave="w1")
        ends_later = make_visit(session, wave="w1", window_end_at=NOW + dt.timedelta(days=2))
        flagged = make_visit(session, wave="w1", window_end_at=NOW + dt.timedelta(days=2))
        for visit, flags in ((flagged, ["no-exif"]), (ends_later, [])):
            session.add(
                Photo(
                    client_id=uuid.uuid4(),
                    visit_id=visit.id,
                    item_code="hours_photo",
                    status=PhotoStatus.ready,
                    taken_at=NOW,
                    flags=flags,
                    original_key=f"originals/{uuid.uuid4()}",
                    uploaded_by_id=visit.shopper_id,
                    created_at=NOW,
                )
            )
        session.flush()
        clock.advance(hours=10)  # ends_soon's window (to 13:00 UTC) has ended
        headers = headers_for(coordinator, clock)

        def ids(query: str) -> set[str]:
            url = api_path("list_visits") + f"?wave=w1&{query}"
            return {v["id"] for v in client.get(url, headers=headers).json()["items"]}

        assert ids("overdue=true") == {str(ends_soon.id)}
        assert ids("flagged=true") == {str(flagged.id)}
        assert ids("overdue=false") == {str(v.id) for v in (ends_soon, ends_later, flagged)}

    @pytest.mark.parametrize(
        "query", ["status=lost", "region=mars", "service=26", "window_from=soon"]
    )
    def test_bad_filters_are_422(
        self, client: TestClient, clock: FrozenClock, coordinator: User, query: str
    ) -> None:
        response = client.get(
            api_path("list_visits") + f"?{query}", headers=headers_for(coordinator, clock)
        )
        assert_problem(response, 422, "validation-failed", field=query.split("=")[0])


class TestReadVisit:
    def test_another_shoppers_visit_is_404(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        other = make_visit(session)
        response = client.get(
            api_path("read_visit", visit_id=other.id), headers=headers_for(shopper, clock)
        )
        assert response.status_code == 404
        assert response.json()["code"] == "visit-not-found"
        writes = [
            (
                "PUT",
                api_path("sync_answers", visit_id=other.id),
                {
                    "answers": [
                        {
                            "client_id": str(uuid.uuid4()),
                            "item_code": "x",
                            "value": 1,
                            "answered_at": "2026-03-18T10:00:00Z",
                        }
                    ]
                },
            ),
            ("POST", api_path("start_visit", visit_id=other.id), None),
            (
                "POST",
                api_path("submit_visit", visit_id=other.id),
                {"client_id": str(uuid.uuid4()), "submitted_at": "2026-03-18T10:00:00Z"},
            ),
        ]
        for method, path, body in writes:
            answer = client.request(method, path, json=body, headers=headers_for(shopper, clock))
            assert answer.status_code == 404, (method, path)

    def test_analyst_sees_no_personal_data(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        visit = make_visit(session)
        analyst = make_user(session, Role.analyst)
        body = client.get(
            api_path("read_visit", visit_id=visit.id), headers=headers_for(analyst, clock)
        ).json()
        assert body["shopper_id"] == str(visit.shopper_id)
        text = str(body)
        assert "@" not in text
        assert "Test Shopper" not in text


class TestHistory:
    def test_staff_reads_history_shopper_cannot(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        visit = make_visit(session)
        shopper = session.get(User, visit.shopper_id)
        assert shopper is not None
        events = client.get(
            api_path("read_visit_history", visit_id=visit.id),
            headers=headers_for(coordinator, clock),
        )
        assert [e["action"] for e in events.json()] == ["assign"]
        refused = client.get(
            api_path("read_visit_history", visit_id=visit.id), headers=headers_for(shopper, clock)
        )
        assert refused.status_code == 403
