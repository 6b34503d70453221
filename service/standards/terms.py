"""The deadline terms of a service standard: units, bounds, stages, extensions, cases.

Pure (no web, DB or S3 imports). A standard's ``deadlines`` is a list of entries; how they
combine into the cases a visit is judged against is ``deadline_cases``, the one home of that
reading: the checklist's ``deadline_case`` options and the scoring both call it.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

Text = Annotated[str, Field(min_length=1, max_length=2000)]


class DeadlineUnit(StrEnum):
    minutes = "minutes"
    hours = "hours"
    working_days = "working_days"
    calendar_days = "calendar_days"
    months = "months"


class Bound(StrEnum):
    min = "min"
    max = "max"


class UpperBound(StrEnum):
    """Who sets a term's upper bound when the standard gives no amount for it."""

    # S04 (report line 995): «не позднее дня и времени тестирования, выбранного услугополучателем».
    applicant_choice = "applicant_choice"


class Deadline(BaseModel):
    """One entry of a standard's deadlines: ``amount`` ``unit``, and how it combines.

    The entries read in file order (``deadline_cases`` groups them):

    * a plain entry is a case of its own; ``case_ru`` names it, null when the standard has one;
    * ``bound: min`` then ``bound: max`` is a range, judged against its upper bound;
    * ``bound: min`` alone is a minimum term («не ранее», «по истечении»): a result before it
      is early, never late; with ``upper: applicant_choice`` the date the applicant chose is
      the upper bound (S04), otherwise there is none (S18);
    * ``stage`` continues the case before it: its term runs on from that stage's end, so the
      stages add up (S46, S52); an ``optional`` stage counts only in the case that names it;
    * ``extension`` prolongs the case before it by at most ``amount``, added to its term
      (S30, S32, S37), and counts only when the office declared it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_ru: Text | None = None
    case_en: Text | None = None
    amount: StrictInt = Field(gt=0, le=100_000)
    unit: DeadlineUnit
    bound: Bound | None = None
    extension: StrictBool = False
    stage: StrictBool = False
    optional: StrictBool = False
    upper: UpperBound | None = None

    @model_validator(mode="after")
    def _one_role(self) -> "Deadline":
        if self.stage and self.extension:
            raise ValueError("an entry is a stage or an extension, not both")
        if self.optional and not self.stage:
            raise ValueError("only a stage can be optional")
        if self.upper is not None and self.bound is not Bound.min:
            raise ValueError("upper applies to a minimum term (bound: min)")
        if self.extension and self.bound is not None:
            # An extension is "by at most amount" already; a bound would say it twice, or
            # (min) contradict it.
            raise ValueError("an extension is at most its amount; it takes no bound")
        return self


def chain_problem(deadlines: list[Deadline]) -> str | None:
    """Why the entries do not read as cases, or None: a stage or extension needs a case."""
    if deadlines and (deadlines[0].stage or deadlines[0].extension):
        return "the first entry is a stage or an extension; it must follow the case it belongs to"
    return None


@dataclass(frozen=True)
class DeadlineCase:
    """One case a visit is judged against: entries that add up, in order.

    ``index`` is the 0-based position in ``StandardBody.deadlines`` of the entry that makes
    the case (its first entry, the optional stage, or the extension), so option codes
    ``case_1``.. stay stable. ``entries`` are the base entry, its stages, and at most one
    optional stage or extension; a range contributes its ``min`` and ``max`` entries.
    """

    index: int
    entries: tuple[Deadline, ...]

    @property
    def extension(self) -> bool:
        return any(e.extension for e in self.entries)

    @property
    def minimum(self) -> Deadline | None:
        """The minimum term, when the case is «not earlier than» rather than a deadline."""
        first = self.entries[0]
        is_range = len(self.entries) > 1 and self.entries[1].bound is Bound.max
        return first if first.bound is Bound.min and not is_range else None

    @property
    def terms(self) -> tuple[Deadline, ...]:
        """The entries whose amounts add up to the upper bound, in order (none for a minimum)."""
        return tuple(e for e in self.entries if e.bound is not Bound.min)


def deadline_cases(deadlines: list[Deadline]) -> list[DeadlineCase]:
    """The cases the entries make, in file order (see ``Deadline`` for how entries combine)."""
    cases: list[DeadlineCase] = []
    base: tuple[Deadline, ...] = ()
    base_at = 0
    variants: list[tuple[int, tuple[Deadline, ...]]] = []  # optional stages and extensions

    def close() -> None:
        if base:
            cases.append(DeadlineCase(base_at, base))
            cases.extend(DeadlineCase(i, entries) for i, entries in variants)

    i = 0
    while i < len(deadlines):
        here = deadlines[i]
        after = deadlines[i + 1] if i + 1 < len(deadlines) else None
        if here.extension:
            variants.append((i, (*base, here)))
        elif here.stage and here.optional:
            variants.append((i, (*base, here)))
        elif here.stage:
            base = (*base, here)
            # A later stage runs after an optional one too: every variant gets it.
            variants = [(at, (*entries, here)) for at, entries in variants]
        else:
            close()
            base, base_at, variants = (here,), i, []
            if (
                after is not None
                and here.bound is Bound.min
                and after.bound is Bound.max
                and not (after.stage or after.extension)
                and here.unit == after.unit
            ):
                base = (here, after)
                i += 1
        i += 1
    close()
    return cases
