"""Deadline arithmetic and verdicts, including the real seed standards."""

import datetime as dt
from pathlib import Path

import pytest

from service.calendar.rules import CalendarOverrides, WorkingCalendar
from service.isotime import LOCAL_OFFSET
from service.scoring.deadlines import (
    DeadlineStatus,
    due_date,
    judge_deadline,
    pick_case,
)
from service.scoring.durations import judge_duration
from service.standards.catalogue import Deadline, parse_standard

D = dt.date
CAL = WorkingCalendar()
STANDARDS = Path(__file__).parents[2] / "checklists" / "standards"
ALMATY = LOCAL_OFFSET


def seed(code: str) -> list[Deadline]:
    return parse_standard(STANDARDS / f"{code}.yaml").deadlines


def dl(amount: int, unit: str, **extra: object) -> Deadline:
    return Deadline.model_validate({"amount": amount, "unit": unit, **extra})


def at(hour: int, minute: int, tz: dt.tzinfo | None = ALMATY) -> dt.datetime:
    return dt.datetime(2026, 3, 18, hour, minute, tzinfo=tz)


@pytest.mark.parametrize(
    ("submitted", "deadline", "expected"),
    [
        pytest.param(D(2026, 3, 18), dl(7, "working_days"), D(2026, 4, 1), id="across-nauryz"),
        pytest.param(D(2026, 4, 2), dl(10, "calendar_days"), D(2026, 4, 13), id="sunday-to-mon"),
        pytest.param(D(2026, 4, 3), dl(10, "calendar_days"), D(2026, 4, 13), id="working-end"),
        pytest.param(D(2026, 3, 11), dl(10, "calendar_days"), D(2026, 3, 26), id="into-nauryz"),
        pytest.param(D(2026, 1, 31), dl(1, "months"), D(2026, 3, 2), id="feb-28-is-sat"),
        pytest.param(D(2025, 1, 31), dl(1, "months"), D(2025, 2, 28), id="non-leap"),
        pytest.param(D(2024, 1, 31), dl(1, "months"), D(2024, 2, 29), id="leap"),
        pytest.param(D(2026, 11, 30), dl(3, "months"), D(2027, 3, 1), id="across-year"),
        pytest.param(D(2026, 3, 18), dl(4, "months"), D(2026, 7, 20), id="sat-to-mon"),
    ],
)
def test_due_date(submitted: dt.date, deadline: Deadline, expected: dt.date) -> None:
    assert due_date(submitted, deadline, CAL) == expected


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(CalendarOverrides(days_off={D(2026, 3, 27)}), D(2026, 4, 2), id="day-off"),
        pytest.param(
            CalendarOverrides(working_days={D(2026, 3, 28)}), D(2026, 3, 31), id="working-sat"
        ),
    ],
)
def test_overrides_move_the_due_date(overrides: CalendarOverrides, expected: dt.date) -> None:
    cal = WorkingCalendar(overrides)
    assert due_date(D(2026, 3, 18), dl(7, "working_days"), cal) == expected


@pytest.mark.parametrize("unit", ["minutes", "hours"])
def test_due_date_refuses_time_units(unit: str) -> None:
    with pytest.raises(ValueError, match="judge_duration"):
        due_date(D(2026, 3, 18), dl(30, unit), CAL)


SEVEN = dl(7, "working_days")


