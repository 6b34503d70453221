"""What judging a deadline returns: the statuses, the verdict, the dates it rests on.

Pure Pydantic, shared by the day-based judge (``deadlines.py``) and the minutes-based one
(``durations.py``). Their sentences come from the message catalogue (``messages.py``): a
verdict keeps the key and parameters of its explanation beside the text in each language.
"""

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, JsonValue

from service.scoring.messages import Params, message, render_all
from service.standards.terms import DeadlineUnit

DATE_UNITS = (DeadlineUnit.working_days, DeadlineUnit.calendar_days, DeadlineUnit.months)
TIME_UNITS = (DeadlineUnit.minutes, DeadlineUnit.hours)


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
    explanation_key: str
    explanation_params: Params = {}
    explanation_en: str
    explanation_ru: str
    explanation_kk: str
    range_upper_bound_used: bool = False

    def explanation(self) -> dict[str, JsonValue]:
        """The explanation as a parameter of another message (a finding quoting it)."""
        return message(self.explanation_key, **self.explanation_params)


def amount(n: float, unit: DeadlineUnit) -> dict[str, JsonValue]:
    """``n`` of ``unit`` as a message parameter, in each language's plural form."""
    return message(f"amount.{unit.value}", n=n)


def verdict(status: DeadlineStatus, key: str, params: Params, **values: object) -> DeadlineVerdict:
    """A verdict explained by the catalogue's ``key`` with ``params``."""
    texts = render_all(key, params)
    return DeadlineVerdict.model_validate(
        {
            "status": status,
            "explanation_key": key,
            "explanation_params": params,
            "explanation_en": texts["en"],
            "explanation_ru": texts["ru"],
            "explanation_kk": texts["kk"],
            **values,
        }
    )
