"""Grades that mean what the 2018 report means: one row per case of issue 16, item 1.

Each row is a real checklist built from the seed standards, answered perfectly but for the
one breach, and quotes the report line the policy rests on. Before the grading policy every
one of these visits graded 5 or 4 on points alone.
"""

import datetime as dt
from typing import Any

import pytest

from service.checklists.format import ChecklistChannel
from service.scoring.results import ScoreResult
from tests.scoring.test_rules import Visit, at

IP, CALL = ChecklistChannel.in_person, ChecklistChannel.call_1414
# S58's term is one working day: the perfect visit's result on the next day.
S58_ON_TIME = {
    "result_promised_on": "2026-02-03",
    "notification_received_on": "2026-02-03",
    "result_received_on": "2026-02-03",
}


def worst(result: ScoreResult) -> str | None:
    return result.findings[0].severity.value if result.findings else None


# (id, service, channel, answers, finding, its severity, highest grade allowed, report quote)
CASES: list[tuple[str, str, ChecklistChannel, dict[str, Any], str, str, int, str]] = [
    ("extra-documents", "S33", IP,
     {"documents_demanded": {"selected": ["doc_1", "doc_2"],
                             "extras": ["свидетельство о браке", "справка о составе семьи"]}},
     "documents-beyond-standard", "major", 4,
     "line 4665: «с услугополучателей требовали документы, которые не указаны в стандарте»"),
    ("queue-40-minutes", "S33", IP,
     {"ticket_taken_at": at("10:05"), "number_called_at": at("10:45"),
      "service_started_at": at("10:46"), "service_ended_at": at("10:56")},
     "queue-wait-over-norm", "major", 4,
     "line 7: «отличное обслуживание (вежливость, компетентность, оперативность персонала)»"),
    ("1414-wrong-deadline", "S33", CALL, {"answer_deadline_match": "mismatch"},
     "call-answer-contradicts-standard", "major", 4,
     "line 2681: «Звонили на 1414. Некомпетентны вообще»"),
    ("result-two-working-days-late", "S33", IP,
     {"result_promised_on": "2026-02-11", "notification_received_on": "2026-02-13",
      "result_received_on": "2026-02-13"},
     "deadline-late", "critical", 2,
     "line 7: «предоставление услуги в сроки»"),
    ("s58-refused-for-a-document-not-required", "S58", IP,
     S58_ON_TIME | {"application_refused": "yes", "refusal_for_non_standard_document": "yes",
                    "refusal_reason": "Нет трудовой книжки"},
     "refusal-for-non-standard-document", "critical", 2,
     "lines 4668-4669: «требовали дополнительные документы, которые по стандарту не требуются:"
     " трудовая книжка»; «Справку не получила потому что не было трудовой книжки»"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "channel", "answers", "finding", "severity", "highest", "quote"),
    [pytest.param(*row[1:], id=row[0]) for row in CASES],
)
def test_a_breach_caps_the_grade(
    code: str,
    channel: ChecklistChannel,
    answers: dict[str, Any],
    finding: str,
    severity: str,
    highest: int,
    quote: str,
) -> None:
    assert quote  # the row's reason, kept with it
    result = Visit(code, channel).set(**answers).score()
    assert {(f.code, f.severity.value) for f in result.findings} == {(finding, severity)}
    assert result.grade is not None
    assert result.grade <= highest
    assert result.compliance.grade == result.grade
    assert result.compliance.policy_version == result.policy_version == "2026.1"
    # Where the points alone give a better grade, the finding's severity is what caps it.
    band = result.compliance.band_grade
    assert band is not None
    assert (f"{severity}-finding" in result.compliance.capped_by) is (band > highest)


def test_the_same_visits_without_the_breach_grade_5() -> None:
    for code, channel, answers in [("S33", IP, {}), ("S33", CALL, {}), ("S58", IP, S58_ON_TIME)]:
        result = Visit(code, channel).set(**answers).score()
        assert (result.grade, result.compliance.capped_by, worst(result)) == (5, [], None)


def test_a_minor_finding_still_allows_a_5() -> None:
    result = Visit("S33").set(badge_worn="no").score()
    assert (worst(result), result.grade, result.compliance.capped_by) == ("minor", 5, [])


def test_a_pending_result_still_allows_a_5_and_an_unknown_deadline_does_not() -> None:
    # No result and no notice of one yet: the deadline is still running.
    not_yet = Visit("S45").drop("result_received_on").mark_na("notification_received")
    pending = not_yet.score(today=dt.date(2026, 2, 3))
    assert pending.deadline is not None
    assert (pending.deadline.status.value, pending.grade) == ("pending", 5)
    # S17 has several deadline cases and none was chosen: the deadline was not shown met.
    unknown = Visit("S17").drop("deadline_case").score()
    assert unknown.deadline is not None
    assert (unknown.deadline.status.value, unknown.grade) == ("unknown", 4)
    assert unknown.compliance.capped_by == ["deadline"]


def test_satisfaction_is_the_shoppers_rating_beside_compliance() -> None:
    unhappy = Visit("S33").set(overall_rating=2).score()
    happy = Visit("S33").score()
    assert (unhappy.satisfaction, happy.satisfaction) == (2, 5)
    # The rating is its own measure: it moves neither the compliance score nor the grade.
    assert (unhappy.score, unhappy.grade) == (happy.score, happy.grade) == (100.0, 5)
    assert unhappy.findings == []
    assert Visit("S33").drop("overall_rating").score().satisfaction is None
