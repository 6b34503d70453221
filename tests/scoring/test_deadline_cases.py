"""The deadline model against the report: one row per standard whose deadline was fixed.

Each row quotes the report line (``report-2018.txt``, seed material) its standard rests on, picks the case a
visit would choose, and judges a result on a date around the due date the line implies.
Submission is Wednesday 2026-03-04: Nauryz (21-25 March 2026) falls inside most terms.
"""

import datetime as dt
from pathlib import Path
from typing import NamedTuple

import pytest

from service.answers.values import normalize
from service.calendar.rules import WorkingCalendar
from service.checklists.builder import build_checklist
from service.checklists.format import ChecklistChannel
from service.checklists.loader import load_templates
from service.scoring.deadlines import (
    DeadlineStatus,
    ResultDates,
    case_due_date,
    judge_case,
    pick_case,
)
from service.scoring.results import AnswerValue, ScoreResult
from service.scoring.rules import score_visit
from service.standards.catalogue import StandardFile, load_catalogue

D = dt.date
CAL = WorkingCalendar()
CATALOGUE = load_catalogue(Path(__file__).parents[2] / "checklists" / "standards")
SUBMITTED = D(2026, 3, 4)


def standard(code: str, on: dt.date = dt.date(2018, 6, 1)) -> StandardFile:
    versions = [s for s in CATALOGUE if s.code == code and s.effective_from <= on]
    return max(versions, key=lambda s: s.effective_from)


class Row(NamedTuple):
    code: str
    line: int
    quote: str
    case: int | None  # the 0-based entry a visit's deadline_case names
    due: dt.date | None  # the last day on time; None: no upper bound of the standard's own
    earliest: dt.date | None  # the first day a result may come, for a minimum term
    on: dt.date = dt.date(2018, 6, 1)  # the day whose standard version applies


ROWS = [
    Row(
        "S02",
        874,
        "в ноябре 2018г. предусмотрена оптимизация процедуры данной услуги: сокращение сроков "
        "предоставления услуги до 10 дней, получение услуги через услугодателя исключается",
        None,
        # 10 days from the November 2018 version on: 2026-03-14 is a Saturday, so Monday.
        D(2026, 3, 16),
        None,
        D(2018, 11, 1),
    ),
    Row(
        "S30",
        2758,
        "25 рабочих дней. В случае необходимости проведения международной координации срок "
        "продлевается не более чем на четыре месяца",
        1,
        # 25 working days (Nauryz off) is 2026-04-14; four months more, 2026-08-14 (a Friday).
        D(2026, 8, 14),
        None,
    ),
    Row(
        "S32",
        2861,
        "10 рабочих дней. При необходимости срок оказания продлевается до 5 или 30 рабочих дней",
        1,
        # 10 + 5 working days: the extension adds to the base, never shortens it.
        D(2026, 3, 31),
        None,
    ),
    Row(
        "S37",
        3171,
        "51 рабочий день, в случае дополнительного аттестационного обследования продлевается "
        "до 48 рабочих дней",
        1,
        # 51 + 48 = 99 working days.
        D(2026, 8, 3),
        None,
    ),
    Row(
        "S18",
        1924,
        "по истечении 18 (восемнадцати) месяцев, а мотивированный ответ об отказе в оказании "
        "услуги направляется ранее установленного срока",
        None,
        None,
        D(2027, 9, 4),
    ),
    Row(
        "S46",
        3758,
        "1 – этап – 28 рабочих дней;2 этап– 22 рабочих дня",
        0,
        # Stage 2 runs on from stage 1: 28 + 22 = 50 working days.
        D(2026, 5, 22),
        None,
    ),
    Row(
        "S52",
        4159,
        "1 – этап: ... – 30 календарных дней; 2 – этап: в случае передачи жилища ... – 30 "
        "календарных дней; 3 – этап: заключение договора о приватизации жилища – 30 "
        "календарных дней",
        1,
        # With the conditional stage 2: 3 x 30 = 90 calendar days, 2026-06-02.
        D(2026, 6, 2),
        None,
    ),
    Row(
        "S04",
        995,
        "тестирование проводится не ранее одного календарного дня со дня подачи заявления, и "
        "не позднее дня и времени тестирования, выбранного услугополучателем",
        None,
        None,  # the applicant's date, given to the judge below
        D(2026, 3, 5),
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.code for r in ROWS])
def test_the_standard_cites_the_line(row: Row) -> None:
    # The quotes were checked against the report, which is seed material kept outside the
    # repository; the catalogue file must point at the same line.
    source = standard(row.code, row.on).source
    assert source is not None
    assert source.deadline_line == row.line