@pytest.mark.parametrize(
    ("deadline", "submitted", "result", "today", "status", "late", "due"),
    [
        (SEVEN, None, D(2026, 4, 3), D(2026, 5, 1), DeadlineStatus.unknown, None, None),
        (SEVEN, D(2026, 3, 18), D(2026, 4, 1), D(2026, 5, 1), DeadlineStatus.on_time, 0, "04-01"),
        (SEVEN, D(2026, 3, 18), D(2026, 3, 19), D(2026, 5, 1), DeadlineStatus.on_time, 0, "04-01"),
        (SEVEN, D(2026, 3, 18), D(2026, 4, 3), D(2026, 5, 1), DeadlineStatus.late, 2, "04-01"),
        (SEVEN, D(2026, 3, 18), None, D(2026, 3, 30), DeadlineStatus.pending, None, "04-01"),
        (SEVEN, D(2026, 3, 18), None, D(2026, 4, 1), DeadlineStatus.pending, None, "04-01"),
        (SEVEN, D(2026, 3, 18), None, D(2026, 4, 2), DeadlineStatus.overdue, 1, "04-01"),
        (SEVEN, D(2026, 3, 18), None, D(2026, 4, 6), DeadlineStatus.overdue, 3, "04-01"),
        (SEVEN, D(2026, 3, 18), D(2026, 3, 1), D(2026, 5, 1), DeadlineStatus.unknown, None, None),
        # Issued on the Saturday after a Friday due date: late, by no working day.
        (
            dl(10, "calendar_days"),
            D(2026, 3, 24),
            D(2026, 4, 4),
            D(2026, 5, 1),
            DeadlineStatus.late,
            0,
            "04-03",
        ),
    ],
)
def test_judge_deadline_statuses(
    deadline: Deadline,
    submitted: dt.date | None,
    result: dt.date | None,
    today: dt.date,
    status: DeadlineStatus,
    late: int | None,
    due: str | None,
) -> None:
    verdict = judge_deadline(deadline, CAL, submitted_on=submitted, result_on=result, today=today)
    assert verdict.status is status
    assert verdict.late_by_working_days == late
    assert verdict.due_date == (D.fromisoformat(f"2026-{due}") if due else None)
    assert verdict.explanation_en
    assert verdict.explanation_ru
    assert not verdict.range_upper_bound_used


def test_explanation_reads_like_a_sentence() -> None:
    verdict = judge_deadline(
        SEVEN, CAL, submitted_on=D(2026, 3, 18), result_on=D(2026, 4, 3), today=D(2026, 5, 1)
    )
    # Dates in each language's long form (Babel; "г." and "ж." after a narrow no-break space).
    assert verdict.explanation_en == (
        "Due April 1, 2026 (7 working days after March 18, 2026); result received on "
        "April 3, 2026: late by 2 working days."
    )
    assert verdict.explanation_ru == (
        "Срок 1 апреля 2026\u202fг. (7 рабочих дней после 18 марта 2026\u202fг.); результат "
        "получен 3 апреля 2026\u202fг.: просрочка 2 рабочих дня."
    )
    assert verdict.explanation_kk == (
        "Мерзімі 2026\u202fж. 1 сәуір (2026\u202fж. 18 наурыз күнінен бастап 7 жұмыс күні); "
        "нәтиже 2026\u202fж. 3 сәуір күні алынды: 2 жұмыс күні кешікті."
    )
    assert (verdict.explanation_key, verdict.explanation_params["outcome"]) == (
        "deadline.verdict",
        {"key": "deadline.late", "params": {"late": 2, "result": {
            "key": "deadline.basis.received", "params": {"on": "2026-04-03"}}}},
    )  # fmt: skip


def test_explanation_says_when_the_due_date_moved() -> None:
    verdict = judge_deadline(
        dl(10, "calendar_days"),
        CAL,
        submitted_on=D(2026, 4, 2),
        result_on=None,
        today=D(2026, 4, 2),
    )
    assert "April 12, 2026 is a day off" in verdict.explanation_en
    assert "12 апреля 2026\u202fг. нерабочий день" in verdict.explanation_ru
    assert "2026\u202fж. 12 сәуір демалыс күні" in verdict.explanation_kk


