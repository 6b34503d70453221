"""Answer sync and the visit's life over HTTP, as phones and coordinators use them."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import User
from service.checklists.format import ChecklistChannel
from service.visits import repository
from service.visits.models import Visit
from tests.conftest import FrozenClock
from tests.fixtures.factories import complete_answers, make_visit, upload_required_photos
from tests.fixtures.http import bearer
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path

T0 = "2026-03-18T10:00:00+05:00"


def answer(item_code: str, value: Any, at: str = T0, **kw: Any) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "item_code": item_code,
        "value": value,
        "answered_at": at,
    } | kw


def sync(
    client: TestClient, visit: Visit, headers: dict[str, str], *answers: dict[str, Any]
) -> Any:
    return client.put(
        api_path("sync_answers", visit_id=visit.id),
        json={"answers": list(answers)},
        headers=headers,
    )


def checklist(client: TestClient, visit: Visit, headers: dict[str, str]) -> dict[str, Any]:
    body: dict[str, dict[str, Any]] = client.get(
        api_path("read_checklist", checklist_id=visit.checklist_id), headers=headers
    ).json()
    return body["checklist"]


def submit(
    client: TestClient,
    visit: Visit,
    headers: dict[str, str],
    client_id: str | None = None,
    at: str = "2026-03-18T09:30:00Z",
) -> Any:
    if (
        client.get(api_path("read_visit", visit_id=visit.id), headers=headers).json()["status"]
        != "submitted"
    ):
        upload_required_photos(client, visit.id, headers)
    body = {"client_id": client_id or str(uuid.uuid4()), "submitted_at": at}
    return client.post(api_path("submit_visit", visit_id=visit.id), json=body, headers=headers)


class TestSync:
    def test_first_sync_starts_the_visit(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        headers = bearer(shopper, clock)
        response = sync(client, visit, headers, answer("working_hours_posted", "yes"))
        assert response.status_code == 200, response.text
        assert response.json()["created"] == 1
        assert (
            client.get(api_path("read_visit", visit_id=visit.id), headers=headers).json()["status"]
            == "in_progress"
        )

    def test_first_sync_records_the_implicit_start_then_the_sync(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        coordinator: User,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        batch = [answer("working_hours_posted", "yes")]
        assert sync(client, visit, phone, *batch).json()["created"] == 1
        assert sync(client, visit, phone, *batch).json()["unchanged"] == 1
        history = client.get(
            api_path("read_visit_history", visit_id=visit.id), headers=bearer(coordinator, clock)
        ).json()
        moves = [(e["action"], e["from_status"], e["to_status"], e["detail"]) for e in history]
        # The resend stored nothing, so it left no trace in the history.
        assert moves == [
            ("assign", None, "assigned", {}),
            ("start", "assigned", "in_progress", {"implicit": True}),
            ("sync", None, None, {"created": 1, "unchanged": 0}),
        ]
        assert {e["actor_id"] for e in history[1:]} == {str(shopper.id)}

    def test_oversized_batch_is_refused_before_the_visit_starts(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        response = sync(client, visit, phone, *[answer("overall_rating", 4)] * 501)
        assert response.status_code == 422
        assert response.json()["code"] == "answers-invalid"
        status = client.get(api_path("read_visit", visit_id=visit.id), headers=phone).json()[
            "status"
        ]
        assert status == "assigned"

    def test_same_batch_three_times_stores_once(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        headers = bearer(shopper, clock)
        batch = [answer("working_hours_posted", "yes"), answer("overall_rating", 4)]
        outcomes = [sync(client, visit, headers, *batch).json() for _ in range(3)]
        assert [o["created"] for o in outcomes] == [2, 0, 0]
        assert [o["unchanged"] for o in outcomes] == [0, 2, 2]
        history = client.get(
            api_path("list_answers", visit_id=visit.id) + "?history=true", headers=headers
        ).json()
        assert (len(history["items"]), history["total"], history["dropped"]) == (2, 2, [])

    def test_server_keeps_both_clocks(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        headers = bearer(shopper, clock)
        sync(client, visit, headers, answer("overall_rating", 4, at="2026-03-18T08:00:00+05:00"))
        stored = client.get(api_path("list_answers", visit_id=visit.id), headers=headers).json()[
            "items"
        ][0]
        assert stored["answered_at"] == "2026-03-18T03:00:00Z"
        assert stored["received_at"] == "2026-03-18T09:30:00Z"

    def test_same_client_id_different_content_is_409_and_stores_nothing(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        headers = bearer(shopper, clock)
        first = answer("overall_rating", 4)
        sync(client, visit, headers, first)
        response = sync(
            client, visit, headers, first | {"value": 2}, answer("working_hours_posted", "yes")
        )
        assert response.status_code == 409
        assert response.json()["code"] == "answer-conflict"
        assert response.json()["errors"] == [
            {"client_id": first["client_id"], "item_code": "overall_rating"}
        ]
        current = client.get(api_path("list_answers", visit_id=visit.id), headers=headers).json()
        assert [(a["item_code"], a["value"]) for a in current["items"]] == [("overall_rating", 4)]

    def test_newer_answer_replaces_older_and_history_is_kept(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        headers = bearer(shopper, clock)
        newer = answer("overall_rating", 2, at="2026-03-18T11:00:00+05:00")
        older = answer("overall_rating", 5, at="2026-03-18T10:00:00+05:00")
        assert sync(client, visit, headers, newer).json()["results"][0]["outcome"] == "created"
        # The older answer arrives late (a retry from a queue): kept, but not current.
        assert sync(client, visit, headers, older).json()["results"][0]["outcome"] == "superseded"
        current = client.get(api_path("list_answers", visit_id=visit.id), headers=headers).json()
        assert [a["value"] for a in current["items"]] == [2]
        history = client.get(
            api_path("list_answers", visit_id=visit.id) + "?history=true", headers=headers
        ).json()
        # By item, then by the phone's time: the late older answer comes first.
        assert [(a["value"], a["is_current"]) for a in history["items"]] == [(5, False), (2, True)]
        newest = answer("overall_rating", 3, at="2026-03-18T12:00:00+05:00")
        sync(client, visit, headers, newest)
        current = client.get(api_path("list_answers", visit_id=visit.id), headers=headers).json()
        assert [a["value"] for a in current["items"]] == [3]

    @pytest.mark.parametrize(
        ("item_code", "value", "fragment"),
        [
            ("overall_rating", 7, "above the maximum 5"),
            ("overall_rating", "five", "expected a number"),
            ("working_hours_posted", "maybe", "expected one of yes, no"),
            ("ticket_taken_at", "2026-03-18T10:00:00", "no UTC offset"),
            ("ticket_taken_at", "yesterday", "not an ISO 8601"),
            ("application_submitted_on", "2026-02-30", "not a date"),
            ("documents_demanded", ["passport"], "expected {"),
            ("no_such_item", 1, "no item no_such_item"),
            ("overall_rating", None, "a value is required"),
        ],
    )
    def test_values_are_checked_against_the_item(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        item_code: str,
        value: Any,
        fragment: str,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        headers = bearer(shopper, clock)
        good = answer("working_hours_posted", "yes")
        response = sync(client, visit, headers, good, answer(item_code, value))
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "answers-invalid"
        assert [e["index"] for e in body["errors"]] == [1]
        assert fragment in body["errors"][0]["msg"]
        listed = client.get(api_path("list_answers", visit_id=visit.id), headers=headers).json()
        assert listed["items"] == []

    def test_na_only_where_allowed(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        headers = bearer(shopper, clock)
        assert (
            sync(client, visit, headers, answer("result_received_on", None, na=True)).status_code
            == 200
        )
        refused = sync(client, visit, headers, answer("overall_rating", None, na=True))
        assert "cannot be answered N/A" in refused.json()["errors"][0]["msg"]

    def test_batch_limit(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        batch = [answer("overall_rating", 4) for _ in range(501)]
        response = sync(client, visit, bearer(shopper, clock), *batch)
        assert response.status_code == 422
        assert "at most 500" in response.json()["detail"]

    def test_repeated_client_id_in_one_batch(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        one = answer("overall_rating", 4)
        response = sync(client, visit, bearer(shopper, clock), one, one)
        assert response.status_code == 422
        assert "repeats" in response.json()["errors"][0]["msg"]

    def test_coordinator_cannot_sync(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        visit = make_visit(session)
        response = sync(client, visit, bearer(coordinator, clock), answer("overall_rating", 4))
        assert_problem(response, 403, "forbidden")


class TestWorkflow:
    @pytest.mark.parametrize(
        ("service_code", "channel"),
        [
            ("S26", ChecklistChannel.in_person),
            ("S17", ChecklistChannel.call_1414),
            ("S27", ChecklistChannel.egov),
        ],
    )
    def test_whole_flow_per_channel(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        coordinator: User,
        service_code: str,
        channel: ChecklistChannel,
    ) -> None:
        visit = make_visit(session, shopper=shopper, service_code=service_code, channel=channel)
        phone, staff = bearer(shopper, clock), bearer(coordinator, clock)
        answers = complete_answers(checklist(client, visit, phone))
        assert sync(client, visit, phone, *answers).status_code == 200
        submitted = submit(client, visit, phone)
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["status"] == "submitted"
        approved = client.post(
            api_path("review_visit", visit_id=visit.id),
            json={"client_id": str(uuid.uuid4()), "action": "approve"},
            headers=staff,
        )
        assert approved.json()["status"] == "approved"
        history = client.get(
            api_path("read_visit_history", visit_id=visit.id), headers=staff
        ).json()
        assert [e["action"] for e in history] == ["assign", "start", "sync", "submit", "approve"]

    def test_submit_lists_missing_required_items(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        answers = complete_answers(checklist(client, visit, phone))
        sync(client, visit, phone, *[a for a in answers if a["item_code"] != "overall_rating"])
        response = submit(client, visit, phone)
        assert response.status_code == 422
        assert response.json()["code"] == "submission-incomplete"
        assert {"item_code": "overall_rating"} in response.json()["errors"]

    def test_hidden_items_are_not_required(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        answers = complete_answers(checklist(client, visit, phone))
        # Without a ticket the ticket's timestamps are hidden, so not required.
        kept = [a for a in answers if a["item_code"] not in {"ticket_taken_at", "number_called_at"}]
        for a in kept:
            if a["item_code"] == "queue_ticket_taken":
                a["value"] = "no"
        sync(client, visit, phone, *kept)
        submitted = submit(client, visit, phone)
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["status"] == "submitted"

    def test_submit_is_idempotent_and_records_clock_skew(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        sync(client, visit, phone, *complete_answers(checklist(client, visit, phone)))
        client_id = str(uuid.uuid4())
        # The phone's clock is 20 minutes behind the server (09:30Z).
        first = submit(client, visit, phone, client_id, at="2026-03-18T09:10:00Z")
        again = submit(client, visit, phone, client_id, at="2026-03-18T09:10:00Z")
        assert (first.status_code, again.status_code) == (200, 200)
        assert first.json()["clock_skew_seconds"] == 1200.0
        assert first.json()["device_submitted_at"] == "2026-03-18T09:10:00Z"
        assert first.json()["submitted_at"] == "2026-03-18T09:30:00Z"
        listed = client.get(api_path("list_answers", visit_id=visit.id), headers=phone)
        assert listed.json()["total"] > 0
        other = submit(client, visit, phone)
        assert other.status_code == 409

    def test_answers_after_submit_are_409_until_returned(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        coordinator: User,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone, staff = bearer(shopper, clock), bearer(coordinator, clock)
        sync(client, visit, phone, *complete_answers(checklist(client, visit, phone)))
        submit(client, visit, phone)
        late = sync(
            client, visit, phone, answer("overall_rating", 1, at="2026-03-18T12:00:00+05:00")
        )
        assert late.status_code == 409
        assert late.json()["code"] == "visit-not-editable"
        returned = client.post(
            api_path("review_visit", visit_id=visit.id),
            json={
                "client_id": str(uuid.uuid4()),
                "action": "return",
                "comment": "  Фото стенда нечёткое\n",
            },
            headers=staff,
        )
        assert returned.json()["status"] == "returned"
        # Whitespace around a comment is dropped: it is what the shopper reads.
        assert returned.json()["review_comment"] == "Фото стенда нечёткое"
        fixed = sync(
            client, visit, phone, answer("overall_rating", 3, at="2026-03-18T12:00:00+05:00")
        )
        assert fixed.status_code == 200
        assert submit(client, visit, phone).json()["status"] == "submitted"

    def test_approved_is_locked_until_reopened_with_a_reason(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        coordinator: User,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone, staff = bearer(shopper, clock), bearer(coordinator, clock)
        sync(client, visit, phone, *complete_answers(checklist(client, visit, phone)))
        submit(client, visit, phone)
        client.post(
            api_path("review_visit", visit_id=visit.id),
            json={"client_id": str(uuid.uuid4()), "action": "approve"},
            headers=staff,
        )
        assert sync(client, visit, phone, answer("overall_rating", 1)).status_code == 409
        again = client.post(
            api_path("review_visit", visit_id=visit.id),
            json={"client_id": str(uuid.uuid4()), "action": "reject", "comment": "x"},
            headers=staff,
        )
        assert again.status_code == 409
        assert again.json()["code"] == "transition-not-allowed"
        assert again.json()["errors"] == [{"allowed_actions": ["reopen"]}]
        no_reason = client.post(api_path("reopen_visit", visit_id=visit.id), json={}, headers=staff)
        assert no_reason.status_code == 422
        reopened = client.post(
            api_path("reopen_visit", visit_id=visit.id),
            json={"client_id": str(uuid.uuid4()), "reason": "Жалоба офиса"},
            headers=staff,
        )
        assert reopened.json()["status"] == "submitted"
        events = client.get(api_path("read_visit_history", visit_id=visit.id), headers=staff).json()
        assert events[-1]["action"] == "reopen"
        assert events[-1]["detail"] == {"reason": "Жалоба офиса"}

    @pytest.mark.parametrize(
        ("action", "comment", "said"),
        [
            ("return", None, "a comment is required to return a visit"),
            ("reject", None, "a comment is required to reject a visit"),
            ("delete", "x", "Input should be 'approve', 'return' or 'reject'"),
            ("submit", "x", "Input should be 'approve', 'return' or 'reject'"),
            ("return", "   \n", "String should have at least 1 character"),
            ("reject", "Нет\x00бейджа", "the text holds a control character (U+0000)"),
            ("approve", "ok\x07", "the text holds a control character (U+0007)"),
        ],
    )
    def test_review_needs_a_valid_action_and_comment(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        action: str,
        comment: str | None,
        said: str,
    ) -> None:
        visit = make_visit(session)
        response = client.post(
            api_path("review_visit", visit_id=visit.id),
            json={"client_id": str(uuid.uuid4()), "action": action, "comment": comment},
            headers=bearer(coordinator, clock),
        )
        assert_problem(response, 422, "validation-failed")
        (error,) = response.json()["errors"]
        assert said in error["msg"], error

    def test_cancel(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        coordinator: User,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        staff = bearer(coordinator, clock)
        response = client.post(
            api_path("cancel_visit", visit_id=visit.id),
            json={"client_id": str(uuid.uuid4()), "reason": "Офис закрыт"},
            headers=staff,
        )
        assert response.json()["status"] == "cancelled"
        assert (
            sync(client, visit, bearer(shopper, clock), answer("overall_rating", 4)).status_code
            == 409
        )

    def test_explicit_start_then_wrong_moves(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        coordinator: User,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        assert (
            client.post(api_path("start_visit", visit_id=visit.id), headers=phone).json()["status"]
            == "in_progress"
        )
        again = client.post(api_path("start_visit", visit_id=visit.id), headers=phone)
        assert again.status_code == 200  # a retried start: started it is, nothing more
        assert again.json()["status"] == "in_progress"
        assert [e.action for e in repository.events(session, visit.id)].count("start") == 1
        cancel = {"client_id": str(uuid.uuid4()), "reason": "Офис закрыт"}
        staff = bearer(coordinator, clock)
        client.post(api_path("cancel_visit", visit_id=visit.id), json=cancel, headers=staff)
        late = client.post(api_path("start_visit", visit_id=visit.id), headers=phone)
        assert late.status_code == 409
        assert late.json()["code"] == "transition-not-allowed"
