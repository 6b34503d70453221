"""What judging a deadline returns: the statuses, the verdict, the dates it rests on.

Pure Pydantic, shared by the day-based judge (``deadlines.py``) and the minutes-based one
(``durations.py``), with the unit words their sentences use.
"""

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from service.standards.terms import DeadlineUnit

DATE_UNITS = (DeadlineUnit.working_days, DeadlineUnit.calendar_days, DeadlineUnit.months)
TIME_UNITS = (DeadlineUnit.minutes, DeadlineUnit.hours)

# Russian needs three plural forms: 1 день, 2 дня, 5 дней.
_UNIT_EN = {
    DeadlineUnit.minutes: ("minute", "minutes"),
    DeadlineUnit.hours: ("hour", "hours"),
    DeadlineUnit.working_days: ("working day", "working days"),
    DeadlineUnit.calendar_days: ("calendar day", "calendar days"),
    DeadlineUnit.months: ("month", "months"),
}
_UNIT_RU = {
    DeadlineUnit.minutes: ("минута", "минуты", "минут"),
    DeadlineUnit.hours: ("час", "часа", "часов"),
    DeadlineUnit.working_days: ("рабочий день", "рабочих дня", "рабочих дней"),
    DeadlineUnit.calendar_days: ("календарный день", "календарных дня", "календарных дней"),
    DeadlineUnit.months: ("месяц", "месяца", "месяцев"),
}


class DeadlineStatus(StrEnum):
    on_time = "on_time"
    late = "late"
    pending = "pending"
    overdue = "overdue"
    # Before a minimum term («не ранее», «по истечении»): not a delay, so not judged for points.
    early = "early"
    unknown = "unknown"


class ResultBasis(StrEnum):
    """Which day a result is judged on: the day it was ready when known, else when received."""

    ready = "ready"
    received = "received"


class ResultDates(BaseModel):
    """When the result was ready (the notification) and when it was received, if known."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ready_on: dt.date | None = None
    received_on: dt.date | None = None

    def judged(self) -> tuple[dt.date | None, ResultBasis | None]:
        """The day lateness is judged on, and which of the two it is."""
        if self.ready_on is not None:
            return self.ready_on, ResultBasis.ready
        if self.received_on is not None:
            return self.received_on, ResultBasis.received
        return None, None


class DeadlineVerdict(BaseModel):
    """Whether one deadline was met, with the numbers and a sentence a person can check."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: DeadlineStatus
    due_date: dt.date | None = None
    submitted_on: dt.date | None = None
    result_on: dt.date | None = None
    result_basis: ResultBasis | None = None
    received_on: dt.date | None = None
    earliest_date: dt.date | None = None
    late_by_working_days: int | None = None
    late_by_minutes: float | None = None
    measured_minutes: float | None = None
    explanation_en: str
    explanation_ru: str
    range_upper_bound_used: bool = False


def num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


def words_en(x: float, unit: DeadlineUnit) -> str:
    one, many = _UNIT_EN[unit]
    return f"{num(x)} {one if x == 1 else many}"


def words_ru(x: float, unit: DeadlineUnit) -> str:
    one, few, many = _UNIT_RU[unit]
    if not float(x).is_integer():
        return f"{num(x).replace('.', ',')} {few}"
    n = abs(int(x))
    if n % 10 == 1 and n % 100 != 11:
        form = one
    elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        form = few
    else:
        form = many
    return f"{n} {form}"


def verdict(status: DeadlineStatus, en: str, ru: str, **values: object) -> DeadlineVerdict:
    return DeadlineVerdict.model_validate(
        {"status": status, "explanation_en": en, "explanation_ru": ru, **values}
    )
