"""Working-day calendar: KZ holidays from the package, decree overrides, counting."""

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.calendar.rules import (
    CalendarError,
    CalendarOverrides,
    WorkingCalendar,
    parse_overrides,
)

D = dt.date
CAL = WorkingCalendar()
EXAMPLE_FILE = Path(__file__).parents[2] / "checklists" / "calendar" / "kz-2026.yaml"

# What the installed holidays package returns for KZ 2026 (checked against the Ministry of
# Labour's 2026 calendar; 30 August stopped being a holiday in 2026 with the new constitution).
KZ_2026_DAYS_OFF = [
    D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 7), D(2026, 3, 8), D(2026, 3, 9),
    D(2026, 3, 21), D(2026, 3, 22), D(2026, 3, 23), D(2026, 3, 24), D(2026, 3, 25),
    D(2026, 5, 1), D(2026, 5, 7), D(2026, 5, 9), D(2026, 5, 11), D(2026, 5, 27),
    D(2026, 7, 6), D(2026, 10, 25), D(2026, 10, 26), D(2026, 12, 16),
]  # fmt: skip


def test_package_gives_the_2026_days_off() -> None:
    named = [d.date for d in CAL.days(2026) if d.reason not in (None, "weekend")]
    assert named == KZ_2026_DAYS_OFF


@pytest.mark.parametrize(
    ("day", "working", "reason"),
    [
        (D(2026, 3, 20), True, None),
        (D(2026, 3, 21), False, "Nowruz Holiday"),
        (D(2026, 3, 23), False, "Nowruz Holiday"),
        (D(2026, 3, 24), False, "Nowruz Holiday (observed)"),
        (D(2026, 3, 25), False, "Nowruz Holiday (observed)"),
        (D(2026, 3, 26), True, None),
        (D(2026, 3, 9), False, "International Women's Day (observed)"),
        (D(2026, 5, 11), False, "Victory Day (observed)"),
        (D(2026, 8, 31), True, None),
        (D(2026, 3, 28), False, "weekend"),
        # A past decree the package knows: Saturday 4 May 2024 worked for Wednesday 8 May.
        (D(2024, 5, 4), True, "transferred working day"),
        (D(2024, 5, 8), False, "Day off (substituted from 05/04/2024)"),
    ],
)
def test_day_kind(day: dt.date, working: bool, reason: str | None) -> None:
    assert CAL.is_working_day(day) is working
    printed = next(d for d in CAL.days(day.year) if d.date == day)
    assert (printed.working, printed.reason) == (working, reason)


def test_year_totals_2026() -> None:
    days = CAL.days(2026)
    assert len(days) == 365
    assert days[0].weekday == "Thu"
    # January has 19 working days by the 2026 production calendar.
    assert sum(d.working for d in days if d.date.month == 1) == 19
    assert sum(d.working for d in days) == 247


@pytest.mark.parametrize(
    ("day", "name"),
    [(D(2026, 3, 22), "Nowruz Holiday"), (D(2026, 3, 28), None), (D(2026, 4, 1), None)],
)
def test_holiday_name(day: dt.date, name: str | None) -> None:
    assert CAL.holiday_name(day) == name


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 3, 18), D(2026, 3, 18)),
        (D(2026, 3, 21), D(2026, 3, 26)),
        (D(2026, 5, 9), D(2026, 5, 12)),
        (D(2025, 12, 31), D(2025, 12, 31)),
        (D(2026, 1, 1), D(2026, 1, 5)),
    ],
)
def test_next_working_day(day: dt.date, expected: dt.date) -> None:
    assert CAL.next_working_day(day) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2026, 3, 18), 0, D(2026, 3, 18)),
        (D(2026, 3, 18), 1, D(2026, 3, 19)),
        (D(2026, 3, 18), 3, D(2026, 3, 26)),
        (D(2026, 3, 18), 7, D(2026, 4, 1)),
        (D(2026, 3, 21), 1, D(2026, 3, 26)),
        (D(2025, 12, 30), 2, D(2026, 1, 5)),
        # 2 January 2027 is a Saturday holiday, carried over to Monday the 4th.
        (D(2026, 12, 31), 1, D(2027, 1, 5)),
    ],
)
def test_add_working_days(start: dt.date, n: int, expected: dt.date) -> None:
    assert CAL.add_working_days(start, n) == expected


