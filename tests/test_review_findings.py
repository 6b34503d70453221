"""Regressions for the defects an independent review found (each reproduced first)."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.roles import Role
from service.checklists.format import ResolvedChecklist
from tests.conftest import AuthHeaders, FrozenClock
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user


def answer(code: str, value: Any, at: str = "2026-03-18T10:00:00+05:00") -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "item_code": code, "value": value, "answered_at": at}


@pytest.mark.parametrize(
    ("item", "value", "at", "fragment"),
    [
        ("overall_rating", 10**400, "2026-03-18T10:00:00+05:00", "within"),
        ("application_submitted_on", "9999-12-30", "2026-03-18T10:00:00+05:00", "2000 and 2100"),
        ("ticket_taken_at", "9999-12-31T23:00:00-05:00", "2026-03-18T10:00:00+05:00", "2000"),
        ("overall_rating", 4, "2036-03-18T10:00:00+05:00", "in the future"),
    ],
)
def test_out_of_range_answers_are_422_not_500(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    item: str,
    value: Any,
    at: str,
    fragment: str,
) -> None:
    shopper = make_user(session, Role.shopper)
    visit = make_visit(session, shopper=shopper)
    response = client.put(
        api_path("sync_answers", visit_id=visit.id),
        json={"answers": [answer(item, value, at)]},
        headers=bearer(shopper, clock),
    )
    assert response.status_code == 422
    assert fragment in response.json()["errors"][0]["msg"]


def test_far_off_answered_at_is_refused(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    shopper = make_user(session, Role.shopper)
    visit = make_visit(session, shopper=shopper)
    response = client.put(
        api_path("sync_answers", visit_id=visit.id),
        json={"answers": [answer("overall_rating", 4, "9999-12-31T23:00:00-05:00")]},
        headers=bearer(shopper, clock),
    )
    assert_problem(response, 422, "validation-failed", field="answered_at")


def test_naive_window_filter_is_422(client: TestClient, auth_headers: AuthHeaders) -> None:
    response = client.get(
        api_path("list_visits") + "?window_from=2026-01-01T00:00:00",
        headers=auth_headers(Role.coordinator),
    )
    assert_problem(response, 422, "validation-failed", field="window_from")


def test_bulk_row_with_a_unicode_digit_is_a_row_error(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    coordinator = make_user(session, Role.coordinator)
    shopper = make_user(session, Role.shopper)
    text = (
        "service_code,office_id,shopper_email,channel,window_start_at,window_end_at\n"
        f"S26,5\u00b2,{shopper.email},in_person,2026-04-01T09:00:00+05:00,"
        "2026-04-01T18:00:00+05:00\n"
    )
    files = {"file": ("wave.csv", text.encode(), "text/csv")}
    response = client.post(
        api_path("bulk_create_visits"), files=files, headers=bearer(coordinator, clock)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["row"] == 2


def test_rescore_before_submit_is_refused(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    visit = make_visit(session)
    staff = bearer(make_user(session, Role.coordinator), clock)
    response = client.post(api_path("rescore_visit", visit_id=visit.id), headers=staff)
    assert_problem(response, 404, "score-not-found")
    score = client.get(api_path("read_score", visit_id=visit.id), headers=staff)
    assert_problem(score, 404, "score-not-found")


def test_standard_version_no_checklist_can_carry_is_refused(
    client: TestClient, auth_headers: AuthHeaders
) -> None:
    admin = auth_headers(Role.admin)
    body = client.get(api_path("read_service", code="S26"), headers=admin).json()
    keep = {
        "name_ru",
        "name_en",
        "agency",
        "level",
        "channels",
        "deadlines",
        "documents",
        "cost",
        "queue",
        "result_ru",
        "source",
    }
    version = {k: v for k, v in body.items() if k in keep} | {
        "effective_from": "2026-03-01",
        "name_ru": "Я" * 1990,
    }
    response = client.put(api_path("put_service_standard", code="S26"), json=version, headers=admin)
    assert response.status_code == 422
    assert response.json()["code"] == "checklist-invalid"
    assert (
        client.get(api_path("list_checklists") + "?service=S26", headers=admin).status_code == 200
    )
    versions = client.get(api_path("read_service", code="S26"), headers=admin).json()["versions"]
    assert len(versions) == 1


def test_show_if_on_a_multi_choice_answer_opens_the_item() -> None:
    checklist = ResolvedChecklist.model_validate(
        {
            "service_code": "S26",
            "channel": "in_person",
            "template_version": 1,
            "standard_effective_from": "2018-01-01",
            "standard_digest": "0" * 64,
            "title_ru": "т",
            "title_en": "t",
            "sections": [
                {
                    "code": "s",
                    "title_ru": "с",
                    "title_en": "s",
                    "items": [
                        {
                            "code": "problems",
                            "kind": "multi_choice",
                            "text_ru": "п",
                            "text_en": "p",
                            "options": [
                                {"code": "queue", "text_ru": "о", "text_en": "q"},
                                {"code": "rude", "text_ru": "г", "text_en": "r"},
                            ],
                        },
                        {
                            "code": "rude_quote",
                            "kind": "text",
                            "text_ru": "ц",
                            "text_en": "q",
                            "show_if": {"item": "problems", "in": ["rude"]},
                        },
                    ],
                }
            ],
        }
    )
    assert "rude_quote" in checklist.visible({"problems": ["queue", "rude"]})
    assert "rude_quote" not in checklist.visible({"problems": ["queue"]})
