"""Deadline arithmetic: when a service was due and whether it was delivered in time.

Pure: plain dates, timestamps and ``DeadlineCase`` values in, a ``DeadlineVerdict`` out. What
the standard's entries mean (stages that add up, extensions up to a cap, minimum terms, an
upper bound the applicant chose) is read by ``standards.terms.deadline_cases``; this module
turns a case into dates and a verdict.
"""

import calendar as stdlib_calendar
import datetime as dt

from pydantic import JsonValue

from service.calendar.rules import WorkingCalendar
from service.scoring.messages import message
from service.scoring.verdicts import DATE_UNITS, amount, verdict
from service.scoring.verdicts import DeadlineStatus as DeadlineStatus
from service.scoring.verdicts import DeadlineVerdict as DeadlineVerdict
from service.scoring.verdicts import ResultBasis as ResultBasis
from service.scoring.verdicts import ResultDates as ResultDates
from service.standards.terms import (
    Bound,
    Deadline,
    DeadlineCase,
    DeadlineUnit,
    UpperBound,
    deadline_cases,
)


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month0 = divmod(day.month - 1 + months, 12)
    last = stdlib_calendar.monthrange(day.year + year, month0 + 1)[1]
    return dt.date(day.year + year, month0 + 1, min(day.day, last))


def _step(day: dt.date, deadline: Deadline, calendar: WorkingCalendar) -> dt.date:
    if deadline.unit is DeadlineUnit.working_days:
        return calendar.add_working_days(day, deadline.amount)
    if deadline.unit is DeadlineUnit.calendar_days:
        return day + dt.timedelta(days=deadline.amount)
    if deadline.unit is DeadlineUnit.months:
        return _add_months(day, deadline.amount)
    raise ValueError(
        f"a {deadline.unit} deadline is measured between timestamps, not dates; use judge_duration"
    )


def _raw_chain(submitted_on: dt.date, terms: tuple[Deadline, ...], cal: WorkingCalendar) -> dt.date:
    # Each stage or extension runs on from the end of the one before it.
    day = submitted_on
    for term in terms:
        day = _step(day, term, cal)
    return day


def due_date(submitted_on: dt.date, deadline: Deadline, calendar: WorkingCalendar) -> dt.date:
    """The last day on which a result is still on time under one entry's term.

    Args:
        submitted_on: The day the application was filed; it is never counted itself.
        deadline: A ``working_days``, ``calendar_days`` or ``months`` deadline.
        calendar: Which days are working days.

    Returns:
        For working days, the ``amount``-th working day after ``submitted_on``. For calendar
        days and months, that many days or months later (a month end is clamped, so 31 Jan
        plus one month is 28 or 29 Feb), moved to the next working day if it is a day off.

    Raises:
        ValueError: the deadline is in minutes or hours.
    """
    return calendar.next_working_day(_step(submitted_on, deadline, calendar))


def case_due_date(
    submitted_on: dt.date, case: DeadlineCase, calendar: WorkingCalendar
) -> dt.date | None:
    """The last day on time under ``case``: its stages and extension added up in order.

    None when the case has no upper bound of its own (a minimum term, whose upper bound is
    none or the applicant's date). Raises ``ValueError`` for a case in minutes or hours.
    """
    if not case.terms:
        return None
    return calendar.next_working_day(_raw_chain(submitted_on, case.terms, calendar))


def earliest_date(
    submitted_on: dt.date, case: DeadlineCase, calendar: WorkingCalendar
) -> dt.date | None:
    """The first day a result may come under a minimum term; None when the case has none."""
    minimum = case.minimum
    return None if minimum is None else _step(submitted_on, minimum, calendar)


def terms_message(case: DeadlineCase) -> dict[str, JsonValue]:
    """The case's terms added up ("7 working days", "upper bound: 25 + 4 months")."""
    terms: list[JsonValue] = [amount(t.amount, t.unit) for t in case.terms]
    upper = any(t.bound is Bound.max for t in case.terms)
    return message("deadline.terms.upper" if upper else "deadline.terms", terms=terms)


def _term(
    submitted_on: dt.date, case: DeadlineCase, due: dt.date | None, cal: WorkingCalendar
) -> dict[str, JsonValue]:
    minimum = case.minimum
    if minimum is not None:
        first = _step(submitted_on, minimum, cal)
        upper: list[JsonValue] = []
        if minimum.upper is not UpperBound.applicant_choice:
            upper.append(message("deadline.term.no-upper"))
        elif due is not None:
            upper.append(message("deadline.term.applicant-date", due=due.isoformat()))
        return message(
            "deadline.term.minimum",
            first=first.isoformat(),
            minimum=amount(minimum.amount, minimum.unit),
            submitted=submitted_on.isoformat(),
            upper=upper,
        )
    raw = _raw_chain(submitted_on, case.terms, cal)
    day_off: list[JsonValue] = []
    if raw != due:
        day_off.append(message("deadline.term.day-off", raw=raw.isoformat()))
    return message(
        "deadline.term.due",
        due=str(due),
        terms=terms_message(case),
        submitted=submitted_on.isoformat(),
        day_off=day_off,
    )


_BASIS = {
    ResultBasis.ready: "deadline.basis.ready",
    ResultBasis.received: "deadline.basis.received",
}