@pytest.mark.parametrize("row", ROWS, ids=[r.code for r in ROWS])
def test_due_and_earliest_dates(row: Row) -> None:
    case = pick_case(standard(row.code, row.on).deadlines, row.case)
    assert case is not None
    assert case_due_date(SUBMITTED, case, CAL) == row.due
    minimum = case.minimum
    earliest = (
        None
        if minimum is None
        else judge_case(
            case, CAL, submitted_on=SUBMITTED, result=ResultDates(), today=SUBMITTED
        ).earliest_date
    )
    assert earliest == row.earliest


@pytest.mark.parametrize("row", [r for r in ROWS if r.due], ids=lambda r: r.code)
def test_on_the_due_date_on_time_a_working_day_later_late(row: Row) -> None:
    case = pick_case(standard(row.code, row.on).deadlines, row.case)
    assert case is not None
    assert row.due is not None
    on_due = judge_case(
        case, CAL, submitted_on=SUBMITTED, result=ResultDates(received_on=row.due), today=row.due
    )
    after = CAL.add_working_days(row.due, 1)
    late = judge_case(
        case, CAL, submitted_on=SUBMITTED, result=ResultDates(received_on=after), today=after
    )
    assert (on_due.status, on_due.due_date) == (DeadlineStatus.on_time, row.due)
    assert (late.status, late.late_by_working_days) == (DeadlineStatus.late, 1)


@pytest.mark.parametrize(
    ("code", "case", "due"),
    [
        # The base terms alone, when no extension or optional stage was declared.
        ("S30", None, D(2026, 4, 14)),
        ("S32", None, D(2026, 3, 19)),
        ("S37", None, D(2026, 5, 25)),
        ("S52", None, D(2026, 5, 4)),
    ],
)
def test_without_the_declared_extension_the_base_term(
    code: str, case: int | None, due: dt.date
) -> None:
    picked = pick_case(standard(code).deadlines, case)
    assert picked is not None
    assert not picked.extension
    assert case_due_date(SUBMITTED, picked, CAL) == due


def test_s18_a_minimum_is_never_late() -> None:
    """Line 1924: a patent «по истечении 18 месяцев»; 20 months is not late, 6 is early."""
    case = pick_case(standard("S18").deadlines, None)
    assert case is not None
    after = judge_case(
        case,
        CAL,
        submitted_on=SUBMITTED,
        result=ResultDates(received_on=D(2027, 11, 4)),
        today=D(2027, 11, 4),
    )
    early = judge_case(
        case,
        CAL,
        submitted_on=SUBMITTED,
        result=ResultDates(received_on=D(2026, 9, 4)),
        today=D(2026, 9, 4),
    )
    waiting = judge_case(
        case, CAL, submitted_on=SUBMITTED, result=ResultDates(), today=D(2029, 1, 1)
    )
    assert (after.status, after.due_date, after.earliest_date) == (
        DeadlineStatus.on_time,
        None,
        D(2027, 9, 4),
    )
    assert early.status is DeadlineStatus.early
    assert "Not before September 4, 2027" in early.explanation_en
    assert "Не ранее 4 сентября 2027\u202fг." in early.explanation_ru
    assert "2027\u202fж. 4 қыркүйек күнінен ерте емес" in early.explanation_kk
    # No upper bound: never overdue, however long the wait.
    assert waiting.status is DeadlineStatus.pending


@pytest.mark.parametrize(
    ("chosen", "tested", "status"),
    [
        (D(2026, 3, 10), D(2026, 3, 10), DeadlineStatus.on_time),
        (D(2026, 3, 10), D(2026, 3, 12), DeadlineStatus.late),
        (D(2026, 3, 10), D(2026, 3, 4), DeadlineStatus.early),
        (None, D(2026, 3, 12), DeadlineStatus.on_time),
    ],
)
def test_s04_upper_bound_is_the_applicants_date(
    chosen: dt.date | None, tested: dt.date, status: DeadlineStatus
) -> None:
    """Line 995: not before one calendar day, not after the day the applicant chose."""
    case = pick_case(standard("S04").deadlines, None)
    assert case is not None
    verdict = judge_case(
        case,
        CAL,
        submitted_on=SUBMITTED,
        result=ResultDates(received_on=tested),
        today=tested,
        chosen_on=chosen,
    )
    assert (verdict.status, verdict.due_date) == (status, chosen)
    if chosen is None:
        assert "not recorded" in verdict.explanation_en