@pytest.mark.parametrize(("deadline", "message"), [(dl(30, "minutes"), "judge_duration")])
def test_judge_deadline_refuses(deadline: Deadline, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        judge_deadline(
            deadline, CAL, submitted_on=D(2026, 3, 18), result_on=None, today=D(2026, 3, 18)
        )


@pytest.mark.parametrize(
    ("deadline", "start", "end", "status", "measured", "late"),
    [
        (dl(30, "minutes"), at(9, 0), at(9, 42), DeadlineStatus.late, 42.0, 12.0),
        (dl(30, "minutes"), at(9, 0), at(9, 30), DeadlineStatus.on_time, 30.0, 0.0),
        (dl(2, "hours"), at(9, 0), at(11, 30), DeadlineStatus.late, 150.0, 30.0),
        (dl(30, "minutes"), at(9, 0), at(4, 10, dt.UTC), DeadlineStatus.on_time, 10.0, 0.0),
        (dl(30, "minutes"), None, at(9, 42), DeadlineStatus.unknown, None, None),
        (dl(30, "minutes"), at(9, 0), None, DeadlineStatus.unknown, None, None),
        (dl(30, "minutes"), at(9, 0, None), at(9, 42), DeadlineStatus.unknown, None, None),
        (dl(30, "minutes"), at(9, 42), at(9, 0), DeadlineStatus.unknown, None, None),
    ],
)
def test_judge_duration(
    deadline: Deadline,
    start: dt.datetime | None,
    end: dt.datetime | None,
    status: DeadlineStatus,
    measured: float | None,
    late: float | None,
) -> None:
    verdict = judge_duration(deadline, started_at=start, ended_at=end)
    assert verdict.status is status
    assert verdict.measured_minutes == measured
    assert verdict.late_by_minutes == late
    assert verdict.explanation_en
    assert verdict.explanation_ru


def test_duration_explanation() -> None:
    verdict = judge_duration(dl(30, "minutes"), started_at=at(9, 0), ended_at=at(9, 42))
    assert verdict.explanation_en.startswith("Limit 30 minutes; measured 42 minutes (")
    assert verdict.explanation_en.endswith("): late by 12 minutes.")
    assert verdict.explanation_ru.endswith("): просрочка 12 минут.")


def test_judge_duration_refuses_day_units() -> None:
    with pytest.raises(ValueError, match="judge_deadline"):
        judge_duration(SEVEN, started_at=at(9, 0), ended_at=at(9, 42))


@pytest.mark.parametrize(
    ("code", "index", "terms"),
    [
        ("S26", None, [(7, "working_days")]),
        ("S17", None, None),
        ("S17", 0, [(30, "calendar_days")]),
        ("S17", 1, [(10, "calendar_days")]),
        ("S17", 3, [(15, "calendar_days")]),
        ("S17", 4, None),
        ("S17", -1, None),
        ("S11", None, [(180, "calendar_days")]),
        ("S11", 0, [(180, "calendar_days")]),
        ("S11", 1, [(180, "calendar_days")]),
        ("S16", None, [(45, "working_days")]),
        ("S04", None, []),
        ("S04", 0, []),
        ("S30", None, [(25, "working_days")]),
        ("S30", 1, [(25, "working_days"), (4, "months")]),
        ("S32", None, [(10, "working_days")]),
        ("S32", 2, [(10, "working_days"), (30, "working_days")]),
        ("S46", 1, [(28, "working_days"), (22, "working_days")]),
        ("S48", None, [(60, "minutes")]),
    ],
)
def test_pick_case_on_seeds(
    code: str, index: int | None, terms: list[tuple[int, str]] | None
) -> None:
    picked = pick_case(seed(code), index)
    got = None if picked is None else [(t.amount, t.unit.value) for t in picked.terms]
    assert got == terms


def _one(code: str, index: int | None) -> Deadline:
    picked = pick_case(seed(code), index)
    assert picked is not None
    assert len(picked.terms) == 1
    return picked.terms[0]


def test_seed_s26_seven_working_days() -> None:
    verdict = judge_deadline(
        _one("S26", None),
        CAL,
        submitted_on=D(2026, 3, 18),
        result_on=D(2026, 4, 3),
        today=D(2026, 5, 1),
    )
    assert (verdict.status, verdict.late_by_working_days) == (DeadlineStatus.late, 2)


def test_seed_s17_individuals() -> None:
    deadline = _one("S17", 1)
    assert deadline.case_en == "individuals"
    verdict = judge_deadline(
        deadline, CAL, submitted_on=D(2026, 3, 11), result_on=D(2026, 3, 26), today=D(2026, 5, 1)
    )
    assert (verdict.status, verdict.due_date) == (DeadlineStatus.on_time, D(2026, 3, 26))


def test_seed_s11_range_judged_against_180_days() -> None:
    verdict = judge_deadline(
        _one("S11", None),
        CAL,
        submitted_on=D(2026, 3, 18),
        result_on=D(2026, 10, 1),
        today=D(2026, 10, 1),
    )
    assert verdict.range_upper_bound_used
    assert verdict.due_date == D(2026, 9, 14)
    assert (verdict.status, verdict.late_by_working_days) == (DeadlineStatus.late, 13)
    assert "upper bound: 180 calendar days" in verdict.explanation_en
    assert "верхняя граница: 180 календарных дней" in verdict.explanation_ru
