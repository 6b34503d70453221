"""Score a mystery-shopper visit against its checklist and the law's own standard.

Pure: plain values in, a ``ScoreResult`` out; no web, database or storage imports.

How a visit is scored:

* Each item earns ``weight × fraction`` of ``weight`` applicable points. The fraction is 1 for
  the compliant yes/no answer and 0 otherwise; a choice option's ``score``, else its
  ``compliant`` flag (an option with neither is informational); for a multi-choice the
  *lowest* scored selected option, so one failure is not averaged away by ticking more
  options; ``(rating - 1) / 4`` for a rating; for ``documents_demanded`` 1 when nothing
  beyond the standard's list was demanded (only when the standard has a list).
* Items that end a measured interval carry the standard's norms (``norms.NORM_ITEMS``): the
  queue wait, the service time, the 1414 connect time and the deadline. Their weight is the
  larger of the item's and ``ScoringConfig.norm_weights``; their fraction is 1 within the
  norm, 0 beyond it, and they leave the score when the norm cannot be judged.
* N/A answers, items hidden by ``show_if`` and unanswered optional items leave both sides.
  An unanswered required visible item earns 0 of its weight.
* A section scores earned / applicable. The visit scores the mean of its section scores
  weighted by section weight, over sections with something applicable: a long section
  (arrival and premises asks 30 questions) weighs what its weight says, not its length.
* The grade comes from the grading policy (``policy.py``, ``checklists/grading.yaml``): the
  score's band, capped by the worst finding's severity, the deadline verdict and a failed
  critical item. The policy also sets each finding code's severity.
* The shopper's own rating (the policy's satisfaction item) is the satisfaction measure,
  returned beside compliance; unless the policy says otherwise it earns no compliance points.
"""

import datetime as dt
from collections.abc import Mapping

from pydantic import JsonValue

from service.answers.values import AnswerValueError, normalize
from service.calendar.rules import WorkingCalendar
from service.checklists.format import ResolvedChecklist
from service.checklists.items import DocumentsItem, ItemBase
from service.checklists.kinds import kind_of
from service.checklists.vocabulary import SCORING_ROLES, ScoringRole
from service.scoring import findings as item_findings
from service.scoring import topics
from service.scoring.deadlines import ResultDates
from service.scoring.judged import Judged, attach_photos
from service.scoring.norms import NORM_ITEMS, judge_norms
from service.scoring.policy import GradingPolicy, default_policy
from service.scoring.results import (
    RULES_VERSION,
    AnswerValue,
    ItemResult,
    ItemStatus,
    Note,
    ScoreResult,
    ScoringConfig,
    SectionResult,
    visit_score,
)
from service.standards.catalogue import StandardBody

DEFAULT_CONFIG = ScoringConfig()
_NORM_OF_ITEM = {code: norm for norm, code in NORM_ITEMS.items()}


def _read(
    checklist: ResolvedChecklist,
    answers: Mapping[str, AnswerValue],
    photos: Mapping[str, list[str]],
) -> tuple[dict[str, JsonValue], set[str], list[Note]]:
    """Answers in their normal form, the N/A codes, and notes on answers that do not fit."""
    values: dict[str, JsonValue] = {}
    na: set[str] = set()
    notes: list[Note] = []
    for item in checklist.items():
        if not kind_of(item).takes_value:
            if photos.get(item.code):
                values[item.code] = list(photos[item.code])
            continue
        answer = answers.get(item.code)
        if answer is None:
            continue
        try:
            # Stored answers are already normal; this keeps a stale one from breaking a score.
            value = normalize(item, answer.value, na=answer.na)
        except AnswerValueError as exc:
            notes.append(Note.of("answer-invalid", {"item": item.code, "error": str(exc)}))
            continue
        if answer.na:
            na.add(item.code)
        else:
            values[item.code] = value
    return values, na, notes


def _score_item(
    item: ItemBase,
    section: str,
    state: tuple[bool, bool, JsonValue],
    judged: Judged,
    config: ScoringConfig,
    measure_only: bool,
) -> ItemResult:
    shown, is_na, value = state
    norm = _NORM_OF_ITEM.get(item.code)
    weight = max(item.weight, config.norm_weights.get(norm, 0.0) if norm else 0.0)

    def result(status: ItemStatus, earned: float = 0, applicable: float = 0) -> ItemResult:
        return ItemResult(
            code=item.code,
            section=section,
            status=status,
            earned=round(earned, 6),
            applicable=applicable,
        )

    if not shown:
        return result(ItemStatus.hidden)
    if is_na:
        return result(ItemStatus.na)
    if measure_only:
        # The satisfaction rating is its own measure, not a point of compliance.
        return result(ItemStatus.informational if value is not None else ItemStatus.unanswered)
    if norm is not None:
        fraction = judged.fractions.get(norm)
    elif isinstance(item, DocumentsItem):
        fraction = judged.documents_fraction if value is not None else None
    else:
        fraction = None if value is None else kind_of(item).fraction(item, value)
    # A critical item fails the visit even when the template gives it no points.
    if fraction is None or (weight <= 0 and not item.critical):
        if value is not None:
            return result(ItemStatus.informational)
        return result(ItemStatus.unanswered, 0, weight if item.required else 0)
    return result(ItemStatus.of(fraction), weight * fraction, weight)