def judge_case(
    case: DeadlineCase,
    calendar: WorkingCalendar,
    *,
    submitted_on: dt.date | None,
    result: ResultDates,
    today: dt.date,
    chosen_on: dt.date | None = None,
) -> DeadlineVerdict:
    """Judge a day-based case: on time, late, early, pending, overdue or unknown.

    Args:
        case: The case that applies (see ``pick_case``): its stages and extension add up.
        calendar: Which days are working days.
        submitted_on: The day the application was filed, or None if not known.
        result: When the result was ready and received; the ready day is judged when known.
        today: The day of judging, for a service still without a result.
        chosen_on: The date the applicant chose, for a case whose upper bound is theirs.

    Returns:
        The verdict; lateness is counted in working days after the due date. A result before
        a minimum term is ``early``; a case with no upper bound is never late or overdue.

    Raises:
        ValueError: the case is in minutes or hours.
    """
    if any(e.unit not in DATE_UNITS for e in case.entries):
        raise ValueError("a case in minutes or hours needs judge_duration, not judge_case")
    result_on, basis = result.judged()
    minimum = case.minimum
    upper = any(t.bound is Bound.max for t in case.terms)
    known = {"result_on": result_on, "result_basis": basis, "received_on": result.received_on}
    if submitted_on is None:
        return verdict(
            DeadlineStatus.unknown,
            "deadline.submission-unknown",
            {},
            range_upper_bound_used=upper,
            **known,
        )
    if result_on is not None and result_on < submitted_on:
        return verdict(
            DeadlineStatus.unknown,
            "deadline.result-before-submission",
            {"result": result_on.isoformat(), "submitted": submitted_on.isoformat()},
            submitted_on=submitted_on,
            range_upper_bound_used=upper,
            **known,
        )
    due = case_due_date(submitted_on, case, calendar)
    if minimum is not None and minimum.upper is UpperBound.applicant_choice:
        due = chosen_on
    first = earliest_date(submitted_on, case, calendar)
    late: int | None = None
    said: JsonValue = None
    if basis is not None and result_on is not None:
        said = message(_BASIS[basis], on=result_on.isoformat())
    extra: list[JsonValue] = []
    if result_on is None and (due is None or today <= due):
        status = DeadlineStatus.pending
        key = "deadline.pending.within" if due else "deadline.pending"
        outcome = message(key, today=today.isoformat())
    elif result_on is None:
        assert due is not None  # narrowed by the branch above
        status, late = DeadlineStatus.overdue, calendar.working_days_between(due, today)
        outcome = message("deadline.overdue", today=today.isoformat(), late=late)
    elif first is not None and result_on < first:
        status = DeadlineStatus.early
        outcome = message("deadline.early", result=said)
    elif due is None or result_on <= due:
        status, late = DeadlineStatus.on_time, 0
        outcome = message("deadline.on-time", result=said)
    else:
        status, late = DeadlineStatus.late, calendar.working_days_between(due, result_on)
        outcome = message("deadline.late", result=said, late=late)
        if late == 0:
            # Ready on a day off right after the due date: late, but by no working day.
            extra.append(message("deadline.late.days-off", days=(result_on - due).days))
    if minimum is not None and minimum.upper is UpperBound.applicant_choice and due is None:
        extra.append(message("deadline.applicant-date-missing"))
    if basis is ResultBasis.ready and result.received_on not in (None, result_on):
        extra.append(message("deadline.received-on", on=str(result.received_on)))
    return verdict(
        status,
        "deadline.verdict",
        {"term": _term(submitted_on, case, due, calendar), "outcome": outcome, "extra": extra},
        due_date=due,
        earliest_date=first,
        submitted_on=submitted_on,
        late_by_working_days=late,
        range_upper_bound_used=upper,
        **known,
    )


def judge_deadline(
    deadline: Deadline,
    calendar: WorkingCalendar,
    *,
    submitted_on: dt.date | None,
    result_on: dt.date | None,
    today: dt.date,
) -> DeadlineVerdict:
    """Judge one entry's term alone (a case of one entry), the result received on ``result_on``.

    Raises:
        ValueError: the deadline is in minutes or hours.
    """
    return judge_case(
        DeadlineCase(0, (deadline,)),
        calendar,
        submitted_on=submitted_on,
        result=ResultDates(received_on=result_on),
        today=today,
    )


def pick_case(deadlines: list[Deadline], case_index: int | None) -> DeadlineCase | None:
    """Choose the deadline case to judge a visit against.

    Args:
        deadlines: The standard's entries, in file order.
        case_index: The 0-based entry the visit's case names (option ``case_{n}`` is entry
            ``n - 1``), or None to let the standard decide.

    Returns:
        The case that entry makes; an entry inside a case (a range's upper bound, a stage)
        gives the case it belongs to. With no choice: the only case that is neither an
        extension nor an optional stage, so an extension counts only when chosen. None when
        the choice is ambiguous or out of range.
    """
    cases = deadline_cases(deadlines)
    if case_index is not None:
        if not 0 <= case_index < len(deadlines):
            return None
        made = next((c for c in cases if c.index == case_index), None)
        entry = deadlines[case_index]
        inside = next((c for c in cases if any(e is entry for e in c.entries)), None)
        return made or inside
    base = [c for c in cases if not c.extension and not any(e.optional for e in c.entries)]
    return base[0] if len(base) == 1 else None
