"""Submit, review, cancel and reopen carry a client id: a retry answers the visit as it is and
moves nothing; the same id with another move, text, time or visit is a 409 that says so."""

import datetime as dt
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import User
from service.auth.roles import Role
from service.visits import repository
from service.visits.models import Visit, VisitEvent
from tests.conftest import FrozenClock
from tests.console.helpers import answered_visit, submitted_visit
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user


def moves(session: Session, visit: Visit, action: str) -> list[VisitEvent]:
    return [e for e in repository.events(session, visit.id) if e.action == action]


def post(
    client: TestClient,
    name: str,
    visit: Visit,
    body: dict[str, Any],
    staff: User,
    clock: FrozenClock,
) -> Any:
    return client.post(api_path(name, visit_id=visit.id), json=body, headers=bearer(staff, clock))


class TestReview:
    def test_a_retried_approval_answers_the_visit_and_approves_once(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        visit, _ = submitted_visit(client, session, clock)
        body = {"client_id": str(uuid.uuid4()), "action": "approve"}
        first = post(client, "review_visit", visit, body, coordinator, clock)
        again = post(client, "review_visit", visit, body, coordinator, clock)

        assert (first.status_code, again.status_code) == (200, 200)
        assert first.json()["status"] == again.json()["status"] == "approved"
        assert first.json()["reviewed_at"] == again.json()["reviewed_at"]
        approvals = moves(session, visit, "approve")
        assert [str(e.client_id) for e in approvals] == [body["client_id"]]

    def test_the_same_id_with_another_decision_is_409_and_changes_nothing(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        visit, _ = submitted_visit(client, session, clock)
        key = str(uuid.uuid4())
        post(
            client,
            "review_visit",
            visit,
            {"client_id": key, "action": "approve"},
            coordinator,
            clock,
        )
        other = {"client_id": key, "action": "reject", "comment": "Фото нечитаемо"}
        refused = post(client, "review_visit", visit, other, coordinator, clock)

        assert refused.status_code == 409
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["code"] == "visit-conflict"
        assert key in problem["detail"]
        assert "approve" in problem["detail"]
        session.expire_all()
        assert session.get(Visit, visit.id).status == "approved"  # type: ignore[union-attr]
        assert moves(session, visit, "reject") == []

    def test_the_same_id_with_another_comment_is_409(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        visit, _ = submitted_visit(client, session, clock)
        key = str(uuid.uuid4())
        body = {"client_id": key, "action": "return", "comment": "Переснимите бейдж"}
        assert post(client, "review_visit", visit, body, coordinator, clock).status_code == 200
        changed = body | {"comment": "Переснимите табло"}
        refused = post(client, "review_visit", visit, changed, coordinator, clock)
        assert refused.status_code == 409
        assert refused.json()["code"] == "visit-conflict"
        session.expire_all()
        stored = session.get(Visit, visit.id)
        assert stored is not None
        assert (stored.status, stored.review_comment) == ("returned", "Переснимите бейдж")

    def test_another_coordinator_sending_the_same_id_is_409(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        visit, _ = submitted_visit(client, session, clock)
        body = {"client_id": str(uuid.uuid4()), "action": "approve"}
        post(client, "review_visit", visit, body, coordinator, clock)
        colleague = make_user(session, Role.coordinator)
        refused = post(client, "review_visit", visit, body, colleague, clock)
        assert refused.status_code == 409
        assert refused.json()["code"] == "visit-conflict"
        assert [e.actor_id for e in moves(session, visit, "approve")] == [coordinator.id]

    def test_a_review_without_a_client_id_is_refused(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        visit, _ = submitted_visit(client, session, clock)
        refused = post(client, "review_visit", visit, {"action": "approve"}, coordinator, clock)
        assert refused.status_code == 422
        assert refused.json()["code"] == "validation-failed"
        assert moves(session, visit, "approve") == []


class TestSubmit:
    def submit(
        self, client: TestClient, visit: Visit, shopper: User, clock: FrozenClock, **body: str
    ) -> Any:
        return client.post(
            api_path("submit_visit", visit_id=visit.id), json=body, headers=bearer(shopper, clock)
        )

    def test_a_retried_submit_answers_the_visit_and_submits_once(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        visit, shopper = answered_visit(client, session, clock)
        body = {"client_id": str(uuid.uuid4()), "submitted_at": "2026-03-18T06:00:00Z"}
        first = self.submit(client, visit, shopper, clock, **body)
        clock.advance(minutes=5)
        again = self.submit(client, visit, shopper, clock, **body)

        assert (first.status_code, again.status_code) == (200, 200)
        assert first.json()["status"] == "submitted"
        assert again.json() == first.json()
        assert len(moves(session, visit, "submit")) == 1

    def test_the_same_id_with_another_time_is_409_and_changes_nothing(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        visit, shopper = answered_visit(client, session, clock)
        key = str(uuid.uuid4())
        first = self.submit(
            client, visit, shopper, clock, client_id=key, submitted_at="2026-03-18T06:00:00Z"
        )
        assert first.status_code == 200, first.text
        refused = self.submit(
            client, visit, shopper, clock, client_id=key, submitted_at="2026-03-18T07:30:00Z"
        )

        assert refused.status_code == 409
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["code"] == "visit-conflict"
        assert key in problem["detail"]
        assert "2026-03-18T06:00:00+00:00" in problem["detail"]
        session.expire_all()
        stored = session.get(Visit, visit.id)
        assert stored is not None
        assert stored.device_submitted_at == dt.datetime(2026, 3, 18, 6, tzinfo=dt.UTC)
        assert len(moves(session, visit, "submit")) == 1


class TestCancelAndReopen:
    def test_a_retried_cancel_cancels_once(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        shopper: User,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        body = {"client_id": str(uuid.uuid4()), "reason": "Офис закрыт на ремонт"}
        answers = [post(client, "cancel_visit", visit, body, coordinator, clock) for _ in "ab"]

        assert [a.status_code for a in answers] == [200, 200]
        assert [a.json()["status"] for a in answers] == ["cancelled", "cancelled"]
        cancels = moves(session, visit, "cancel")
        assert len(cancels) == 1
        assert cancels[0].detail == {"reason": "Офис закрыт на ремонт"}

    def test_an_id_used_on_another_visit_is_409(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        shopper: User,
    ) -> None:
        first, second = make_visit(session, shopper=shopper), make_visit(session, shopper=shopper)
        body = {"client_id": str(uuid.uuid4()), "reason": "Офис закрыт"}
        assert post(client, "cancel_visit", first, body, coordinator, clock).status_code == 200
        refused = post(client, "cancel_visit", second, body, coordinator, clock)
        assert refused.status_code == 409
        assert str(first.id) in refused.json()["detail"]
        session.expire_all()
        assert session.get(Visit, second.id).status == "assigned"  # type: ignore[union-attr]

    def test_a_retried_reopen_reopens_once(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        visit, _ = submitted_visit(client, session, clock)
        approve = {"client_id": str(uuid.uuid4()), "action": "approve"}
        post(client, "review_visit", visit, approve, coordinator, clock)
        body = {"client_id": str(uuid.uuid4()), "reason": "Жалоба гражданина"}
        answers = [post(client, "reopen_visit", visit, body, coordinator, clock) for _ in "ab"]

        assert [a.json()["status"] for a in answers] == ["submitted", "submitted"]
        assert len(moves(session, visit, "reopen")) == 1


def test_an_id_won_by_another_visit_in_a_race_is_409_not_an_error(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    coordinator: User,
    shopper: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = make_visit(session, shopper=shopper), make_visit(session, shopper=shopper)
    body = {"client_id": str(uuid.uuid4()), "reason": "Офис закрыт"}
    assert post(client, "cancel_visit", first, body, coordinator, clock).status_code == 200
    # The check ran before the other visit's move was committed: only the unique key sees it.
    monkeypatch.setattr(repository, "event_by_client_id", lambda *_args: None)
    refused = post(client, "cancel_visit", second, body, coordinator, clock)

    assert refused.status_code == 409
    assert refused.json()["code"] == "visit-conflict"
    session.expire_all()
    assert session.get(Visit, second.id).status == "assigned"  # type: ignore[union-attr]
    assert moves(session, second, "cancel") == []
