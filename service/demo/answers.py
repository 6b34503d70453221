"""Pure: plausible answers to a checklist for a visit of a given quality, from a seeded RNG.

No web, database or storage imports. ``quality`` (0..1) is the chance each scored item is
answered the compliant way, so good offices get good grades and poor ones poor grades; the
queue, service and call times, documents, deadlines and critical items have their own
realistic mixes (some long waits, extra documents, late results, an occasional bribe).
"""

import datetime as dt
import random
import re
from collections.abc import Mapping
from typing import Any

from pydantic import JsonValue

from service.answers.values import normalize
from service.calendar.rules import WorkingCalendar
from service.checklists.format import ResolvedChecklist
from service.checklists.items import (
    ChoiceItem,
    DateItem,
    DocumentsItem,
    DurationItem,
    ItemBase,
    MultiChoiceItem,
    NumberItem,
    PhotoItem,
    RatingItem,
    TextItem,
    TimestampItem,
    YesNoItem,
)
from service.scoring.deadlines import due_date, pick_deadline
from service.standards.catalogue import DeadlineUnit, StandardBody

# Per visit, how often each critical item fails: the report found bribes rare but real.
CRITICAL_FAILURE = {"informal_payment_asked": 0.015}
CRITICAL_FAILURE_DEFAULT = 0.003
EXTRA_DOCUMENTS = ["Справка с места работы", "Копия трудовой книжки", "Справка о составе семьи"]
COMMENTS = ["Всё в порядке", "Долго ждали", "Вежливый сотрудник", "Очередь не двигалась"]


class _Visit:
    """Times of one visit, drawn once so intervals are consistent with each other."""

    def __init__(self, rng: random.Random, quality: float, start: dt.datetime) -> None:
        long_wait = rng.random() < (1 - quality) * 0.6
        wait = rng.uniform(16, 95) if long_wait else rng.uniform(1, 14)
        service = rng.uniform(16, 45) if rng.random() < (1 - quality) * 0.3 else rng.uniform(3, 14)
        slow_call = rng.random() < (1 - quality) * 0.5
        arrived = start + dt.timedelta(minutes=rng.randint(0, 300))
        self.moments = {
            "arrived_at": arrived,
            "started_at": arrived,
            "ticket_taken_at": arrived + dt.timedelta(minutes=2),
            "number_called_at": arrived + dt.timedelta(minutes=2 + wait),
            "service_started_at": arrived + dt.timedelta(minutes=3 + wait),
            "service_ended_at": arrived + dt.timedelta(minutes=3 + wait + service),
            "call_dialled_at": arrived,
            "call_connected_at": arrived
            + dt.timedelta(seconds=rng.uniform(200, 900) if slow_call else rng.uniform(10, 170)),
        }
        self.day = start.date()
        self.late = rng.random() < (1 - quality) * 0.5
        self.shift = rng.randint(1, 12) if self.late else -rng.randint(0, 2)


def _pick(rng: random.Random, quality: float, good: list[str], bad: list[str]) -> str:
    if bad and (not good or rng.random() >= quality):
        return rng.choice(bad)
    return rng.choice(good)


def _option_value(item: ChoiceItem | MultiChoiceItem, rng: random.Random, quality: float) -> Any:
    scored = [(o.code, o.score if o.score is not None else float(bool(o.compliant))) for o in
              item.options if o.score is not None or o.compliant is not None]  # fmt: skip
    if not scored:
        code = rng.choice(item.options).code
    else:
        best = max(s for _, s in scored)
        good = [c for c, s in scored if s == best]
        code = _pick(rng, quality, good, [c for c, s in scored if s < best])
    return [code] if isinstance(item, MultiChoiceItem) else code


