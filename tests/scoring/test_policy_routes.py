"""Publishing a grading policy over HTTP, and scores naming the version that graded them."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import User
from service.auth.roles import Role
from service.scoring.models import VisitScore
from tests.conftest import FrozenClock
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user
from tests.scoring.test_service import PERFECT_TIMES, answers_for, submit

SHIPPED = Path(__file__).resolve().parents[2] / "checklists" / "grading.yaml"
LONG_WAIT = {
    "ticket_taken_at": "2026-03-18T10:05:00+05:00",
    "number_called_at": "2026-03-18T10:45:00+05:00",
    "service_started_at": "2026-03-18T10:46:00+05:00",
}


def policy(version: str, **severities: str) -> dict[str, Any]:
    body = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    assert isinstance(body, dict)
    for code, severity in severities.items():
        body["severities"][code.replace("_", "-")] = {"severity": severity, "source": "a test"}
    return body | {"version": version}


def publish(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post(api_path("publish_policy"), json=body, headers=headers)


class TestPublishPolicy:
    def test_an_admin_publishes_a_version_that_becomes_current(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        admin = bearer(make_user(session, Role.admin), clock)
        created = publish(client, admin, policy("2027.1", queue_wait_over_norm="minor"))
        assert created.status_code == 201, created.text
        assert (created.json()["version"], created.json()["current"]) == ("2027.1", True)
        listed = client.get(api_path("list_policies"), headers=admin).json()
        assert [(p["version"], p["current"]) for p in listed] == [
            ("2027.1", True), ("2026.1", False)
        ]  # fmt: skip
        assert listed[0]["body"]["severities"]["queue-wait-over-norm"]["severity"] == "minor"
        assert listed[1]["published_at"] is None  # the shipped policy
        one = client.get(api_path("read_policy", version="2026.1"), headers=admin)
        assert (one.status_code, one.json()["current"]) == (200, False)

    def test_the_same_document_again_is_a_retry(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        admin = bearer(make_user(session, Role.admin), clock)
        first = publish(client, admin, policy("2027.1", rudeness="minor"))
        assert first.status_code == 201, first.text
        clock.advance(minutes=5)
        again = publish(client, admin, policy("2027.1", rudeness="minor"))
        assert again.status_code == 200, again.text
        assert again.json() == first.json()  # the stored version, published_at unchanged
        listed = client.get(api_path("list_policies"), headers=admin).json()
        assert [p["version"] for p in listed] == ["2027.1", "2026.1"]

    def test_a_version_is_never_replaced(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        admin = bearer(make_user(session, Role.admin), clock)
        assert publish(client, admin, policy("2027.1")).status_code == 201
        for version in ("2027.1", "2026.1"):
            again = publish(client, admin, policy(version, rudeness="minor"))
            assert (again.status_code, again.json()["code"]) == (409, "grading-policy-exists")
        current = client.get(api_path("read_policy", version="2027.1"), headers=admin).json()
        assert current["body"]["severities"]["rudeness"]["severity"] == "major"

    def test_the_shipped_version_is_refused_as_the_shipped_one_whatever_its_content(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        admin = bearer(make_user(session, Role.admin), clock)
        for body in (policy("2026.1"), policy("2026.1", rudeness="minor")):
            refused = publish(client, admin, body)
            assert (refused.status_code, refused.json()["code"]) == (409, "grading-policy-exists")
            assert "shipped with mshop" in refused.json()["detail"]
            assert "other content" not in refused.json()["detail"]

    @pytest.mark.parametrize(
        ("section", "field", "value"),
        [
            ("satisfaction", "in_compliance", "true"),
            ("critical_item", "grade", "1"),
            ("five", "deadline_statuses", ["on_time", "on_time"]),
        ],
    )
    def test_scalars_of_the_wrong_type_are_not_coerced(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        section: str,
        field: str,
        value: object,
    ) -> None:
        admin = bearer(make_user(session, Role.admin), clock)
        body = policy("2027.1")
        assert field in body[section]
        body[section] = body[section] | {field: value}
        refused = publish(client, admin, body)
        assert (refused.status_code, refused.json()["code"]) == (422, "validation-failed")
        assert field in refused.text

    def test_an_invalid_policy_is_422_and_changes_nothing(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        admin = bearer(make_user(session, Role.admin), clock)
        bad = publish(client, admin, policy("2027.1", queue_wait_too_long="minor"))
        assert (bad.status_code, bad.json()["code"]) == (422, "validation-failed")
        assert "unknown finding codes: queue-wait-too-long" in bad.text
        missing = client.get(api_path("read_policy", version="2027.1"), headers=admin)
        assert (missing.status_code, missing.json()["code"]) == (404, "grading-policy-not-found")

    def test_a_coordinator_may_not_publish(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        staff = bearer(make_user(session, Role.coordinator), clock)
        refused = publish(client, staff, policy("2027.1"))
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")


def test_scores_record_their_policy_and_a_rescore_uses_the_current_one(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    clock.advance(days=19)  # 2026-04-06: the result has arrived
    phone = bearer(shopper, clock)
    staff = bearer(make_user(session, Role.coordinator), clock)
    admin = bearer(make_user(session, Role.admin), clock)
    visit = make_visit(session, shopper=shopper, service_code="S33")
    answers = answers_for(client, visit.checklist_id, phone, **PERFECT_TIMES | LONG_WAIT)
    client.put(
        api_path("sync_answers", visit_id=visit.id), json={"answers": answers}, headers=phone
    )
    assert submit(client, visit.id, phone).status_code == 200
    first = client.get(api_path("read_score", visit_id=visit.id), headers=phone).json()
    assert (first["policy_version"], first["grade"], first["compliance"]["band_grade"]) == (
        "2026.1", 4, 5
    )  # fmt: skip
    assert (
        publish(
            client,
            admin,
            # The long wait also shows the queue system's recorded wait understated.
            policy(
                "lenient", queue_wait_over_norm="minor", queue_recorded_wait_understated="minor"
            ),
        ).status_code
        == 201
    )
    again = client.post(api_path("rescore_visit", visit_id=visit.id), headers=staff).json()
    assert (again["policy_version"], again["grade"]) == ("lenient", 5)
    assert sorted((f["code"], f["severity"]) for f in again["findings"]) == [
        ("queue-recorded-wait-understated", "minor"),
        ("queue-wait-over-norm", "minor"),
    ]
    session.expire_all()
    row = session.get(VisitScore, visit.id)
    assert row is not None
    assert (row.policy_version, row.grade, row.findings_major) == ("lenient", 5, 0)
