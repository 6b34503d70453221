"""Judging a term in minutes or hours (a same-day service) between two timestamps.

Pure: timezone-aware timestamps and a ``Deadline`` in, a ``DeadlineVerdict`` out.
"""

import datetime as dt

from pydantic import JsonValue

from service.scoring.messages import Params, message
from service.scoring.verdicts import TIME_UNITS, DeadlineStatus, DeadlineVerdict, amount, verdict
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
        return verdict(
            DeadlineStatus.unknown,
            "deadline.duration.unknown",
            {"problem": problem},
            range_upper_bound_used=upper,
        )
    measured = (ended_at - started_at).total_seconds() / 60
    limit = deadline.amount * (60 if deadline.unit is DeadlineUnit.hours else 1)
    late = max(measured - limit, 0.0)
    term = amount(deadline.amount, deadline.unit)
    outcome = (
        message("deadline.duration.late", late=round(late, 1))
        if late
        else message("deadline.duration.on-time")
    )
    params: Params = {
        "limit": message("deadline.duration.upper", amount=term) if upper else term,
        "measured": round(measured, 1),
        "start": started_at.isoformat(),
        "end": ended_at.isoformat(),
        "outcome": outcome,
    }
    status = DeadlineStatus.late if late > 0 else DeadlineStatus.on_time
    return verdict(
        status,
        "deadline.duration",
        params,
        measured_minutes=measured,
        late_by_minutes=late,
        range_upper_bound_used=upper,
    )


def _duration_problem(
    started_at: dt.datetime | None, ended_at: dt.datetime | None
) -> dict[str, JsonValue] | None:
    if started_at is None or ended_at is None:
        return message("deadline.duration.missing")
    if started_at.utcoffset() is None or ended_at.utcoffset() is None:
        return message("deadline.duration.naive")
    if ended_at < started_at:
        return message(
            "deadline.duration.reversed", end=ended_at.isoformat(), start=started_at.isoformat()
        )
    return None
