"""Criteria and findings reports against figures worked out by hand (tests/reports/data.py)."""

import pytest
from fastapi.testclient import TestClient

from service.auth.roles import Role
from tests.conftest import AuthHeaders
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.reports.data import Dataset
from tests.reports.test_rankings import MARCH, get


@pytest.fixture
def analyst(auth_headers: AuthHeaders) -> dict[str, str]:
    return auth_headers(Role.analyst)


@pytest.mark.usefixtures("report_data")
class TestCriteria:
    def test_every_column_of_march(self, client: TestClient, analyst: dict[str, str]) -> None:
        items = get(client, analyst, "summarise_criteria", **MARCH)["items"]
        # Vocabulary order; "documents" had no applicable points (0 of 0), so it is left out.
        assert items == [
            {"criterion": "queue", "name_ru": "Очередь и ожидание", "visits": 4,
             "mean_percent": 87.5, "compliant": 3, "share_compliant": 75.0},
            {"criterion": "staff", "name_ru": "Персонал", "visits": 2,
             "mean_percent": 87.5, "compliant": 1, "share_compliant": 50.0},
            {"criterion": "integrity", "name_ru": "Честность", "visits": 1,
             "mean_percent": 0.0, "compliant": 0, "share_compliant": 0.0},
            {"criterion": "call_centre", "name_ru": "Контакт-центр 1414", "visits": 1,
             "mean_percent": 50.0, "compliant": 0, "share_compliant": 0.0},
        ]  # fmt: skip

    def test_channel_filter(self, client: TestClient, analyst: dict[str, str]) -> None:
        items = get(client, analyst, "summarise_criteria", channel="call_1414")["items"]
        assert [r["criterion"] for r in items] == ["call_centre"]

    def test_empty(self, client: TestClient, analyst: dict[str, str]) -> None:
        assert get(client, analyst, "summarise_criteria", wave="nope")["items"] == []


@pytest.mark.usefixtures("report_data")
class TestFindings:
    def test_most_frequent_first_with_recent_examples(
        self, client: TestClient, analyst: dict[str, str], report_data: Dataset
    ) -> None:
        items = get(client, analyst, "list_findings", **MARCH)["items"]
        rows = [(r["rank"], r["code"], r["severity"], r["count"], r["visits"]) for r in items]
        assert rows == [
            (1, "badge-missing", "minor", 4, 4),
            (2, "documents-beyond-standard", "major", 2, 1),
            (3, "call-transferred", "minor", 1, 1),
            (4, "deadline-late", "major", 1, 1),
            (5, "deadline-overdue", "major", 1, 1),
            (6, "informal-payment", "critical", 1, 1),
        ]
        examples = {
            r["code"]: [report_data.key_of(v) for v in r["example_visit_ids"]] for r in items
        }
        # At most three, the most recent first: V1 (March 2) is the fourth.
        assert examples["badge-missing"] == ["V3", "V2", "V4"]
        # Two findings in one visit make one example.
        assert examples["documents-beyond-standard"] == ["V5"]

    def test_severity_and_limit(self, client: TestClient, analyst: dict[str, str]) -> None:
        items = get(client, analyst, "list_findings", severity="major", limit=2, **MARCH)["items"]
        assert [(r["code"], r["count"]) for r in items] == [
            ("documents-beyond-standard", 2),
            ("deadline-late", 1),
        ]

    def test_examples_follow_the_filters(
        self, client: TestClient, analyst: dict[str, str], report_data: Dataset
    ) -> None:
        items = get(client, analyst, "list_findings", status="submitted")["items"]
        assert [(r["code"], r["example_visit_ids"]) for r in items] == [
            ("badge-missing", [str(report_data.visits["V7"])])
        ]

    @pytest.mark.parametrize("params", [{"severity": "fatal"}, {"limit": 0}, {"limit": 101}])
    def test_bad_parameters(
        self, client: TestClient, analyst: dict[str, str], params: dict[str, str | int]
    ) -> None:
        response = client.get(api_path("list_findings"), params=params, headers=analyst)
        (name,) = params
        assert_problem(response, 422, "validation-failed", field=name)