def test_s02_changes_in_november_2018() -> None:
    """Line 874: in November 2018 the term becomes 10 days and the provider channel goes."""
    before, after = standard("S02", D(2018, 10, 31)), standard("S02", D(2018, 11, 1))
    assert [(d.amount, d.unit.value) for d in before.deadlines] == [(30, "calendar_days")]
    assert [(d.amount, d.unit.value) for d in after.deadlines] == [(10, "calendar_days")]
    assert [c.value for c in before.channels] == ["goscorp_con", "gov_agency"]
    assert [c.value for c in after.channels] == ["goscorp_con"]
    assert after.source is not None
    assert after.source.deadline_line == 874


@pytest.mark.parametrize(
    ("ready", "received", "status", "basis"),
    [
        # Ready in time, collected two weeks later: on time, judged on the ready day.
        (D(2026, 3, 16), D(2026, 3, 27), DeadlineStatus.on_time, "ready"),
        (D(2026, 3, 17), D(2026, 3, 17), DeadlineStatus.late, "ready"),
        (None, D(2026, 3, 27), DeadlineStatus.late, "received"),
        (None, D(2026, 3, 16), DeadlineStatus.on_time, "received"),
    ],
)
def test_judged_on_the_ready_day_when_known(
    ready: dt.date | None, received: dt.date, status: DeadlineStatus, basis: str
) -> None:
    # 7 working days (9 March, for 8 March on a Sunday, is off): due 2026-03-16.
    case = pick_case(standard("S26").deadlines, None)
    assert case is not None
    verdict = judge_case(
        case,
        CAL,
        submitted_on=SUBMITTED,
        result=ResultDates(ready_on=ready, received_on=received),
        today=D(2026, 4, 1),
    )
    assert verdict.due_date == D(2026, 3, 16)
    assert (verdict.status, verdict.result_basis) == (status, basis)
    assert verdict.received_on == received


TEMPLATES = load_templates(Path(__file__).parents[2] / "checklists" / "templates")
IN_PERSON = TEMPLATES[ChecklistChannel.in_person]


def score_dates(code: str, result_dates: ResultDates | None = None, **dates: str) -> ScoreResult:
    """Score only the deadline's answers of an in-person visit filed on SUBMITTED."""
    checklist = build_checklist(IN_PERSON, standard(code))
    raw = {"application_submitted_on": SUBMITTED.isoformat(), **dates}
    answers = {c: AnswerValue(value=normalize(checklist.item(c), v)) for c, v in raw.items()}
    return score_visit(
        checklist, standard(code), answers, calendar=CAL, today=D(2028, 1, 1),
        result_dates=result_dates,
    )  # fmt: skip


def test_a_visit_of_s18_received_after_20_months_has_no_deadline_finding() -> None:
    result = score_dates("S18", result_received_on="2027-11-04")
    assert result.deadline is not None
    assert result.deadline.status is DeadlineStatus.on_time
    assert not [f for f in result.findings if f.code.startswith("deadline")]


def test_the_ready_day_answered_is_judged_over_the_day_received() -> None:
    late = score_dates("S26", result_received_on="2026-03-27")
    ready = score_dates(
        "S26",
        result_received_on="2026-03-27",
        notification_received="yes",
        notification_received_on="2026-03-16",
    )
    assert [f.code for f in late.findings if f.code.startswith("deadline")] == ["deadline-late"]
    assert ready.deadline is not None
    assert (ready.deadline.status, ready.deadline.result_basis) == (DeadlineStatus.on_time, "ready")


def test_dates_recorded_after_the_visit_win_over_the_answers() -> None:
    result = score_dates(
        "S26",
        ResultDates(received_on=D(2026, 3, 27)),
        result_received_on="2026-03-16",
    )
    assert result.deadline is not None
    # Due 16 March; 17-20, 26 and 27 March are working days (Nauryz 23-25 is not): 6 late.
    assert (result.deadline.status, result.deadline.late_by_working_days) == (
        DeadlineStatus.late,
        6,
    )
    late = next(f for f in result.findings if f.code == "deadline-late")
    assert late.item_codes == ["application_submitted_on", "result_received_on"]
