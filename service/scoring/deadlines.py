"""Deadline arithmetic: when a service was due and whether it was delivered in time.

Pure: plain dates, timestamps and ``DeadlineCase`` values in, a ``DeadlineVerdict`` out. What
the standard's entries mean (stages that add up, extensions up to a cap, minimum terms, an
upper bound the applicant chose) is read by ``standards.terms.deadline_cases``; this module
turns a case into dates and a verdict.
"""

import calendar as stdlib_calendar
import datetime as dt

from service.calendar.rules import WorkingCalendar
from service.scoring.verdicts import DATE_UNITS, verdict, words_en, words_ru
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


def _term_words(case: DeadlineCase) -> tuple[str, str]:
    terms = case.terms
    en = " + ".join(words_en(t.amount, t.unit) for t in terms)
    ru = " + ".join(words_ru(t.amount, t.unit) for t in terms)
    upper = any(t.bound is Bound.max for t in terms)
    return ("upper bound: " + en, "верхняя граница: " + ru) if upper else (en, ru)


def _term(
    submitted_on: dt.date, case: DeadlineCase, due: dt.date | None, cal: WorkingCalendar
) -> tuple[str, str]:
    parts_en, parts_ru = [], []
    minimum = case.minimum
    if minimum is not None:
        first = _step(submitted_on, minimum, cal)
        parts_en.append(f"Not before {first} ({words_en(minimum.amount, minimum.unit)} after")
        parts_ru.append(f"Не ранее {first} ({words_ru(minimum.amount, minimum.unit)} после")
        parts_en[-1] += f" {submitted_on})"
        parts_ru[-1] += f" {submitted_on})"
        if minimum.upper is UpperBound.applicant_choice:
            parts_en.append(f"by {due} (the date the applicant chose)" if due else "")
            parts_ru.append(f"не позднее {due} (дата, выбранная заявителем)" if due else "")
        else:
            parts_en.append("no upper bound")
            parts_ru.append("верхней границы нет")
        return "; ".join(p for p in parts_en if p), "; ".join(p for p in parts_ru if p)
    raw = _raw_chain(submitted_on, case.terms, cal)
    terms_en, terms_ru = _term_words(case)
    en = f"Due {due} ({terms_en} after {submitted_on}"
    ru = f"Срок {due} ({terms_ru} после {submitted_on}"
    if raw != due:
        en += f"; {raw} is a day off, so the next working day"
        ru += f"; {raw} нерабочий день, поэтому следующий рабочий день"
    return en + ")", ru + ")"


_BASIS = {
    ResultBasis.ready: ("result ready on", "результат готов"),
    ResultBasis.received: ("result received on", "результат получен"),
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
            "Submission date unknown, so the deadline cannot be judged.",
            "Дата подачи неизвестна, поэтому срок оценить нельзя.",
            range_upper_bound_used=upper,
            **known,
        )
    if result_on is not None and result_on < submitted_on:
        return verdict(
            DeadlineStatus.unknown,
            f"Result date {result_on} is before the submission date {submitted_on}; "
            "check the dates.",
            f"Дата результата {result_on} раньше даты подачи {submitted_on}; проверьте даты.",
            submitted_on=submitted_on,
            range_upper_bound_used=upper,
            **known,
        )
    due = case_due_date(submitted_on, case, calendar)
    if minimum is not None and minimum.upper is UpperBound.applicant_choice:
        due = chosen_on
    first = earliest_date(submitted_on, case, calendar)
    wd = DeadlineUnit.working_days
    late: int | None = None
    said_en, said_ru = _BASIS[basis] if basis else ("", "")
    if result_on is None and (due is None or today <= due):
        status = DeadlineStatus.pending
        en, ru = f"no result as of {today}", f"на {today} результата нет"
        en += ": still within the deadline" if due else ""
        ru += ": срок ещё не истёк" if due else ""
    elif result_on is None:
        assert due is not None  # narrowed by the branch above
        status, late = DeadlineStatus.overdue, calendar.working_days_between(due, today)
        en = f"no result as of {today}: overdue by {words_en(late, wd)}"
        ru = f"на {today} результата нет: просрочка {words_ru(late, wd)}"
    elif first is not None and result_on < first:
        status = DeadlineStatus.early
        en = f"{said_en} {result_on}: before the minimum term"
        ru = f"{said_ru} {result_on}: раньше минимального срока"
    elif due is None or result_on <= due:
        status, late = DeadlineStatus.on_time, 0
        en, ru = f"{said_en} {result_on}: on time", f"{said_ru} {result_on}: в срок"
    else:
        status, late = DeadlineStatus.late, calendar.working_days_between(due, result_on)
        en = f"{said_en} {result_on}: late by {words_en(late, wd)}"
        ru = f"{said_ru} {result_on}: просрочка {words_ru(late, wd)}"
        if late == 0:
            # Ready on a day off right after the due date: late, but by no working day.
            days = (result_on - due).days
            en += f" ({words_en(days, DeadlineUnit.calendar_days)}, all days off)"
            ru += f" ({words_ru(days, DeadlineUnit.calendar_days)}, все нерабочие)"
    if minimum is not None and minimum.upper is UpperBound.applicant_choice and due is None:
        en += "; the date the applicant chose is not recorded, so no upper bound is judged"
        ru += "; дата, выбранная заявителем, не записана, поэтому верхняя граница не оценена"
    if basis is ResultBasis.ready and result.received_on not in (None, result_on):
        en += f" (received on {result.received_on})"
        ru += f" (получен {result.received_on})"
    term_en, term_ru = _term(submitted_on, case, due, calendar)
    return verdict(
        status,
        f"{term_en}; {en}.",
        f"{term_ru}; {ru}.",
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