def test_add_working_days_refuses_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_days(D(2026, 3, 18), -1)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (D(2026, 3, 18), D(2026, 3, 18), 0),
        (D(2026, 3, 18), D(2026, 4, 1), 7),
        (D(2026, 4, 1), D(2026, 3, 18), -7),
        (D(2026, 3, 20), D(2026, 3, 25), 0),
        (D(2026, 3, 21), D(2026, 3, 26), 1),
        (D(2025, 12, 31), D(2026, 1, 5), 1),
        (D(2025, 12, 31), D(2026, 12, 31), 247),
    ],
)
def test_working_days_between(a: dt.date, b: dt.date, expected: int) -> None:
    assert CAL.working_days_between(a, b) == expected


def test_override_day_off_and_working_saturday() -> None:
    overrides = CalendarOverrides(days_off={D(2026, 4, 3)}, working_days={D(2026, 4, 4)})
    cal = WorkingCalendar(overrides)
    assert not cal.is_working_day(D(2026, 4, 3))
    assert cal.is_working_day(D(2026, 4, 4))
    assert cal.add_working_days(D(2026, 4, 2), 1) == D(2026, 4, 4)
    printed = {d.date: d.reason for d in cal.days(2026)}
    assert printed[D(2026, 4, 3)] == "override: day off"
    assert printed[D(2026, 4, 4)] == "override: working day"


def test_override_wins_over_a_holiday() -> None:
    cal = WorkingCalendar(CalendarOverrides(working_days={D(2026, 3, 24)}))
    assert cal.is_working_day(D(2026, 3, 24))
    assert cal.holiday_name(D(2026, 3, 24)) == "Nowruz Holiday (observed)"


def test_overrides_model_refuses_a_date_in_both() -> None:
    with pytest.raises(ValueError, match="2026-01-05"):
        CalendarOverrides(days_off={D(2026, 1, 5)}, working_days={D(2026, 1, 5)})


def test_parse_one_block() -> None:
    overrides = parse_overrides(
        "year: 2026\ndays_off: [2026-01-05]\nworking_days: ['2026-01-03']\nnote: decree\n"
    )
    assert overrides.days_off == {D(2026, 1, 5)}
    assert overrides.working_days == {D(2026, 1, 3)}
    assert overrides.notes == ("2026: decree",)


def test_parse_a_list_of_years() -> None:
    overrides = parse_overrides(
        "- {year: 2026, days_off: [2026-01-05]}\n- {year: 2027, working_days: [2027-01-09]}\n"
    )
    assert overrides.days_off == {D(2026, 1, 5)}
    assert overrides.working_days == {D(2027, 1, 9)}


def test_example_file_parses() -> None:
    overrides = parse_overrides(EXAMPLE_FILE.read_text(encoding="utf-8"))
    assert overrides.days_off | overrides.working_days


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{year: 2026, days_off: [2026-01-05], working_days: [2026-01-05]}", "2026-01-05"),
        ("{year: 2026, days_off: [2025-12-31]}", r"days_off\[0\]: 2025-12-31 is outside"),
        ("[{year: 2026}, {year: 2027, working_days: [2026-01-03]}]", r"\[1\]\.working_days"),
        ("{year: 2026, days_off: [2026-01-05, 2026-01-05]}", "listed twice"),
        ("[{year: 2026}, {year: 2026}]", "year: 2026 is given twice"),
        ("year: [2026", "cannot read YAML"),
        ("", "empty"),
        ("[]", "no year blocks"),
        ("- 2026", "expected a mapping"),
        ("{year: '2026'}", "year: Input should be a valid integer"),
        ("{year: 2026, days_off: [20260105]}", r"days_off\[0\]: expected a date"),
        ("{year: 2026, days_off: [tomorrow]}", "'tomorrow'"),
        ("{year: 2026, days_off: [2026-01-05 10:00:00]}", "without a time"),
        ("{year: 2026, days_off: 2026-01-05}", "days_off: Input should be a valid list"),
        ("{year: 2026, holidays: []}", "holidays: Extra inputs"),
        ("{days_off: []}", "year: Field required"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        parse_overrides(text)


DATES = st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31))


@given(start=DATES, n=st.integers(min_value=1, max_value=400))
def test_add_working_days_lands_on_a_working_day_n_days_later(start: dt.date, n: int) -> None:
    due = CAL.add_working_days(start, n)
    assert CAL.is_working_day(due)
    assert CAL.working_days_between(start, due) == n


@given(a=DATES, b=DATES)
def test_between_is_antisymmetric_and_matches_counting(a: dt.date, b: dt.date) -> None:
    lo, hi = sorted((a, b))
    counted = sum(CAL.is_working_day(lo + dt.timedelta(days=i + 1)) for i in range((hi - lo).days))
    assert CAL.working_days_between(lo, hi) == counted
    assert CAL.working_days_between(a, b) == -CAL.working_days_between(b, a)
