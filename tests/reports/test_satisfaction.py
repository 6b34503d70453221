"""Table 1's form reproduced on a hand-made wave: satisfaction beside compliance, n, Всего.

The 2018 report's Table 1 (report-2018.txt lines 44-352) ranks services by the mean of the
respondents' own 1-5 ratings («Средний балл») and the share of 5s («%»), and its «Всего» row
(4,66 / 72,4, line 12) pools every respondent: figures.md reproduces it as 46,573 points /
9,997 respondents, not as a mean of the 60 rows. Table 2 ranks agencies with the change since
the year before; Table 3 the regions of local services.

Wave t1, every visit approved, the week of April 6, 2026 (offices A astana, B almaty_city,
C karaganda, from tests/reports/data.py):

| visit | service | channel | office | score | grade | deadline | findings c/M/m | rating |
|---|---|---|---|---|---|---|---|---|
| T1 | S26 | in_person | A | 95 | 5 | on_time | 0/0/0 | 5 |
| T2 | S26 | in_person | B | 90 | 5 | on_time | 0/0/0 | 5 |
| T3 | S26 | in_person | C | 80 | 4 | late | 0/1/0 | 4 |
| T4 | S33 | in_person | A | 100 | 5 | on_time | 0/0/0 | 5 |
| T5 | S33 | in_person | A | 60 | 3 | on_time | 0/0/1 | 3 |
| T6 | S33 | in_person | B | 85 | 4 | pending | 0/0/0 | 4 |
| T7 | S33 | in_person | C | 92 | 5 | on_time | 0/0/1 | 5 |
| T8 | S45 | in_person | B | 40 | 1 | overdue | 1/0/0 | 2 |
| T9 | S45 | in_person | C | 70 | 3 | on_time | 0/0/0 | 5 |
| T10 | S58 | in_person | A | 88 | 4 | on_time | 0/0/0 | 5 |
| T11 | S58 | in_person | B | none | none | unknown | 0/0/0 | N/A |
| T12 | S33 | call_1414 | A | 50 | 2 | none | 0/0/1 | 1 |
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.roles import Role
from service.checklists import service as checklists_service
from service.checklists.format import ChecklistChannel, ResolvedChecklist
from service.checklists.items import RatingItem
from service.reports.repository_ranking import SATISFACTION_ITEM
from tests.conftest import AuthHeaders
from tests.fixtures.routes import api_path
from tests.reports.data import NOW, Dataset, add_rating, add_visit

# key: service, channel, office, day of April, score, grade, deadline, findings, rating
WAVE: dict[str, tuple[Any, ...]] = {
    "T1": ("S26", "in_person", "A", 6, 95, 5, "on_time", [], 5),
    "T2": ("S26", "in_person", "B", 6, 90, 5, "on_time", [], 5),
    "T3": ("S26", "in_person", "C", 7, 80, 4, "late", [("deadline-late", "major")], 4),
    "T4": ("S33", "in_person", "A", 7, 100, 5, "on_time", [], 5),
    "T5": ("S33", "in_person", "A", 8, 60, 3, "on_time", [("non-compliant-item", "minor")], 3),
    "T6": ("S33", "in_person", "B", 8, 85, 4, "pending", [], 4),
    "T7": ("S33", "in_person", "C", 9, 92, 5, "on_time", [("badge-missing", "minor")], 5),
    "T8": ("S45", "in_person", "B", 9, 40, 1, "overdue",
           [("refusal-for-non-standard-document", "critical")], 2),
    "T9": ("S45", "in_person", "C", 10, 70, 3, "on_time", [], 5),
    "T10": ("S58", "in_person", "A", 10, 88, 4, "on_time", [], 5),
    "T11": ("S58", "in_person", "B", 10, None, None, "unknown", [], None),
    "T12": ("S33", "call_1414", "A", 10, 50, 2, None, [("call-transferred", "minor")], 1),
}  # fmt: skip
T1 = {"wave": "t1"}
APRIL = {"from": "2026-04-06", "to": "2026-04-30"}


@pytest.fixture
def wave(session: Session, report_data: Dataset) -> Dataset:
    for key, (code, channel, office, day, score, grade, deadline, findings, rating) in WAVE.items():
        row: tuple[Any, ...] = (code, channel, office, "approved", (4, day, 10, 0), "t1", score, grade,
               grade == 1, deadline, findings, {})  # fmt: skip
        add_visit(session, report_data, key, row)
        # T11's shopper marked the rating N/A: no value, not counted in rated.
        add_rating(session, report_data, key, rating, na=rating is None)
    session.flush()
    return report_data


@pytest.fixture
def analyst(auth_headers: AuthHeaders) -> dict[str, str]:
    return auth_headers(Role.analyst)


def get(client: TestClient, headers: dict[str, str], route: str, **params: Any) -> Any:
    response = client.get(api_path(route), params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def satisfaction(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["visits"], row["rated"], row["mean_rating"], row["share_rating_5"]


@pytest.mark.usefixtures("wave")
class TestTable1:
    def test_every_figure_of_the_wave(self, client: TestClient, analyst: dict[str, str]) -> None:
        body = get(client, analyst, "rank_services", **T1)
        codes = [(r["rank"], r["service_code"]) for r in body["items"]]
        # By mean rating: S58 5 (T10; T11 N/A), S26 14/3, S33 17/4 (T12 is a call), S45 7/2.
        assert codes == [(1, "S58"), (2, "S26"), (3, "S33"), (4, "S45")]
        s58, s26, s33, s45 = body["items"]
        assert s58 | {"name_ru": None} == {
            "rank": 1, "service_code": "S58", "name_ru": None,
            "visits": 2, "rated": 1, "mean_rating": 5.0, "share_rating_5": 100.0,
            "graded": 1, "mean_score": 88.0, "mean_grade": 4.0, "share_grade_5": 0.0,
            "findings_critical": 0, "findings_major": 0, "findings_minor": 0,
            "deadlines_judged": 1, "deadlines_met": 1, "share_deadlines_met": 100.0,
        }  # fmt: skip
        assert s58["name_ru"] == "Регистрация лиц, ищущих работу, в качестве безработного"
        assert s26 == s26 | {
            "rank": 2, "visits": 3, "rated": 3, "mean_rating": 4.67, "share_rating_5": 66.67,
            "graded": 3, "mean_score": 88.33, "mean_grade": 4.67, "share_grade_5": 66.67,
            "findings_critical": 0, "findings_major": 1, "findings_minor": 0,
            "deadlines_judged": 3, "deadlines_met": 2, "share_deadlines_met": 66.67,
        }  # fmt: skip
        assert s33 == s33 | {
            "rank": 3, "visits": 4, "rated": 4, "mean_rating": 4.25, "share_rating_5": 50.0,
            "graded": 4, "mean_score": 84.25, "mean_grade": 4.25, "share_grade_5": 50.0,
            "findings_critical": 0, "findings_major": 0, "findings_minor": 2,
            "deadlines_judged": 3, "deadlines_met": 3, "share_deadlines_met": 100.0,
        }  # fmt: skip
        assert s45 == s45 | {
            "rank": 4, "visits": 2, "rated": 2, "mean_rating": 3.5, "share_rating_5": 50.0,
            "graded": 2, "mean_score": 55.0, "mean_grade": 2.0, "share_grade_5": 0.0,
            "findings_critical": 1, "findings_major": 0, "findings_minor": 0,
            "deadlines_judged": 2, "deadlines_met": 1, "share_deadlines_met": 50.0,
        }  # fmt: skip

    def test_the_total_row_is_pooled_over_visits(
        self, client: TestClient, analyst: dict[str, str]
    ) -> None:
        total = get(client, analyst, "rank_services", **T1)["total"]
        # 43 points over 10 ratings, six of them 5s; the mean of the four rows' means would
        # be (5 + 4.667 + 4.25 + 3.5) / 4 = 4.35. Grades 39 / 10, four 5s; scores 800 / 10;
        # deadlines: 9 judged (T6 pending, T11 unknown), 7 met.
        assert total == total | {
            "visits": 11, "rated": 10, "mean_rating": 4.3, "share_rating_5": 60.0,
            "graded": 10, "mean_score": 80.0, "mean_grade": 3.9, "share_grade_5": 40.0,
            "findings_critical": 1, "findings_major": 1, "findings_minor": 2,
            "deadlines_judged": 9, "deadlines_met": 7, "share_deadlines_met": 77.78,
        }  # fmt: skip
        assert total["previous_visits"] is None

    def test_each_channel_is_a_table_of_its_own(
        self, client: TestClient, analyst: dict[str, str]
    ) -> None:
        body = get(client, analyst, "rank_services", channel="call_1414", **T1)
        assert body["filters"]["channel"] == "call_1414"
        (s33,) = body["items"]
        assert (s33["service_code"], *satisfaction(s33)) == ("S33", 1, 1, 1.0, 0.0)
        assert (s33["mean_score"], s33["mean_grade"], s33["findings_minor"]) == (50.0, 2.0, 1)
        assert satisfaction(body["total"]) == (1, 1, 1.0, 0.0)
        assert get(client, analyst, "rank_services", channel="egov", **T1)["items"] == []

    def test_other_reports_keep_every_channel(
        self, client: TestClient, analyst: dict[str, str]
    ) -> None:
        items = get(client, analyst, "list_findings", **T1)["items"]
        assert "call-transferred" in {r["code"] for r in items}


@pytest.mark.usefixtures("wave")
class TestTable2:
    def test_agencies_against_february(self, client: TestClient, analyst: dict[str, str]) -> None:
        # The comparison drops the wave: February holds V9 (S33, rated 4) and V10 (S26, 5).
        params = {**T1, "compare_from": "2026-02-01", "compare_to": "2026-02-28"}
        body = get(client, analyst, "rank_agencies", **params)
        shown = [
            (r["rank"], r["agency"], *satisfaction(r), r["previous_mean_rating"],
             r["change_mean_rating"], r["change_share_rating_5"])
            for r in body["items"]
        ]  # fmt: skip
        assert shown == [
            (1, "НБ", 3, 3, 4.67, 66.67, 5.0, -0.33, -33.33),
            (2, "МТСЗН", 4, 4, 4.25, 50.0, 4.0, 0.25, 50.0),
            # S45 and S58: ratings 2, 5, 5 (T11 N/A); no МИО visit in February.
            (3, "МИО", 4, 3, 4.0, 66.67, None, None, None),
        ]
        total = body["total"]
        assert (*satisfaction(total), total["previous_rated"], total["previous_mean_rating"],
                total["previous_share_rating_5"], total["change_mean_rating"],
                total["change_share_rating_5"]) == (11, 10, 4.3, 60.0, 2, 4.5, 50.0, -0.2, 10.0)  # fmt: skip


@pytest.mark.usefixtures("wave")
class TestTable3:
    def test_local_services_by_region_with_the_change(
        self, client: TestClient, analyst: dict[str, str]
    ) -> None:
        # Local (S45, S58) from April 6; before: V6 (almaty_city, March 31, rated 5) and V11
        # (karaganda, April 1, rated 3), both S39 in person.
        params = {**APRIL, "level": "local", "compare_from": "2026-03-01",
                  "compare_to": "2026-04-05"}  # fmt: skip
        body = get(client, analyst, "rank_regions", **params)
        shown = [
            (r["rank"], r["region"], *satisfaction(r), r["change_mean_rating"],
             r["change_share_rating_5"])
            for r in body["items"]
        ]  # fmt: skip
        assert shown == [
            # Tied on 5.0 and 100%: one rank, then by region code.
            (1, "astana", 1, 1, 5.0, 100.0, None, None),
            (1, "karaganda", 1, 1, 5.0, 100.0, 2.0, 100.0),
            (3, "almaty_city", 2, 1, 2.0, 0.0, -3.0, -100.0),
        ]
        assert body["items"][0]["name_ru"] == "г. Астана"
        total = body["total"]
        assert (*satisfaction(total), total["previous_mean_rating"],
                total["previous_share_rating_5"], total["change_mean_rating"],
                total["change_share_rating_5"]) == (4, 3, 4.0, 66.67, 4.0, 50.0, 0.0, 16.67)  # fmt: skip


class TestTheRatingItem:
    def test_only_a_rating_of_1_to_5_counts(
        self,
        session: Session,
        report_data: Dataset,
        client: TestClient,
        analyst: dict[str, str],
    ) -> None:
        # Values the rating kind never stores (a text "5", a 7, a fraction) are not ratings.
        for key, value in {"Z1": "5", "Z2": 7, "Z3": 4.5, "Z4": 4}.items():
            row: tuple[Any, ...] = ("S26", "in_person", "A", "approved", (4, 20, 10, 0), "odd",
                                    80, 4, False, "on_time", [], {})  # fmt: skip
            add_visit(session, report_data, key, row)
            add_rating(session, report_data, key, value)  # type: ignore[arg-type]
        session.flush()
        (s26,) = get(client, analyst, "rank_services", wave="odd")["items"]
        assert satisfaction(s26) == (4, 1, 4.0, 0.0)

    @pytest.mark.parametrize("channel", list(ChecklistChannel))
    def test_every_channel_asks_it_on_the_report_scale(
        self, session: Session, channel: ChecklistChannel
    ) -> None:
        # The reports read SATISFACTION_ITEM by its code on every channel (observable I1).
        checklist = checklists_service.resolve(session, "S33", channel, NOW.date(), now=NOW)
        items = {
            item.code: item for item in ResolvedChecklist.model_validate(checklist.body).items()
        }
        rating = items[SATISFACTION_ITEM]
        assert isinstance(rating, RatingItem)
        assert "I1" in rating.observables
