"""Deadline arithmetic: when a service was due and whether it was delivered in time.

Pure: plain dates, timestamps and ``Deadline`` values in, a ``DeadlineVerdict`` out.
"""

import calendar as stdlib_calendar
import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from service.calendar.rules import WorkingCalendar
from service.standards.catalogue import Bound, Deadline, DeadlineUnit

_DATE_UNITS = (DeadlineUnit.working_days, DeadlineUnit.calendar_days, DeadlineUnit.months)
_TIME_UNITS = (DeadlineUnit.minutes, DeadlineUnit.hours)

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
    unknown = "unknown"


class DeadlineVerdict(BaseModel):
    """Whether one deadline was met, with the numbers and a sentence a person can check."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: DeadlineStatus
    due_date: dt.date | None = None
    submitted_on: dt.date | None = None
    result_on: dt.date | None = None
    late_by_working_days: int | None = None
    late_by_minutes: float | None = None
    measured_minutes: float | None = None
    explanation_en: str
    explanation_ru: str
    range_upper_bound_used: bool = False


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


def _en(x: float, unit: DeadlineUnit) -> str:
    one, many = _UNIT_EN[unit]
    return f"{_num(x)} {one if x == 1 else many}"


def _ru(x: float, unit: DeadlineUnit) -> str:
    one, few, many = _UNIT_RU[unit]
    if not float(x).is_integer():
        return f"{_num(x).replace('.', ',')} {few}"
    n = abs(int(x))
    if n % 10 == 1 and n % 100 != 11:
        form = one
    elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        form = few
    else:
        form = many
    return f"{n} {form}"


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month0 = divmod(day.month - 1 + months, 12)
    last = stdlib_calendar.monthrange(day.year + year, month0 + 1)[1]
    return dt.date(day.year + year, month0 + 1, min(day.day, last))


def _raw_due(submitted_on: dt.date, deadline: Deadline, calendar: WorkingCalendar) -> dt.date:
    if deadline.unit is DeadlineUnit.working_days:
        return calendar.add_working_days(submitted_on, deadline.amount)
    if deadline.unit is DeadlineUnit.calendar_days:
        return submitted_on + dt.timedelta(days=deadline.amount)
    if deadline.unit is DeadlineUnit.months:
        return _add_months(submitted_on, deadline.amount)
    raise ValueError(
        f"a {deadline.unit} deadline is measured between timestamps, not dates; use judge_duration"
    )


def due_date(submitted_on: dt.date, deadline: Deadline, calendar: WorkingCalendar) -> dt.date:
    """The last day on which the result is still on time.

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
    return calendar.next_working_day(_raw_due(submitted_on, deadline, calendar))


def _term(submitted_on: dt.date, deadline: Deadline, calendar: WorkingCalendar) -> tuple[str, str]:
    raw = _raw_due(submitted_on, deadline, calendar)
    due = calendar.next_working_day(raw)
    upper = deadline.bound is Bound.max
    upper_en, upper_ru = ("upper bound: ", "верхняя граница: ") if upper else ("", "")
    en = f"Due {due} ({upper_en}{_en(deadline.amount, deadline.unit)} after {submitted_on}"
    ru = f"Срок {due} ({upper_ru}{_ru(deadline.amount, deadline.unit)} после {submitted_on}"
    if raw != due:
        en += f"; {raw} is a day off, so the next working day"
        ru += f"; {raw} нерабочий день, поэтому следующий рабочий день"
    return en + ")", ru + ")"


def _verdict(status: DeadlineStatus, en: str, ru: str, **values: object) -> DeadlineVerdict:
    return DeadlineVerdict.model_validate(
        {"status": status, "explanation_en": en, "explanation_ru": ru, **values}
    )


def judge_deadline(
    deadline: Deadline,
    calendar: WorkingCalendar,
    *,
    submitted_on: dt.date | None,
    result_on: dt.date | None,
    today: dt.date,
) -> DeadlineVerdict:
    """Judge a day-based deadline: on time, late, pending, overdue or unknown.

    Args:
        deadline: The case that applies (see ``pick_deadline``); a range's upper bound is
            judged as the deadline and the explanation says so.
        calendar: Which days are working days.
        submitted_on: The day the application was filed, or None if not known.
        result_on: The day the result was issued, or None if not yet.
        today: The day of judging, for a service still without a result.

    Returns:
        The verdict; lateness is counted in working days after the due date.

    Raises:
        ValueError: the deadline is in minutes or hours, or is a range's lower bound.
    """
    if deadline.unit not in _DATE_UNITS:
        raise ValueError(f"a {deadline.unit} deadline needs judge_duration, not judge_deadline")
    if deadline.bound is Bound.min:
        raise ValueError("a range's lower bound is not a deadline; judge its upper bound")
    upper = deadline.bound is Bound.max
    if submitted_on is None:
        return _verdict(
            DeadlineStatus.unknown,
            "Submission date unknown, so the deadline cannot be judged.",
            "Дата подачи неизвестна, поэтому срок оценить нельзя.",
            result_on=result_on,
            range_upper_bound_used=upper,
        )
    if result_on is not None and result_on < submitted_on:
        return _verdict(
            DeadlineStatus.unknown,
            f"Result date {result_on} is before the submission date {submitted_on}; "
            "check the dates.",
            f"Дата результата {result_on} раньше даты подачи {submitted_on}; проверьте даты.",
            submitted_on=submitted_on,
            result_on=result_on,
            range_upper_bound_used=upper,
        )
    due = due_date(submitted_on, deadline, calendar)
    wd = DeadlineUnit.working_days
    late: int | None
    if result_on is None and today <= due:
        status, late = DeadlineStatus.pending, None
        en = f"no result as of {today}: still within the deadline"
        ru = f"на {today} результата нет: срок ещё не истёк"
    elif result_on is None:
        status, late = DeadlineStatus.overdue, calendar.working_days_between(due, today)
        en = f"no result as of {today}: overdue by {_en(late, wd)}"
        ru = f"на {today} результата нет: просрочка {_ru(late, wd)}"
    elif result_on <= due:
        status, late = DeadlineStatus.on_time, 0
        en, ru = f"result on {result_on}: on time", f"результат {result_on}: в срок"
    else:
        status, late = DeadlineStatus.late, calendar.working_days_between(due, result_on)
        en = f"result on {result_on}: late by {_en(late, wd)}"
        ru = f"результат {result_on}: просрочка {_ru(late, wd)}"
        if late == 0:
            # Issued on a day off right after the due date: late, but by no working day.
            days = (result_on - due).days
            en += f" ({_en(days, DeadlineUnit.calendar_days)}, all days off)"
            ru += f" ({_ru(days, DeadlineUnit.calendar_days)}, все нерабочие)"
    term_en, term_ru = _term(submitted_on, deadline, calendar)
    return _verdict(
        status,
        f"{term_en}; {en}.",
        f"{term_ru}; {ru}.",
        due_date=due,
        submitted_on=submitted_on,
        result_on=result_on,
        late_by_working_days=late,
        range_upper_bound_used=upper,
    )