def score_visit(
    checklist: ResolvedChecklist,
    standard: StandardBody,
    answers: Mapping[str, AnswerValue],
    *,
    calendar: WorkingCalendar,
    today: dt.date,
    photos: Mapping[str, list[str]] | None = None,
    deadline_case_index: int | None = None,
    config: ScoringConfig = DEFAULT_CONFIG,
    policy: GradingPolicy | None = None,
    result_dates: ResultDates | None = None,
    office_channels: frozenset[str] | None = None,
) -> ScoreResult:
    """Score one visit against its checklist and the standard it was built from.

    Args:
        checklist: the resolved checklist the shopper answered.
        standard: the standard version the checklist was built from.
        answers: item code to answer; codes the checklist does not have are ignored.
        calendar: working days, for deadlines.
        today: the day of judging, so a result not yet received is pending or overdue.
        photos: item code to photo ids, attached to findings as evidence.
        deadline_case_index: the coordinator's 0-based case in ``standard.deadlines``, used
            when the checklist has no ``deadline_case`` answer.
        config: norm weights and the monitoring's own norms.
        policy: the grading policy: severities, bands and caps (default: the shipped file).
        result_dates: when the result was ready and received, recorded after the visit;
            they win over the answers.
        office_channels: which of the standard's application channels the visit's office is
            (``ApplicationChannel`` values; None: not known). At an office the standard does
            not list, being sent elsewhere is what the standard expects: not judged.

    Returns:
        The score (None when nothing applies), grade, per-section and per-item results,
        findings (critical first), notes on what could not be judged, the deadline verdict
        (None when the standard has no deadline or the checklist does not measure it), and
        the measured queue and documents facts.
    """
    photos = photos or {}
    policy = policy or default_policy()
    rating = policy.satisfaction
    measure_only = "" if rating.in_compliance else rating.item
    raw, na, notes = _read(checklist, answers, photos)
    shown = checklist.visible(raw)
    values = {code: value for code, value in raw.items() if code in shown}
    if office_channels is not None:
        notes += topics.off_channel(standard, office_channels, values, na)
    judged = judge_norms(
        checklist,
        standard,
        values,
        calendar=calendar,
        today=today,
        case_index=deadline_case_index,
        config=config,
        follow_up=result_dates,
    )
    documents_code = SCORING_ROLES[ScoringRole.documents_demanded][0]
    documents_item = next((i for i in checklist.items() if i.code == documents_code), None)
    sources = topics.sources(checklist.service_code, standard)
    if isinstance(documents_item, DocumentsItem):
        topics.judge_documents(
            judged, documents_item, values.get(documents_code), standard, sources
        )
    items: dict[str, ItemResult] = {}
    sections = []
    for section in checklist.sections:
        results = [
            _score_item(
                item,
                section.code,
                (item.code in shown, item.code in na, values.get(item.code)),
                judged,
                config,
                item.code == measure_only,
            )
            for item in section.items
        ]
        items.update((r.code, r) for r in results)
        sections.append(SectionResult.of(section.code, section.weight, results))
    critical_failed = any(
        i.critical and items[i.code].status is ItemStatus.non_compliant for i in checklist.items()
    )
    standard_texts = item_findings.StandardTexts(
        texts={topic: topics.topic_text(standard, topic) for topic in topics.TEXTS},
        sources=sources,
    )
    found = item_findings.answer_findings(
        checklist,
        values,
        items,
        standard_texts,
        prior=judged.findings,
        skip_generic=frozenset(_NORM_OF_ITEM),
        generic=config.generic_findings,
    )
    critical_items = frozenset(i.code for i in checklist.items() if i.critical)
    graded = policy.apply(attach_photos(found, photos), critical_items)
    compliance = policy.grade(
        visit_score(sections),
        graded,
        deadline=judged.deadline.status if judged.deadline else None,
        critical_failed=critical_failed,
    )
    satisfaction = values.get(rating.item)
    return ScoreResult(
        rules_version=RULES_VERSION,
        policy_version=policy.version,
        service_code=checklist.service_code,
        channel=checklist.channel,
        score=compliance.score,
        grade=compliance.grade,
        critical_failed=critical_failed,
        compliance=compliance,
        satisfaction=satisfaction if isinstance(satisfaction, int) else None,
        sections=sections,
        items=list(items.values()),
        findings=graded,
        notes=notes + judged.notes,
        deadline=judged.deadline,
        queue=judged.queue,
        documents=judged.documents,
    )
