"""Each filter narrows the visits counted; bad filters are 422; only staff and analysts read."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.auth.roles import Role
from tests.conftest import AuthHeaders
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.reports.data import Dataset

ROUTES = [
    api_path("rank_services"),
    api_path("rank_agencies"),
    api_path("rank_regions"),
    api_path("rank_offices"),
    api_path("summarise_criteria"),
    api_path("list_findings"),
    api_path("chart_services"),
    api_path("chart_criteria"),
    api_path("export_visits"),
    api_path("export_answers"),
]


@pytest.fixture
def analyst(auth_headers: AuthHeaders) -> dict[str, str]:
    return auth_headers(Role.analyst)


def counts(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, int]:
    """Visits per service code under ``params``."""
    response = client.get(api_path("rank_services"), params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {r["service_code"]: r["visits"] for r in response.json()["items"]}


@pytest.mark.usefixtures("report_data")
class TestFiltersNarrow:
    def test_default_is_every_approved_visit(
        self, client: TestClient, analyst: dict[str, str]
    ) -> None:
        # Rankings count in-person visits unless asked for another channel: V3 (a 1414 call)
        # is not in S33's row.
        assert counts(client, analyst) == {"S26": 2, "S32": 1, "S33": 3, "S39": 2}

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"wave": "w1"}, {"S33": 2, "S32": 1}),
            ({"service": "S26"}, {"S26": 2}),
            ({"agency": "МТСЗН"}, {"S33": 3, "S32": 1}),
            ({"level": "local"}, {"S39": 2}),
            ({"region": "karaganda"}, {"S32": 1, "S39": 1}),
            ({"channel": "call_1414"}, {"S33": 1}),
            ({"from": "2026-03-01"}, {"S26": 1, "S32": 1, "S33": 2, "S39": 2}),
            ({"to": "2026-02-28"}, {"S26": 1, "S33": 1}),
            # V6 starts at 23:30 on March 31 local time; V11 at 00:10 on April 1 (UTC: Mar 31).
            ({"from": "2026-03-31", "to": "2026-03-31"}, {"S39": 1}),
            ({"from": "2026-04-01"}, {"S39": 1}),
            ({"status": "rejected"}, {}),
            ({"service": "S26", "wave": "w0"}, {"S26": 1}),
        ],
    )
    def test_filter(
        self,
        client: TestClient,
        analyst: dict[str, str],
        params: dict[str, str],
        expected: dict[str, int],
    ) -> None:
        assert counts(client, analyst, **params) == expected

    def test_office(
        self, client: TestClient, analyst: dict[str, str], report_data: Dataset
    ) -> None:
        found = counts(client, analyst, office_id=report_data.offices["A"])
        assert found == {"S26": 2, "S33": 2}

    def test_day_boundary_is_kazakhstan_time(
        self, client: TestClient, analyst: dict[str, str], report_data: Dataset
    ) -> None:
        response = client.get(
            api_path("list_findings"),
            params={"from": "2026-03-31", "to": "2026-03-31", "status": "approved"},
            headers=analyst,
        )
        assert response.json()["items"] == []  # V6 has no findings; V11 is April 1


class TestFiltersValidated:
    @pytest.mark.parametrize(
        ("params", "code"),
        [
            ({"status": "bogus"}, "report-filters-invalid"),
            ({"status": "approved,nope"}, "report-filters-invalid"),
            ({"status": ","}, "report-filters-invalid"),
            ({"from": "2026-03-31", "to": "2026-03-01"}, "report-filters-invalid"),
            ({"from": "1700000000"}, "validation-failed"),
            ({"from": "2026-02-30"}, "validation-failed"),
            ({"to": "31.03.2026"}, "validation-failed"),
            ({"region": "mars"}, "validation-failed"),
            ({"level": "federal"}, "validation-failed"),
            ({"channel": "fax"}, "validation-failed"),
            ({"service": "S999"}, "validation-failed"),
            ({"office_id": "0"}, "validation-failed"),
            ({"wave": "w1\x00"}, "validation-failed"),
            ({"agency": "\x1bМТСЗН"}, "validation-failed"),
        ],
    )
    @pytest.mark.parametrize("route", ["rank_services", "export_visits", "export_answers"])
    def test_refused(
        self,
        client: TestClient,
        analyst: dict[str, str],
        params: dict[str, str],
        code: str,
        route: str,
    ) -> None:
        # An export has sent its 200 once its query runs, so it must refuse everything first.
        response = client.get(api_path(route), params=params, headers=analyst)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == code


class TestRoles:
    @pytest.mark.parametrize("path", ROUTES)
    def test_shopper_is_refused(
        self, client: TestClient, auth_headers: AuthHeaders, path: str
    ) -> None:
        response = client.get(path, headers=auth_headers(Role.shopper))
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"

    @pytest.mark.parametrize("path", ROUTES)
    def test_anonymous_is_refused(self, client: TestClient, path: str) -> None:
        assert_problem(client.get(path), 401, "not-authenticated")

    @pytest.mark.parametrize("role", [Role.analyst, Role.coordinator, Role.admin])
    @pytest.mark.parametrize("path", ROUTES)
    def test_staff_and_analysts_read(
        self, client: TestClient, auth_headers: AuthHeaders, role: Role, path: str
    ) -> None:
        response = client.get(path, headers=auth_headers(role))
        assert response.status_code == 200
        media = response.headers["content-type"].split(";")[0]
        expected = "image/png" if path.endswith(".png") else "text/csv"
        assert media == (expected if "." in path or "/exports/" in path else "application/json")
        assert response.content
