"""POST /visits/{id}/result: the result's dates after the visit, the deadline judged again.

S26 is 7 working days (report line 2498). Filed Wednesday 18 March 2026, it is due Wednesday
1 April: Nauryz (23-25 March) and the weekends do not count.
"""

import datetime as dt
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from service.auth.models import User
from service.auth.roles import Role
from service.visits.models import Visit, VisitResult
from tests.conftest import FrozenClock
from tests.fixtures.factories import complete_answers, make_visit, upload_required_photos
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user

AT = "2026-03-18T10:30:00+05:00"
# A visit whose result has not come yet: filed on the day, nothing received.
ANSWERS = {
    "arrived_at": "2026-03-18T10:00:00+05:00",
    "ticket_taken_at": "2026-03-18T10:02:00+05:00",
    "number_called_at": "2026-03-18T10:10:00+05:00",
    "service_started_at": "2026-03-18T10:11:00+05:00",
    "service_ended_at": "2026-03-18T10:20:00+05:00",
    "application_submitted_on": "2026-03-18",
    "result_promised_on": "2026-04-01",
    # No notice of readiness yet, so its date is not asked.
    "notification_received": "no",
}


def answer(client: TestClient, visit: Visit, phone: dict[str, str]) -> None:
    checklist = client.get(
        api_path("read_checklist", checklist_id=visit.checklist_id), headers=phone
    ).json()["checklist"]
    skip = {*ANSWERS, "notification_received_on"}
    answers = [a for a in complete_answers(checklist, at=AT) if a["item_code"] not in skip]
    answers += [
        {"client_id": str(uuid.uuid4()), "item_code": code, "value": value, "answered_at": AT}
        for code, value in ANSWERS.items()
    ]
    response = client.put(
        api_path("sync_answers", visit_id=visit.id), json={"answers": answers}, headers=phone
    )
    assert response.status_code == 200, response.text


def submitted(client: TestClient, session: Session, clock: FrozenClock, shopper: User) -> Visit:
    visit = make_visit(session, shopper=shopper, service_code="S26")
    phone = bearer(shopper, clock)
    answer(client, visit, phone)
    upload_required_photos(client, visit.id, phone)
    body = {"client_id": str(uuid.uuid4()), "submitted_at": "2026-03-18T06:00:00Z"}
    response = client.post(api_path("submit_visit", visit_id=visit.id), json=body, headers=phone)
    assert response.status_code == 200, response.text
    return visit


def approved(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User, staff: User
) -> Visit:
    visit = submitted(client, session, clock, shopper)
    response = client.post(
        api_path("review_visit", visit_id=visit.id),
        json={"client_id": str(uuid.uuid4()), "action": "approve"},
        headers=bearer(staff, clock),
    )
    assert response.json()["status"] == "approved"
    return visit


def post_result(client: TestClient, visit: Visit, headers: dict[str, str], **body: Any) -> Any:
    body.setdefault("client_id", str(uuid.uuid4()))
    return client.post(
        api_path("record_visit_result", visit_id=visit.id), json=body, headers=headers
    )


