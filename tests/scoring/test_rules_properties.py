"""Properties of scoring that hold for any answers to the real checklists."""

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.answers.values import normalize
from service.checklists.format import ResolvedChecklist
from service.checklists.items import ItemBase, YesNoItem
from service.checklists.kinds import kind_of
from service.scoring.norms import NORM_ITEMS
from service.scoring.results import AnswerValue, ItemStatus, ScoreResult
from service.scoring.rules import score_visit
from tests.scoring.test_rules import CAL, CALL, CATALOGUE, EGOV, IP, TODAY, checklist

CASES = [("S33", IP), ("S17", IP), ("S27", IP), ("S06", IP), ("S33", CALL), ("S11", EGOV)]
START = dt.datetime(2026, 2, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Visit:
    def __init__(self, checklist: ResolvedChecklist, answers: dict[str, AnswerValue]) -> None:
        self.checklist, self.answers = checklist, answers

    def __repr__(self) -> str:
        # A failing example prints this; the whole checklist would be tens of kilobytes.
        shown = {c: "N/A" if a.na else a.value for c, a in self.answers.items()}
        return f"Visit({self.checklist.service_code}, {self.checklist.channel}, {shown})"


@dataclass(frozen=True)
class SpreadDraw:
    """What the kinds' samplers read, spread wider than the demo's: any quality, times over a
    day and dates over eight months around one visit day."""

    rng: random.Random
    quality: float
    comments: Sequence[str] = ("Всё хорошо", "Надо отблагодарить")
    extra_documents: Sequence[str] = ("свидетельство о браке", "заявление")

    def moment(self, code: str) -> dt.datetime:
        return START + dt.timedelta(minutes=self.rng.randint(-30, 24 * 60))

    def day(self, code: str) -> str | None:
        return (START.date() + dt.timedelta(days=self.rng.randint(-5, 240))).isoformat()

    def critical_failure(self, code: str) -> float:
        return 1 - self.quality


def values_for(item: ItemBase) -> st.SearchStrategy[Any]:
    """Valid raw answers of the item's kind, made by the kind's own sampler (None: no answer)."""
    kind = kind_of(item)
    draws = st.builds(SpreadDraw, st.randoms(use_true_random=False), st.floats(0, 1))
    return draws.map(lambda draw: kind.sample(item, draw))


@st.composite
def visits(draw: st.DrawFn) -> Visit:
    code, channel = draw(st.sampled_from(CASES))
    resolved = checklist(code, channel)
    answers: dict[str, AnswerValue] = {}
    for item in resolved.items():
        if not kind_of(item).takes_value:
            continue
        pick = draw(st.sampled_from(["value"] * 4 + ["skip"] + ["na"] * item.allow_na))
        if pick == "na":
            answers[item.code] = AnswerValue(na=True)
        elif pick == "value" and (value := draw(values_for(item))) is not None:
            answers[item.code] = AnswerValue(value=normalize(item, value))
    return Visit(resolved, answers)


def score(resolved: ResolvedChecklist, answers: dict[str, AnswerValue]) -> ScoreResult:
    return score_visit(
        resolved, CATALOGUE[resolved.service_code], answers, calendar=CAL, today=TODAY
    )


def with_item(resolved: ResolvedChecklist, code: str, **update: Any) -> ResolvedChecklist:
    """The checklist with one item changed (``drop=True`` removes it)."""
    drop = update.pop("drop", False)
    sections = []
    for section in resolved.sections:
        items = [
            i.model_copy(update=update) if i.code == code else i
            for i in section.items
            if not (drop and i.code == code)
        ]
        sections.append(section.model_copy(update={"items": items}))
    return resolved.model_copy(update={"sections": sections})


def summary(result: ScoreResult, skip: str = "") -> tuple[Any, ...]:
    items = [i for i in result.items if i.code != skip]
    return (
        result.score,
        result.grade,
        result.critical_failed,
        result.sections,
        items,
        result.findings,
        result.deadline,
        result.queue,
        result.documents,
    )


@SETTINGS
@given(visits())
def test_score_is_within_0_and_100_or_none(visit: Visit) -> None:
    result = score(visit.checklist, visit.answers)
    assert result.score is None or 0 <= result.score <= 100
    assert result.grade in (None, 1, 2, 3, 4, 5)
    assert all(s.score is None or 0 <= s.score <= 100 for s in result.sections)
    assert all(0 <= i.earned <= i.applicable for i in result.items)


@SETTINGS
@given(visits(), st.data())
def test_an_na_answer_is_as_if_the_item_were_not_there(visit: Visit, data: st.DataObject) -> None:
    resolved, answers = visit.checklist, visit.answers
    open_items = [i for i in resolved.items() if i.allow_na and i.code not in answers]
    if not open_items:
        return
    item = resolved.item(data.draw(st.sampled_from([i.code for i in open_items])))
    with_na = score(resolved, answers | {item.code: AnswerValue(na=True)})
    assert summary(with_na, item.code) == summary(
        score(with_item(resolved, item.code, drop=True), answers)
    )
    if not item.required and item.code not in NORM_ITEMS.values():
        # Nothing was counted for it while unanswered, so N/A changes nothing at all.
        assert summary(with_na, item.code) == summary(score(resolved, answers), item.code)


@SETTINGS
@given(visits(), st.data())
def test_a_failed_critical_item_always_gives_grade_1(visit: Visit, data: st.DataObject) -> None:
    resolved, answers = visit.checklist, visit.answers
    candidates = [
        i
        for i in resolved.items()
        if isinstance(i, YesNoItem) and i.compliant_answer and not i.show_if
    ]
    item = resolved.item(data.draw(st.sampled_from([i.code for i in candidates])))
    assert isinstance(item, YesNoItem)
    failing = "no" if item.compliant_answer == "yes" else "yes"
    # Critical with or without points of its own.
    weight = data.draw(st.sampled_from([0.0, item.weight]))
    result = score(
        with_item(resolved, item.code, critical=True, weight=weight),
        answers | {item.code: AnswerValue(value=failing)},
    )
    assert result.critical_failed
    assert result.grade == 1
    assert any(f.severity == "critical" and item.code in f.item_codes for f in result.findings)


@SETTINGS
@given(visits(), st.data(), st.floats(0.5, 20))
def test_raising_a_compliant_items_weight_never_lowers_the_score(
    visit: Visit, data: st.DataObject, extra: float
) -> None:
    resolved, answers = visit.checklist, visit.answers
    before = score(resolved, answers)
    compliant = [i.code for i in before.items if i.status is ItemStatus.compliant]
    if not compliant:
        return
    code = data.draw(st.sampled_from(compliant))
    heavier = with_item(resolved, code, weight=resolved.item(code).weight + extra)
    after = score(heavier, answers)
    assert before.score is not None
    assert after.score is not None
    assert after.score >= before.score
