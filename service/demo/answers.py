"""Pure: plausible answers to a checklist for a visit of a given quality, from a seeded RNG.

No web, database or storage imports. ``quality`` (0..1) is the chance each scored item is
answered the compliant way, so good offices get good grades and poor ones poor grades; the
queue, service and call times, documents, deadlines and critical items have their own
realistic mixes (some long waits, extra documents, late results, an occasional bribe).
"""

import datetime as dt
import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import JsonValue

from service.answers.values import normalize
from service.calendar.rules import WorkingCalendar
from service.checklists.format import ResolvedChecklist
from service.checklists.items import ChoiceItem
from service.checklists.kinds import kind_of
from service.scoring.deadlines import case_due_date, earliest_date, pick_case
from service.scoring.verdicts import TIME_UNITS
from service.standards.catalogue import StandardBody
from service.standards.programme import allowed_fee, default_mrp

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


def _deadline_dates(
    visit: _Visit,
    standard: StandardBody,
    case: str | None,
    calendar: WorkingCalendar,
    today: dt.date,
) -> dict[str, str | None]:
    chosen = re.fullmatch(r"case_(\d+)", case or "")
    picked = pick_case(standard.deadlines, int(chosen[1]) - 1 if chosen else None)
    due = None
    if picked is not None and all(e.unit not in TIME_UNITS for e in picked.entries):
        # A minimum term has no due date of its own: the demo's result comes on its first day.
        due = case_due_date(visit.day, picked, calendar) or earliest_date(
            visit.day, picked, calendar
        )
    if due is None:
        return {}
    received = due + dt.timedelta(days=visit.shift)
    return {
        "application_submitted_on": visit.day.isoformat(),
        "result_promised_on": due.isoformat(),
        # Not yet received by the day of judging: the deadline is pending or overdue.
        "result_received_on": received.isoformat() if received <= today else None,
        # The notice's date is required once the shopper says one came, so it is never in
        # the future: the demo takes the day the result is collected, at the latest today.
        "notification_received_on": min(received, today).isoformat(),
    }


def _fixed(
    standard: StandardBody, visit: _Visit, quality: float, start: dt.datetime
) -> dict[str, JsonValue]:
    """Answers the kind samplers would make implausible, now that scoring judges them: the
    fee (the standard's cost, now and then more at a poor office), the hold while a 1414
    call is transferred (mostly within the programme's 3 minutes), and the wait the queue
    system records (the display's, ticket to call).

    Drawn from a generator of its own, so the rest of the demo data does not shift.
    """
    rng = random.Random(f"fixed-{start.isoformat()}-{quality}")
    allowed = allowed_fee(standard.cost, start.date(), default_mrp())
    over = rng.random() < (1 - quality) * 0.05
    if allowed is None:
        amount = rng.choice([1000, 2000, 5000]) if standard.cost.payment else 0
    else:
        amount = math.ceil(allowed.tenge) + (rng.choice([1000, 5000]) if over else 0)
    long_hold = rng.random() < (1 - quality) * 0.3
    formal = visit.moments["number_called_at"] - visit.moments["ticket_taken_at"]
    return {
        "fee_paid": "yes" if amount > 0 else "no",
        "fee_amount": amount,
        "hold_duration": rng.randint(240, 600) if long_hold else rng.randint(20, 170),
        "queue_recorded_wait": int(formal.total_seconds()),
    }


@dataclass(frozen=True)
class _Draw:
    """What the item-kind registry's samplers read: this visit's randomness and facts."""

    rng: random.Random
    quality: float
    visit: _Visit
    dates: Mapping[str, str | None]
    comments: Sequence[str] = tuple(COMMENTS)
    extra_documents: Sequence[str] = tuple(EXTRA_DOCUMENTS)

    def moment(self, code: str) -> dt.datetime:
        return self.visit.moments.get(code, self.visit.moments["arrived_at"])

    def day(self, code: str) -> str | None:
        return self.dates.get(code, self.visit.day.isoformat())

    def critical_failure(self, code: str) -> float:
        return CRITICAL_FAILURE.get(code, CRITICAL_FAILURE_DEFAULT)


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
    draw = _Draw(rng, quality, visit, dates)
    fixed = _fixed(standard, visit, quality, start)
    answers: dict[str, tuple[JsonValue, bool]] = {}
    # Answers so far decide what the phone shows next: the walk reads them as it goes.
    values: dict[str, JsonValue] = {}
    for item in checklist.shown_items(values):
        kind = kind_of(item)
        if not kind.takes_value:
            continue
        value = case if item.code == "deadline_case" else kind.sample(item, draw)
        value = fixed.get(item.code, value)
        if value is None:
            if item.allow_na and item.required:
                answers[item.code] = (None, True)
                values[item.code] = None
            continue
        answers[item.code] = (normalize(item, value), False)
        values[item.code] = answers[item.code][0]
    return answers
