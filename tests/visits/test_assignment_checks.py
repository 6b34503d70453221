"""POST /visits refuses an assignment that cannot be carried out, each reason with its code."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from service.auth.models import User
from service.auth.roles import Role
from service.offices.models import Office
from service.offices.schemas import OfficeKind
from service.visits.models import Visit
from tests.conftest import FrozenClock
from tests.fixtures.factories import make_office
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user

# The test clock reads 2026-03-18 09:30 UTC, 14:30 in Kazakhstan.
WINDOW = {
    "window_start_at": "2026-03-20T09:00:00+05:00",
    "window_end_at": "2026-03-20T18:00:00+05:00",
}


def body(office: Office, shopper: User, **change: Any) -> dict[str, Any]:
    return {
        "service_code": "S26",
        "office_id": office.id,
        "shopper_id": str(shopper.id),
        "channel": "in_person",
        **WINDOW,
    } | change


def post(client: TestClient, coordinator: User, clock: FrozenClock, data: dict[str, Any]) -> Any:
    return client.post(api_path("create_visit"), json=data, headers=bearer(coordinator, clock))


def visits_at(session: Session, office: Office) -> int:
    return session.exec(
        select(func.count()).select_from(Visit).where(col(Visit.office_id) == office.id)
    ).one()


def assert_refused(response: Any, code: str, column: str, message: str) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["code"] == code
    assert problem["detail"] == f"{column}: {message}"
    assert problem["errors"] == [{"loc": ["body", column], "msg": message, "code": code}]


class TestServiceOfferedAtOffice:
    def test_a_service_the_office_does_not_list_is_refused(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        shopper: User,
    ) -> None:
        office = make_office(session, services=["S17", "S33"])
        response = post(client, coordinator, clock, body(office, shopper))
        assert_refused(
            response,
            "service-not-offered-at-office",
            "service_code",
            f"office {office.id} does not offer S26 (it lists S17, S33); pick another office "
            "or add the service to this office",
        )
        assert visits_at(session, office) == 0

    def test_a_listed_service_is_assigned(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        shopper: User,
    ) -> None:
        office = make_office(session, services=["S17", "S26"])
        response = post(client, coordinator, clock, body(office, shopper))
        assert response.status_code == 201, response.text
        assert response.json()["service_code"] == "S26"
        assert visits_at(session, office) == 1

    def test_an_office_that_lists_nothing_takes_any_service(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        shopper: User,
    ) -> None:
        office = make_office(session)
        response = post(client, coordinator, clock, body(office, shopper, service_code="S33"))
        assert response.status_code == 201, response.text
        assert visits_at(session, office) == 1


class TestChannelFitsOffice:
    @pytest.mark.parametrize(
        ("kind", "channel", "message"),
        [
            (
                OfficeKind.con,
                "call_1414",
                "is a public service centre (ЦОН): a call_1414 visit goes to a call centre; "
                "a visit here uses the in_person channel",
            ),
            (
                OfficeKind.call_centre,
                "in_person",
                "is a call centre: a in_person visit goes to a public service centre (ЦОН) or "
                "an agency office; a visit here uses the call_1414 channel",
            ),
            (
                OfficeKind.agency_office,
                "egov",
                "is an agency office: a egov visit goes to the portal; a visit here uses the "
                "in_person channel",
            ),
        ],
    )
    def test_a_channel_that_does_not_fit_is_refused(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        shopper: User,
        kind: OfficeKind,
        channel: str,
        message: str,
    ) -> None:
        # S27 is tested on all three channels, so the office's kind is the only problem.
        office = make_office(session, kind=kind)
        data = body(office, shopper, service_code="S27", channel=channel)
        response = post(client, coordinator, clock, data)
        assert_refused(
            response, "channel-not-available-at-office", "channel", f"office {office.id} {message}"
        )
        assert visits_at(session, office) == 0

    @pytest.mark.parametrize(
        ("kind", "channel"),
        [
            (OfficeKind.con, "in_person"),
            (OfficeKind.agency_office, "in_person"),
            (OfficeKind.call_centre, "call_1414"),
            (OfficeKind.portal, "egov"),
        ],
    )
    def test_a_fitting_channel_is_assigned(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        shopper: User,
        kind: OfficeKind,
        channel: str,
    ) -> None:
        office = make_office(session, kind=kind)
        data = body(office, shopper, service_code="S27", channel=channel)
        response = post(client, coordinator, clock, data)
        assert response.status_code == 201, response.text
        assert response.json()["channel"] == channel

    def test_several_problems_come_together_each_with_its_code(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        shopper: User,
    ) -> None:
        # S26 is not tested online at all, and a service centre is no portal either.
        office = make_office(session)
        response = post(client, coordinator, clock, body(office, shopper, channel="egov"))
        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "assignment-invalid"
        assert [(e["loc"], e["code"]) for e in problem["errors"]] == [
            (["body", "channel"], "channel-not-available-at-office"),
            (["body", "channel"], "checklist-not-offered"),
        ]
        assert "S26 is not tested on the egov channel" in problem["detail"]


class TestWindow:
    def test_a_window_wholly_in_the_past_is_refused(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        shopper: User,
    ) -> None:
        office = make_office(session)
        data = body(
            office,
            shopper,
            window_start_at="2026-03-17T09:00:00+05:00",
            window_end_at="2026-03-17T18:00:00+05:00",
        )
        assert_refused(
            post(client, coordinator, clock, data),
            "window-in-the-past",
            "window_end_at",
            "the window ended at 2026-03-17T18:00:00+05:00, before now "
            "(2026-03-18T14:30:00+05:00); give a window that has not ended",
        )
        assert visits_at(session, office) == 0

    def test_a_window_ending_this_very_moment_is_over(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        shopper: User,
    ) -> None:
        data = body(
            make_office(session),
            shopper,
            window_start_at="2026-03-18T09:00:00+05:00",
            window_end_at="2026-03-18T14:30:00+05:00",
        )
        response = post(client, coordinator, clock, data)
        assert response.status_code == 422
        assert response.json()["code"] == "window-in-the-past"

    def test_a_window_that_has_begun_but_not_ended_is_assigned(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        shopper: User,
    ) -> None:
        data = body(
            make_office(session),
            shopper,
            window_start_at="2026-03-18T09:00:00+05:00",
            window_end_at="2026-03-18T18:00:00+05:00",
        )
        response = post(client, coordinator, clock, data)
        assert response.status_code == 201, response.text
        assert response.json()["window_end_at"] == "2026-03-18T18:00:00+05:00"

    def test_a_retry_after_the_window_ended_still_returns_the_visit(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        shopper: User,
    ) -> None:
        data = body(make_office(session), shopper, client_id=str(uuid.uuid4()))
        first = post(client, coordinator, clock, data)
        clock.advance(days=5)
        again = post(client, coordinator, clock, data)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"]


class TestOtherParts:
    @pytest.mark.parametrize(
        ("change", "code", "column", "message"),
        [
            (
                {"service_code": "S99"},
                "service-not-found",
                "service_code",
                "there is no service S99 in the catalogue",
            ),
            ({"office_id": 999999}, "office-not-found", "office_id", "there is no office 999999"),
            (
                {"deadline_case_index": 3},
                "deadline-case-out-of-range",
                "deadline_case_index",
                "S26's standard has one deadline case, number 0",
            ),
        ],
    )
    def test_unknown_parts_are_refused(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        shopper: User,
        change: dict[str, Any],
        code: str,
        column: str,
        message: str,
    ) -> None:
        response = post(client, coordinator, clock, body(make_office(session), shopper) | change)
        assert_refused(response, code, column, message)

    @pytest.mark.parametrize("who", ["unknown", "inactive", "coordinator"])
    def test_any_shopper_that_cannot_be_assigned_gets_one_answer(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        who: str,
    ) -> None:
        shopper_id = {
            "unknown": lambda: uuid.uuid4(),
            "inactive": lambda: make_user(session, Role.shopper, active=False).id,
            "coordinator": lambda: coordinator.id,
        }[who]()
        data = body(make_office(session), coordinator, shopper_id=str(shopper_id))
        assert_refused(
            post(client, coordinator, clock, data),
            "shopper-not-active",
            "shopper_id",
            "no active shopper with this id",
        )