def _deadline_dates(
    visit: _Visit,
    standard: StandardBody,
    case: str | None,
    calendar: WorkingCalendar,
    today: dt.date,
) -> dict[str, str | None]:
    chosen = re.fullmatch(r"case_(\d+)", case or "")
    picked = pick_deadline(standard.deadlines, int(chosen[1]) - 1 if chosen else None)
    if picked is None or picked.unit in (DeadlineUnit.minutes, DeadlineUnit.hours):
        return {}
    due = due_date(visit.day, picked, calendar)
    received = due + dt.timedelta(days=visit.shift)
    return {
        "application_submitted_on": visit.day.isoformat(),
        "result_promised_on": due.isoformat(),
        # Not yet received by the day of judging: the deadline is pending or overdue.
        "result_received_on": received.isoformat() if received <= today else None,
        "notification_received_on": min(received, today).isoformat(),
    }


def _value(
    item: ItemBase, rng: random.Random, quality: float, visit: _Visit, dates: Mapping[str, Any]
) -> Any:
    if item.critical:
        failure = CRITICAL_FAILURE.get(item.code, CRITICAL_FAILURE_DEFAULT)
        assert isinstance(item, YesNoItem)
        assert item.compliant_answer is not None
        bad = "no" if item.compliant_answer == "yes" else "yes"
        return bad if rng.random() < failure else item.compliant_answer
    if isinstance(item, YesNoItem):
        if item.compliant_answer is None:
            return "yes" if rng.random() < 0.8 else "no"
        bad = "no" if item.compliant_answer == "yes" else "yes"
        return _pick(rng, quality, [item.compliant_answer], [bad])
    if isinstance(item, ChoiceItem | MultiChoiceItem):
        return _option_value(item, rng, quality)
    if isinstance(item, RatingItem):
        return 5 if rng.random() < quality else rng.randint(1, 4)
    if isinstance(item, NumberItem):
        low = int(item.min if item.min is not None else 0)
        return rng.randint(low, max(low, min(int(item.max or low + 5), low + 5)))
    if isinstance(item, DurationItem):
        low = item.min or 0
        return rng.randint(max(low, 30), max(low + 30, min(item.max or 900, 900)))
    if isinstance(item, TimestampItem):
        moment = visit.moments.get(item.code, visit.moments["arrived_at"])
        return moment.replace(microsecond=0).isoformat()
    if isinstance(item, DateItem):
        return dates.get(item.code, visit.day.isoformat())
    if isinstance(item, TextItem):
        return rng.choice(COMMENTS) if item.required or rng.random() < 0.2 else None
    if isinstance(item, DocumentsItem):
        extras = rng.random() < (1 - quality) * 0.4
        count = rng.choice((1, 1, 2)) if extras else 0
        return {"selected": [o.code for o in item.options], "extras": EXTRA_DOCUMENTS[:count]}
    return None


def answers_for(
    checklist: ResolvedChecklist,
    standard: StandardBody,
    *,
    rng: random.Random,
    quality: float,
    start: dt.datetime,
    calendar: WorkingCalendar,
    today: dt.date,
) -> dict[str, tuple[JsonValue, bool]]:
    """Item code to (normalised value, na) for every visible item a shopper would answer.

    Photos are not answers and are left out; optional texts are mostly left empty; items
    hidden by an earlier answer (``show_if``) are not answered, as on a phone.
    """
    visit = _Visit(rng, quality, start)
    case_item = next((i for i in checklist.items() if i.code == "deadline_case"), None)
    case = None
    if isinstance(case_item, ChoiceItem) and case_item.options:
        case = case_item.options[0].code
    dates = _deadline_dates(visit, standard, case, calendar, today)
    answers: dict[str, tuple[JsonValue, bool]] = {}
    for item in checklist.items():
        rule = item.show_if
        if rule is not None:
            seen = answers.get(rule.item)
            shown = seen[0] if seen else None
            picked = shown if isinstance(shown, list) else [shown]
            if not set(rule.values()).intersection(str(v) for v in picked if v is not None):
                continue
        if isinstance(item, PhotoItem):
            continue
        value = case if item.code == "deadline_case" else _value(item, rng, quality, visit, dates)
        if value is None:
            if item.allow_na and item.required:
                answers[item.code] = (None, True)
            continue
        answers[item.code] = (normalize(item, value), False)
    return answers