def score(client: TestClient, visit: Visit, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get(api_path("read_score", visit_id=visit.id), headers=headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


class TestApprovedVisit:
    def test_pending_becomes_on_time_judged_on_the_ready_day(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        coordinator: User,
    ) -> None:
        visit = approved(client, session, clock, shopper, coordinator)
        staff = bearer(coordinator, clock)
        assert score(client, visit, staff)["deadline"]["status"] == "pending"
        clock.advance(days=21)  # 8 April: collected a week after the notice
        staff = bearer(coordinator, clock)
        response = post_result(
            client, visit, staff, ready_on="2026-03-31", received_on="2026-04-08"
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["deadline_before"], body["deadline_after"]) == ("pending", "on_time")
        assert (body["ready_on"], body["received_on"]) == ("2026-03-31", "2026-04-08")
        deadline = score(client, visit, staff)["deadline"]
        assert (deadline["status"], deadline["due_date"]) == ("on_time", "2026-04-01")
        assert (deadline["result_on"], deadline["result_basis"]) == ("2026-03-31", "ready")
        assert deadline["received_on"] == "2026-04-08"
        read = client.get(api_path("read_visit", visit_id=visit.id), headers=staff).json()
        assert read["status"] == "approved"  # judged again, not reopened

    def test_pending_becomes_late_and_the_history_keeps_the_verdict_before(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        coordinator: User,
    ) -> None:
        visit = approved(client, session, clock, shopper, coordinator)
        before = score(client, visit, bearer(coordinator, clock))
        clock.advance(days=21)
        staff = bearer(coordinator, clock)
        response = post_result(client, visit, staff, received_on="2026-04-03")
        assert response.json()["deadline_after"] == "late"
        after = score(client, visit, staff)
        assert after["deadline"]["late_by_working_days"] == 2
        assert "deadline-late" in [f["code"] for f in after["findings"]]
        assert after["score"] < before["score"]
        history = client.get(api_path("read_visit_history", visit_id=visit.id), headers=staff)
        event = history.json()[-1]
        assert (event["action"], event["actor_id"]) == ("result", str(coordinator.id))
        assert (event["from_status"], event["to_status"]) == (None, None)
        assert event["detail"]["received_on"] == "2026-04-03"
        assert event["detail"]["before"]["deadline"]["status"] == "pending"
        assert event["detail"]["before"]["score"] == before["score"]
        assert event["detail"]["after"]["deadline"]["status"] == "late"
        rows = session.exec(select(VisitResult).where(col(VisitResult.visit_id) == visit.id))
        stored = [(r.received_date, r.deadline_before, r.deadline_after) for r in rows]
        assert [(str(d), b, a) for d, b, a in stored] == [("2026-04-03", "pending", "late")]

    def test_a_later_follow_up_keeps_the_date_it_does_not_give(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        coordinator: User,
    ) -> None:
        visit = approved(client, session, clock, shopper, coordinator)
        clock.advance(days=21)
        staff = bearer(coordinator, clock)
        first = post_result(client, visit, staff, received_on="2026-04-03")
        second = post_result(client, visit, staff, ready_on="2026-03-30")
        assert (first.json()["deadline_after"], second.json()["deadline_after"]) == (
            "late",
            "on_time",
        )
        assert second.json()["deadline_before"] == "late"
        session.expire_all()
        row = session.get(Visit, visit.id)
        assert row is not None
        assert (str(row.result_ready_date), str(row.result_received_date)) == (
            "2026-03-30",
            "2026-04-03",
        )


class TestIdempotency:
    def test_same_client_id_same_dates_is_stored_once(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        coordinator: User,
    ) -> None:
        visit = approved(client, session, clock, shopper, coordinator)
        clock.advance(days=21)
        staff = bearer(coordinator, clock)
        key = str(uuid.uuid4())
        first = post_result(client, visit, staff, client_id=key, received_on="2026-04-03")
        again = post_result(client, visit, staff, client_id=key, received_on="2026-04-03")
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        history = client.get(api_path("read_visit_history", visit_id=visit.id), headers=staff)
        assert [e["action"] for e in history.json()].count("result") == 1

    def test_same_client_id_other_dates_is_409(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        coordinator: User,
    ) -> None:
        visit = approved(client, session, clock, shopper, coordinator)
        clock.advance(days=21)
        staff = bearer(coordinator, clock)
        key = str(uuid.uuid4())
        post_result(client, visit, staff, client_id=key, received_on="2026-04-03")
        response = post_result(client, visit, staff, client_id=key, received_on="2026-04-02")
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "result-conflict"
        assert score(client, visit, staff)["deadline"]["result_on"] == "2026-04-03"


class TestWhoMay:
    def test_the_shopper_records_while_the_visit_is_open(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper, service_code="S26")
        phone = bearer(shopper, clock)
        answer(client, visit, phone)
        response = post_result(client, visit, phone, ready_on="2026-03-18")
        assert response.status_code == 201, response.text
        # Not scored yet: no verdict before or after; the submit's score reads the date.
        assert (response.json()["deadline_before"], response.json()["deadline_after"]) == (
            None,
            None,
        )
        upload_required_photos(client, visit.id, phone)
        body = {"client_id": str(uuid.uuid4()), "submitted_at": "2026-03-18T06:00:00Z"}
        client.post(api_path("submit_visit", visit_id=visit.id), json=body, headers=phone)
        deadline = score(client, visit, phone)["deadline"]
        assert (deadline["status"], deadline["result_basis"]) == ("on_time", "ready")

    def test_the_shopper_cannot_once_submitted(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = submitted(client, session, clock, shopper)
        response = post_result(client, visit, bearer(shopper, clock), received_on="2026-03-18")
        assert response.status_code == 409
        assert response.json()["code"] == "visit-not-editable"

    def test_another_shoppers_visit_is_404(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper, service_code="S26")
        other = bearer(make_user(session, Role.shopper), clock)
        response = post_result(client, visit, other, received_on="2026-03-18")
        assert response.status_code == 404
        assert response.json()["code"] == "visit-not-found"

    def test_an_analyst_is_403(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper, service_code="S26")
        analyst = bearer(make_user(session, Role.analyst), clock)
        response = post_result(client, visit, analyst, received_on="2026-03-18")
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        session.expire_all()
        assert session.exec(select(VisitResult)).all() == []


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ({}, "validation-failed"),
            ({"ready_on": "2026-03-18", "received_on": "2026-03-17"}, "validation-failed"),
            ({"received_on": "18.03.2026"}, "validation-failed"),
            ({"received_on": "2026-03-18", "note": "x"}, "validation-failed"),
            ({"received_on": "2026-03-19"}, "result-dates-invalid"),  # tomorrow
        ],
    )
    def test_refused_as_problem_json(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        body: dict[str, str],
        code: str,
    ) -> None:
        visit = make_visit(session, service_code="S26")
        response = post_result(client, visit, bearer(coordinator, clock), **body)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == code

    def test_received_before_the_recorded_ready_day_is_refused(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        visit = make_visit(session, service_code="S26")
        staff = bearer(coordinator, clock)
        assert post_result(client, visit, staff, ready_on="2026-03-18").status_code == 201
        clock.advance(days=1)
        response = post_result(client, visit, bearer(coordinator, clock), received_on="2026-03-17")
        assert response.status_code == 422
        assert response.json()["code"] == "result-dates-invalid"

    @pytest.mark.parametrize("field", ["ready_on", "received_on"])
    def test_a_day_before_the_visits_window_is_refused_and_nothing_stored(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        field: str,
    ) -> None:
        # The window opens on 18 March 2026 (Astana time): a year typed wrong is refused.
        visit = make_visit(session, service_code="S26")
        response = post_result(client, visit, bearer(coordinator, clock), **{field: "2016-03-18"})
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "result-dates-invalid"
        assert body["errors"] == [{"field": field, "value": "2016-03-18"}]
        assert "before the visit (2026-03-18)" in body["detail"]
        session.expire_all()
        assert session.exec(select(VisitResult)).all() == []
        stored = session.get(Visit, visit.id)
        assert stored is not None
        assert (stored.result_ready_date, stored.result_received_date) == (None, None)

    def test_the_windows_own_local_day_is_accepted(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        # 19:30 UTC on 17 March is 00:30 on 18 March in Astana: the window's first day is the
        # 18th, so the 17th is refused and the 18th recorded.
        start = dt.datetime(2026, 3, 17, 19, 30, tzinfo=dt.UTC)
        visit = make_visit(session, service_code="S26", window_start_at=start)
        staff = bearer(coordinator, clock)
        early = post_result(client, visit, staff, received_on="2026-03-17")
        assert early.json()["code"] == "result-dates-invalid"
        recorded = post_result(client, visit, staff, received_on="2026-03-18")
        assert recorded.status_code == 201
        assert recorded.json()["received_on"] == "2026-03-18"

    def test_a_shopper_who_started_before_the_window_may_date_from_that_day(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        visit = make_visit(session, service_code="S26")  # its window opens on 18 March
        visit.started_at = dt.datetime(2026, 3, 16, 5, 0, tzinfo=dt.UTC)
        session.add(visit)
        session.flush()
        response = post_result(client, visit, bearer(coordinator, clock), ready_on="2026-03-16")
        assert response.status_code == 201
        assert response.json()["ready_on"] == "2026-03-16"

    def test_a_cancelled_visit_is_409(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        visit = make_visit(session, service_code="S26")
        staff = bearer(coordinator, clock)
        client.post(
            api_path("cancel_visit", visit_id=visit.id),
            json={"client_id": str(uuid.uuid4()), "reason": "closed"},
            headers=staff,
        )
        response = post_result(client, visit, staff, received_on="2026-03-18")
        assert response.status_code == 409
        assert response.json()["code"] == "visit-not-editable"
