"""Rankings by service, agency, region and office against figures worked out by hand.

The data set and its table are in tests/reports/data.py. "March" is 2026-03-01..2026-03-31 in
Kazakhstan time: V1..V6 approved (V7 submitted, V8 assigned; V11 starts at 00:10 on April 1
local time, though March 31 in UTC).
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.roles import Role
from service.offices.models import Office
from tests.conftest import AuthHeaders
from tests.fixtures.routes import api_path
from tests.reports.data import NOW, Dataset, add_visit

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
NO_FIGURES = {
    "graded": 0,
    "mean_score": None,
    "mean_grade": None,
    "share_grade_5": None,
    "findings_critical": 0,
    "findings_major": 0,
    "findings_minor": 0,
    "deadlines_judged": 0,
    "deadlines_met": 0,
    "share_deadlines_met": None,
}
NO_COMPARISON = {
    f"{when}_{figure}": None
    for when, figures in (
        ("previous", ("visits", "rated", "mean_rating", "share_rating_5", "mean_grade",
                      "share_grade_5")),
        ("change", ("mean_rating", "share_rating_5", "mean_grade", "share_grade_5")),
    )
    for figure in figures
}  # fmt: skip


def get(client: TestClient, headers: dict[str, str], route: str, **params: Any) -> Any:
    response = client.get(api_path(route), params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def analyst(auth_headers: AuthHeaders) -> dict[str, str]:
    return auth_headers(Role.analyst)


@pytest.mark.usefixtures("report_data")
class TestServices:
    def test_every_column_of_march(self, client: TestClient, analyst: dict[str, str]) -> None:
        # In person only (V3 is a 1414 call), ranked by satisfaction: S39 (V6 rated 5),
        # S33 (V1 5, V2 4), S32 (V4 4), S26 (V5 2).
        body = get(client, analyst, "rank_services", **MARCH)
        items = body["items"]
        assert [r["service_code"] for r in items] == ["S39", "S33", "S32", "S26"]
        assert [r["rank"] for r in items] == [1, 2, 3, 4]
        s39, s33, s32, s26 = items
        assert s32 | {"name_ru": None} == {
            "rank": 3, "service_code": "S32", "name_ru": None, "visits": 1, "rated": 1,
            "mean_rating": 4.0, "share_rating_5": 0.0, "graded": 1,
            "mean_score": 92.0, "mean_grade": 5.0, "share_grade_5": 100.0,
            "findings_critical": 0, "findings_major": 1, "findings_minor": 1,
            "deadlines_judged": 1, "deadlines_met": 0, "share_deadlines_met": 0.0,
        }  # fmt: skip
        assert s32["name_ru"].startswith("Назначение пенсионных выплат")
        assert s33 == s33 | {
            "visits": 2, "rated": 2, "mean_rating": 4.5, "share_rating_5": 50.0,
            "graded": 2, "mean_score": 82.5, "mean_grade": 4.0,
            "share_grade_5": 50.0, "findings_critical": 0, "findings_major": 1,
            "findings_minor": 2, "deadlines_judged": 2, "deadlines_met": 1,
            "share_deadlines_met": 50.0,
        }  # fmt: skip
        assert s26 == s26 | {
            "visits": 1, "rated": 1, "mean_rating": 2.0, "share_rating_5": 0.0,
            "graded": 1, "mean_score": 40.0, "mean_grade": 1.0,
            "share_grade_5": 0.0, "findings_critical": 1, "findings_major": 2,
            "findings_minor": 0, "deadlines_judged": 1, "deadlines_met": 1,
            "share_deadlines_met": 100.0,
        }  # fmt: skip
        assert s39 == s39 | {
            "visits": 1, "rated": 1, "mean_rating": 5.0, "share_rating_5": 100.0, **NO_FIGURES
        }  # fmt: skip
        assert body["filters"]["statuses"] == ["approved"]
        assert body["filters"]["channel"] == "in_person"
        assert body["rank_by"] == "satisfaction"
        # Pooled over the five visits: ratings 5+4+4+2+5 = 20 / 5; grades 5+3+5+1 = 14 / 4.
        assert body["total"] == {
            "visits": 5, "rated": 5, "mean_rating": 4.0, "share_rating_5": 40.0,
            "graded": 4, "mean_score": 74.25, "mean_grade": 3.5, "share_grade_5": 50.0,
            "findings_critical": 1, "findings_major": 4, "findings_minor": 3,
            "deadlines_judged": 4, "deadlines_met": 2, "share_deadlines_met": 50.0,
            **NO_COMPARISON,
        }  # fmt: skip

    def test_ranked_by_compliance(self, client: TestClient, analyst: dict[str, str]) -> None:
        body = get(client, analyst, "rank_services", rank_by="compliance", **MARCH)
        shown = [(r["rank"], r["service_code"], r["mean_grade"]) for r in body["items"]]
        assert shown == [(1, "S32", 5.0), (2, "S33", 4.0), (3, "S26", 1.0), (4, "S39", None)]
        assert body["rank_by"] == "compliance"
        assert body["total"]["mean_rating"] == 4.0

    def test_status_widens_to_submitted(self, client: TestClient, analyst: dict[str, str]) -> None:
        items = get(
            client, analyst, "rank_services", status="approved,submitted", rank_by="compliance",
            **MARCH,
        )["items"]  # fmt: skip
        assert [r["service_code"] for r in items] == ["S32", "S33", "S39", "S26"]
        s39 = items[2]
        assert s39 == s39 | {
            "visits": 2, "rated": 2, "mean_rating": 5.0, "graded": 1, "mean_score": 60.0,
            "mean_grade": 3.0, "share_grade_5": 0.0, "findings_minor": 1, "deadlines_judged": 0,
            "share_deadlines_met": None,
        }  # fmt: skip

    def test_repeated_status_parameters(self, client: TestClient, analyst: dict[str, str]) -> None:
        params = (("status", "approved"), ("status", "submitted"), ("from", "2026-03-01"))
        response = client.get(api_path("rank_services"), params=params, headers=analyst)
        assert response.json()["filters"]["statuses"] == ["approved", "submitted"]
        assert len(response.json()["items"]) == 4

    def test_unscored_visits_count_but_have_no_figures(
        self, client: TestClient, analyst: dict[str, str]
    ) -> None:
        body = get(client, analyst, "rank_services", status="assigned")
        unrated = {"visits": 1, "rated": 0, "mean_rating": None, "share_rating_5": None}
        items = body["items"]
        assert items == [items[0] | {"rank": 1, "service_code": "S26", **unrated, **NO_FIGURES}]
        assert body["total"] == {**unrated, **NO_FIGURES, **NO_COMPARISON}

    def test_no_visits_is_an_empty_ranking(
        self, client: TestClient, analyst: dict[str, str]
    ) -> None:
        body = get(client, analyst, "rank_services", **{"from": "2030-01-01"})
        assert body["items"] == []
        empty = {"visits": 0, "rated": 0, "mean_rating": None, "share_rating_5": None}
        assert body["total"] == {**empty, **NO_FIGURES, **NO_COMPARISON}


@pytest.mark.usefixtures("report_data")
class TestAgencies:
    def test_march_compared_with_february(
        self, client: TestClient, analyst: dict[str, str]
    ) -> None:
        body = get(
            client,
            analyst,
            "rank_agencies",
            compare_from="2026-02-01",
            compare_to="2026-02-28",
            **MARCH,
        )
        assert (body["compare_from"], body["compare_to"]) == ("2026-02-01", "2026-02-28")
        # By satisfaction: МИО (V6 rated 5), МТСЗН (V1 5, V2 4, V4 4), НБ (V5 2).
        local, labour, bank = body["items"]
        assert labour == labour | {
            "rank": 2, "agency": "МТСЗН", "visits": 3, "rated": 3, "mean_rating": 4.33,
            "share_rating_5": 33.33, "graded": 3, "mean_score": 85.67,
            "mean_grade": 4.33, "share_grade_5": 66.67, "findings_critical": 0,
            "findings_major": 2, "findings_minor": 3, "deadlines_judged": 3,
            "deadlines_met": 1, "share_deadlines_met": 33.33,
            # February: V9 alone, rated 4 and graded 4.
            "previous_visits": 1, "previous_rated": 1, "previous_mean_rating": 4.0,
            "previous_share_rating_5": 0.0, "previous_mean_grade": 4.0,
            "previous_share_grade_5": 0.0, "change_mean_rating": 0.33,
            "change_share_rating_5": 33.33, "change_mean_grade": 0.33,
            "change_share_grade_5": 66.67,
        }  # fmt: skip
        assert labour["name_ru"]
        assert bank == bank | {
            "rank": 3, "agency": "НБ", "mean_rating": 2.0, "mean_grade": 1.0,
            "share_grade_5": 0.0, "previous_visits": 1, "previous_mean_rating": 5.0,
            "previous_mean_grade": 5.0, "previous_share_grade_5": 100.0,
            "change_mean_rating": -3.0, "change_share_rating_5": -100.0,
            "change_mean_grade": -4.0, "change_share_grade_5": -100.0,
        }  # fmt: skip
        assert local == local | {
            "rank": 1, "agency": "МИО", "visits": 1, "mean_rating": 5.0, "mean_grade": None,
            "previous_visits": None, "change_mean_rating": None,
        }  # fmt: skip
        # The total row against February's (V9 rated 4, V10 5; graded 4 and 5), both pooled.
        assert body["total"] == body["total"] | {
            "visits": 5, "rated": 5, "mean_rating": 4.0, "share_rating_5": 40.0,
            "mean_grade": 3.5, "share_grade_5": 50.0, "previous_visits": 2,
            "previous_rated": 2, "previous_mean_rating": 4.5, "previous_share_rating_5": 50.0,
            "previous_mean_grade": 4.5, "previous_share_grade_5": 50.0,
            "change_mean_rating": -0.5, "change_share_rating_5": -10.0,
            "change_mean_grade": -1.0, "change_share_grade_5": 0.0,
        }  # fmt: skip

    def test_without_comparison_the_change_is_null(
        self, client: TestClient, analyst: dict[str, str]
    ) -> None:
        items = get(client, analyst, "rank_agencies", **MARCH)["items"]
        assert all(r["previous_mean_grade"] is None for r in items)
        assert all(r["change_share_grade_5"] is None for r in items)
        assert all(r["change_mean_rating"] is None for r in items)

    def test_a_wave_compared_with_the_month_before(
        self, client: TestClient, analyst: dict[str, str]
    ) -> None:
        # The comparison drops the wave (w0 ran in February, w1 in March).
        params = {"wave": "w1", "compare_from": "2026-02-01", "compare_to": "2026-02-28"}
        items = get(client, analyst, "rank_agencies", rank_by="compliance", **params)["items"]
        labour = items[0]
        assert labour == labour | {
            "agency": "МТСЗН", "visits": 3, "mean_grade": 4.33, "previous_visits": 1,
            "previous_mean_grade": 4.0, "change_mean_grade": 0.33,
        }  # fmt: skip

    @pytest.mark.parametrize(
        ("params", "says"),
        [
            ({"compare_from": "2026-02-28", "compare_to": "2026-02-01"}, "is before"),
            ({"compare_from": "2026-02-01"}, "compare_from needs compare_to"),
            ({"compare_to": "2026-02-28"}, "compare_to needs compare_from"),
            ({**MARCH, "compare_from": "2026-02-01", "compare_to": "2026-03-01"}, "overlaps"),
            ({"from": "2026-03-01", "compare_from": "2026-03-05", "compare_to": "2026-04-01"},
             "overlaps"),
        ],
    )  # fmt: skip
    def test_comparison_period_refused(
        self, client: TestClient, analyst: dict[str, str], params: dict[str, str], says: str
    ) -> None:
        response = client.get(api_path("rank_agencies"), params=params, headers=analyst)
        assert response.status_code == 422
        assert response.json()["code"] == "report-filters-invalid"
        assert says in response.json()["detail"]


@pytest.mark.usefixtures("report_data")
class TestRegionsAndOffices:
    def test_regions(self, client: TestClient, analyst: dict[str, str]) -> None:
        items = get(client, analyst, "rank_regions", rank_by="compliance", **MARCH)["items"]
        assert [(r["rank"], r["region"]) for r in items] == [
            (1, "karaganda"), (2, "astana"), (3, "almaty_city")
        ]  # fmt: skip
        karaganda, astana, almaty = items
        assert astana == {
            "rank": 2, "region": "astana", "name_ru": "г. Астана", "visits": 2, "rated": 2,
            "mean_rating": 3.5, "share_rating_5": 50.0, "graded": 2,
            "mean_score": 67.5, "mean_grade": 3.0, "share_grade_5": 50.0,
            "findings_critical": 1, "findings_major": 2, "findings_minor": 1,
            "deadlines_judged": 2, "deadlines_met": 2, "share_deadlines_met": 100.0,
            **NO_COMPARISON,
        }  # fmt: skip
        assert almaty == almaty | {
            "visits": 2, "rated": 2, "mean_rating": 4.5, "graded": 1, "mean_score": 70.0,
            "mean_grade": 3.0, "share_grade_5": 0.0, "findings_major": 1, "findings_minor": 1,
            "deadlines_judged": 1, "deadlines_met": 0, "share_deadlines_met": 0.0,
        }  # fmt: skip
        assert karaganda["mean_grade"] == 5.0

    def test_regions_by_satisfaction(self, client: TestClient, analyst: dict[str, str]) -> None:
        # almaty_city: V2 4, V6 5; karaganda: V4 4; astana: V1 5, V5 2.
        items = get(client, analyst, "rank_regions", **MARCH)["items"]
        shown = [(r["rank"], r["region"], r["mean_rating"], r["rated"]) for r in items]
        assert shown == [
            (1, "almaty_city", 4.5, 2),
            (2, "karaganda", 4.0, 1),
            (3, "astana", 3.5, 2),
        ]

    def test_offices(
        self, client: TestClient, analyst: dict[str, str], report_data: Dataset
    ) -> None:
        items = get(client, analyst, "rank_offices", rank_by="compliance", **MARCH)["items"]
        assert [r["office_id"] for r in items] == [report_data.offices[k] for k in "CAB"]
        office_c = items[0]
        assert office_c == {
            "rank": 1, "office_id": report_data.offices["C"], "name": "Отдел занятости Караганды",
            "region": "karaganda", "kind": "agency_office", "visits": 1, "rated": 1,
            "mean_rating": 4.0, "share_rating_5": 0.0, "graded": 1,
            "mean_score": 92.0, "mean_grade": 5.0, "share_grade_5": 100.0,
            "findings_critical": 0, "findings_major": 1, "findings_minor": 1,
            "deadlines_judged": 1, "deadlines_met": 0, "share_deadlines_met": 0.0,
        }  # fmt: skip


class TestTies:
    """Ranks follow the figures as shown (2 decimals), then the share of 5s."""

    @pytest.fixture
    def tied_offices(self, session: Session, report_data: Dataset) -> None:
        # X: 11 fives and 9 fours, mean 4.55, 55% fives. Y: 7 fives, 3 fours and a three,
        # mean 4.5454..., shown 4.55, 63.64% fives. Y ranks first although its exact mean is
        # lower; Z, graded like X, shares X's rank.
        grades = {"X": [5] * 11 + [4] * 9, "Y": [5] * 7 + [4] * 3 + [3], "Z": [5] * 11 + [4] * 9}
        for office, marks in grades.items():
            row = Office(name=f"Офис {office}", kind="con", region="abai", city="Семей",
                         created_at=NOW)  # fmt: skip
            session.add(row)
            session.flush()
            assert row.id is not None
            report_data.offices[office] = row.id
            for n, grade in enumerate(marks):
                add_visit(session, report_data, f"{office}{n}", (
                    "S33", "in_person", office, "approved", (5, 4, 10, 0), "tie", 20.0 * grade,
                    grade, False, None, [], {},
                ))  # fmt: skip
        session.flush()

    @pytest.mark.usefixtures("tied_offices")
    def test_shown_figures_then_share_of_fives(
        self, client: TestClient, analyst: dict[str, str], report_data: Dataset
    ) -> None:
        items = get(client, analyst, "rank_offices", wave="tie", rank_by="compliance")["items"]
        shown = [(r["rank"], r["name"], r["mean_grade"], r["share_grade_5"]) for r in items]
        assert shown == [
            (1, "Офис Y", 4.55, 63.64),
            (2, "Офис X", 4.55, 55.0),
            (2, "Офис Z", 4.55, 55.0),
        ]
