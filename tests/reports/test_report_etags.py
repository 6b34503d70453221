"""JSON reports carry an ETag of the data they read: a current copy is answered 304 without
the report being run, and any change a report reads, filter or option gives another tag.

Whether the report ran is counted by a spy on the service function each route calls (never
by timing)."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.auth.roles import Role
from service.reports import cache, rankings
from service.reports import service as reports_service
from tests.conftest import AuthHeaders
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.reports.data import Dataset

# Each JSON report's route, and the function that runs its SQL (module, name).
RUNS: dict[str, tuple[Any, str]] = {
    "rank_services": (rankings, "services_report"),
    "rank_agencies": (rankings, "agencies_report"),
    "rank_regions": (rankings, "regions_report"),
    "rank_offices": (rankings, "offices_report"),
    "summarise_criteria": (reports_service, "criteria_report"),
    "list_findings": (reports_service, "findings_report"),
}


@dataclass
class RunSpy:
    runs: list[str] = field(default_factory=list)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> RunSpy:
    spy = RunSpy()
    for module, name in RUNS.values():
        real = getattr(module, name)

        def counting(
            *args: Any, _real: Callable[..., Any] = real, _name: str = name, **kw: Any
        ) -> Any:
            spy.runs.append(_name)
            return _real(*args, **kw)

        monkeypatch.setattr(module, name, counting)
    return spy


@pytest.fixture
def analyst(auth_headers: AuthHeaders) -> dict[str, str]:
    return auth_headers(Role.analyst)


@pytest.mark.usefixtures("report_data")
class TestJsonReports:
    @pytest.mark.parametrize("route", RUNS)
    def test_a_current_copy_is_304_and_the_report_is_not_run(
        self, client: TestClient, analyst: dict[str, str], spy: RunSpy, route: str
    ) -> None:
        first = client.get(api_path(route), headers=analyst)
        assert first.status_code == 200, first.text
        assert first.json()  # the report itself
        tag = first.headers["etag"]
        assert len(tag) == 34
        assert tag[0] == tag[-1] == '"'
        assert first.headers["cache-control"] == "private, no-cache"
        assert spy.runs == [RUNS[route][1]]
        again = client.get(api_path(route), headers={**analyst, "If-None-Match": tag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == tag
        assert spy.runs == [RUNS[route][1]]  # not run again
        stale = client.get(api_path(route), headers={**analyst, "If-None-Match": '"stale"'})
        assert stale.status_code == 200
        assert stale.json() == first.json()
        assert stale.headers["etag"] == tag
        assert len(spy.runs) == 2

    def test_filters_and_options_name_the_tag(
        self, client: TestClient, analyst: dict[str, str]
    ) -> None:
        def etag(route: str, **params: str) -> str:
            response = client.get(api_path(route), params=params, headers=analyst)
            assert response.status_code == 200, response.text
            return str(response.headers["etag"])

        tag = etag("rank_services")
        assert etag("rank_services") == tag
        assert etag("rank_services", status="approved") == tag  # the default written out
        both = etag("rank_services", status="approved,submitted")
        assert etag("rank_services", status="submitted,approved") == both != tag
        assert etag("rank_services", rank_by="compliance") != tag
        assert etag("rank_services", region="astana") != tag
        assert etag("rank_offices") != tag  # another report of the same data
        agencies = etag("rank_agencies")
        compared = etag("rank_agencies", compare_from="2026-01-01", compare_to="2026-01-31")
        assert compared != agencies
        findings = etag("list_findings")
        assert (
            len(
                {
                    findings,
                    etag("list_findings", limit="5"),
                    etag("list_findings", lang="kk"),
                    etag("list_findings", severity="critical"),
                }
            )
            == 4
        )

    def test_findings_say_their_language_and_vary_by_the_header(
        self, client: TestClient, analyst: dict[str, str]
    ) -> None:
        kazakh = client.get(api_path("list_findings"), headers={**analyst, "Accept-Language": "kk"})
        assert kazakh.headers["content-language"] == "kk"
        assert kazakh.headers["vary"] == "Accept-Language"
        current = client.get(
            api_path("list_findings"),
            headers={**analyst, "Accept-Language": "kk", "If-None-Match": kazakh.headers["etag"]},
        )
        assert current.status_code == 304
        assert (current.headers["content-language"], current.headers["vary"]) == (
            "kk",
            "Accept-Language",
        )
        russian = client.get(
            api_path("list_findings"),
            headers={**analyst, "Accept-Language": "ru", "If-None-Match": kazakh.headers["etag"]},
        )
        assert russian.status_code == 200  # a Kazakh copy is not a Russian one
        assert russian.headers["content-language"] == "ru"
        assert russian.headers["etag"] != kazakh.headers["etag"]

    def test_an_approval_changes_the_tag_and_the_figures(
        self,
        client: TestClient,
        analyst: dict[str, str],
        auth_headers: AuthHeaders,
        report_data: Dataset,
    ) -> None:
        before = client.get(api_path("rank_services"), headers=analyst)
        tag = before.headers["etag"]

        def s39(body: dict[str, Any]) -> dict[str, Any]:
            row: dict[str, Any] = next(r for r in body["items"] if r["service_code"] == "S39")
            return row

        assert s39(before.json())["visits"] == 2
        approved = client.post(
            api_path("review_visit", visit_id=report_data.visits["V7"]),
            json={"client_id": str(uuid.uuid4()), "action": "approve"},
            headers=auth_headers(Role.coordinator),
        )
        assert approved.status_code == 200, approved.text
        after = client.get(api_path("rank_services"), headers={**analyst, "If-None-Match": tag})
        assert after.status_code == 200
        assert after.headers["etag"] != tag
        assert s39(after.json())["visits"] == 3

    def test_304_still_needs_a_reader(
        self, client: TestClient, analyst: dict[str, str], auth_headers: AuthHeaders
    ) -> None:
        tag = client.get(api_path("list_findings"), headers=analyst).headers["etag"]
        anonymous = client.get(api_path("list_findings"), headers={"If-None-Match": tag})
        assert_problem(anonymous, 401, "not-authenticated")
        shopper = {**auth_headers(Role.shopper), "If-None-Match": tag}
        assert_problem(client.get(api_path("list_findings"), headers=shopper), 403, "forbidden")

    def test_a_bad_filter_is_422_before_any_tag(
        self, client: TestClient, analyst: dict[str, str]
    ) -> None:
        response = client.get(
            api_path("rank_services"), params={"status": "nonsense"}, headers=analyst
        )
        assert_problem(response, 422, "report-filters-invalid")
        assert "etag" not in response.headers


@pytest.mark.usefixtures("report_data")
@pytest.mark.parametrize("route", ["rank_agencies", "rank_regions"])
def test_a_bad_comparison_period_is_422_even_to_a_client_holding_a_copy(
    client: TestClient, analyst: dict[str, str], route: str
) -> None:
    response = client.get(
        api_path(route),
        params={"compare_from": "2025-01-01"},
        headers={**analyst, "If-None-Match": "*"},
    )
    body = assert_problem(response, 422, "report-filters-invalid")
    assert "compare_to" in body["detail"]
    assert "etag" not in response.headers


@pytest.mark.usefixtures("report_data")
def test_a_release_of_other_code_never_confirms_the_copy_of_the_one_before(
    client: TestClient, analyst: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = client.get(api_path("rank_services"), headers=analyst).headers["etag"]
    monkeypatch.setattr(cache, "code_digest", lambda: "0" * 16)
    again = client.get(api_path("rank_services"), headers={**analyst, "If-None-Match": tag})
    assert again.status_code == 200
    assert again.headers["etag"] != tag
