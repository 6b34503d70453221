"""Judging a term in minutes or hours (a same-day service) between two timestamps.

Pure: timezone-aware timestamps and a ``Deadline`` in, a ``DeadlineVerdict`` out.
"""

import datetime as dt

from service.scoring.verdicts import (
    TIME_UNITS,
    DeadlineStatus,
    DeadlineVerdict,
    verdict,
    words_en,
    words_ru,
)
from service.standards.terms import Bound, Deadline, DeadlineUnit


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
    if deadline.unit not in TIME_UNITS:
        raise ValueError(f"a {deadline.unit} deadline needs judge_deadline, not judge_duration")
    upper = deadline.bound is Bound.max
    problem = _duration_problem(started_at, ended_at)
    if problem is not None or started_at is None or ended_at is None:
        en, ru = problem or ("", "")
        return verdict(
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
    limit_en, limit_ru = (
        words_en(deadline.amount, deadline.unit),
        words_ru(deadline.amount, deadline.unit),
    )
    en = f"Limit {upper_en}{limit_en}; measured {words_en(measured, mins)}"
    ru = f"Норматив: {upper_ru}{limit_ru}; фактически: {words_ru(measured, mins)}"
    status = DeadlineStatus.late if late > 0 else DeadlineStatus.on_time
    en += f" ({span}): " + (f"late by {words_en(late, mins)}." if late else "on time.")
    ru += f" ({span}): " + (f"просрочка {words_ru(late, mins)}." if late else "в срок.")
    return verdict(
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