def judge_duration(
    deadline: Deadline, *, started_at: dt.datetime | None, ended_at: dt.datetime | None
) -> DeadlineVerdict:
    """Judge a minutes or hours deadline (e.g. the wait in a queue) between two timestamps.

    Args:
        deadline: A ``minutes`` or ``hours`` deadline.
        started_at: Timezone-aware start, or None if not recorded.
        ended_at: Timezone-aware end, or None if not recorded.

    Returns:
        ``on_time`` or ``late`` with the measured and late minutes; ``unknown`` when a
        timestamp is missing or naive, or the end is before the start.

    Raises:
        ValueError: the deadline is in days or months.
    """
    if deadline.unit not in _TIME_UNITS:
        raise ValueError(f"a {deadline.unit} deadline needs judge_deadline, not judge_duration")
    upper = deadline.bound is Bound.max
    problem = _duration_problem(started_at, ended_at)
    if problem is not None or started_at is None or ended_at is None:
        en, ru = problem or ("", "")
        return _verdict(
            DeadlineStatus.unknown,
            f"{en}, so the duration cannot be judged.",
            f"{ru}, поэтому длительность оценить нельзя.",
            range_upper_bound_used=upper,
        )
    measured = (ended_at - started_at).total_seconds() / 60
    limit = deadline.amount * (60 if deadline.unit is DeadlineUnit.hours else 1)
    late = max(measured - limit, 0.0)
    mins = DeadlineUnit.minutes
    upper_en, upper_ru = ("upper bound ", "верхняя граница ") if upper else ("", "")
    span = f"{started_at.isoformat()} – {ended_at.isoformat()}"
    limit_en, limit_ru = _en(deadline.amount, deadline.unit), _ru(deadline.amount, deadline.unit)
    en = f"Limit {upper_en}{limit_en}; measured {_en(measured, mins)}"
    ru = f"Норматив: {upper_ru}{limit_ru}; фактически: {_ru(measured, mins)}"
    status = DeadlineStatus.late if late > 0 else DeadlineStatus.on_time
    en += f" ({span}): " + (f"late by {_en(late, mins)}." if late else "on time.")
    ru += f" ({span}): " + (f"просрочка {_ru(late, mins)}." if late else "в срок.")
    return _verdict(
        status,
        en,
        ru,
        measured_minutes=measured,
        late_by_minutes=late,
        range_upper_bound_used=upper,
    )


def _duration_problem(
    started_at: dt.datetime | None, ended_at: dt.datetime | None
) -> tuple[str, str] | None:
    if started_at is None or ended_at is None:
        return "A start or end time is missing", "Нет времени начала или окончания"
    if started_at.utcoffset() is None or ended_at.utcoffset() is None:
        return "A time has no time zone", "У времени не указан часовой пояс"
    if ended_at < started_at:
        return (
            f"The end {ended_at.isoformat()} is before the start {started_at.isoformat()}",
            f"Окончание {ended_at.isoformat()} раньше начала {started_at.isoformat()}",
        )
    return None


def pick_deadline(deadlines: list[Deadline], case_index: int | None) -> Deadline | None:
    """Choose the deadline case to judge a visit against.

    Args:
        deadlines: The standard's cases, in file order.
        case_index: The case chosen for this visit, or None to let the standard decide.

    Returns:
        The chosen case (a range's lower bound is replaced by the range's upper bound). With no
        choice: the only case that is neither an extension nor a range's lower bound, so a range
        gives its upper bound and an extension applies only when chosen. None when the choice is
        ambiguous, out of range, or names a lower bound with no matching upper bound.
    """
    if case_index is not None:
        if not 0 <= case_index < len(deadlines):
            return None
        chosen = deadlines[case_index]
        if chosen.bound is not Bound.min:
            return chosen
        # A range is stored as its min entry then its max entry.
        following = deadlines[case_index + 1 : case_index + 2]
        if following and following[0].bound is Bound.max and following[0].unit is chosen.unit:
            return following[0]
        return None
    candidates = [d for d in deadlines if not d.extension and d.bound is not Bound.min]
    return candidates[0] if len(candidates) == 1 else None
