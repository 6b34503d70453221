"""The standard's deadline applied to a visit: the case, its term and the verdict (pure).

A term in minutes or hours is the service interval (``durations``); a term in days runs on
Kazakhstan's working calendar from the application to the result (``deadlines``), the result's
dates recorded after the visit winning over its answers. Part of ``norms.judge_norms``.
"""

import datetime as dt
import re
from collections.abc import Mapping

from pydantic import JsonValue

from service.calendar.rules import WorkingCalendar
from service.scoring.deadlines import judge_case, pick_case, terms_message
from service.scoring.durations import judge_duration
from service.scoring.judged import Judged
from service.scoring.measures import (
    CODE,
    ENDED,
    PROMISED,
    READY,
    RECEIVED,
    STARTED,
    SUBMITTED,
    R,
    Reader,
    day,
    moment,
    tenth,
)
from service.scoring.messages import Params, localized, message
from service.scoring.results import FindingCode, Norm
from service.scoring.sources import Source
from service.scoring.verdicts import DeadlineStatus, ResultBasis, ResultDates, amount, verdict
from service.standards.catalogue import StandardBody
from service.standards.terms import Bound, DeadlineCase, DeadlineUnit, UpperBound

# What a verdict adds to the score: an unknown one adds nothing either way.
_FRACTION = {DeadlineStatus.on_time: 1.0, DeadlineStatus.late: 0.0, DeadlineStatus.overdue: 0.0}


def _term(
    case: DeadlineCase, service: str, line: int | None
) -> tuple[dict[str, JsonValue], Source]:
    """The picked case's term as a message parameter, and the clause a finding rests on, in
    standard ``service`` at report line ``line``."""
    first = case.entries[0]
    minimum = case.minimum
    term = (
        terms_message(case)
        if case.terms or minimum is None
        else amount(minimum.amount, minimum.unit)
    )
    added = message("deadline.terms", terms=[amount(t.amount, t.unit) for t in case.terms])
    if first.bound is Bound.min and len(case.entries) > 1 and case.entries[1].bound is Bound.max:
        bounds: Params = {"low": first.amount, "high": added}
        return term, Source.of(service, "deadline.range", bounds, line=line)
    if minimum is not None:
        least: Params = {"minimum": amount(minimum.amount, minimum.unit)}
        return term, Source.of(service, "deadline.minimum", least, line=line)
    named = [e for e in case.entries if e.case_ru or e.case_en]
    cases: JsonValue = ""
    if named:
        # The standard names its cases in Russian (some in English too), never in Kazakh.
        ru = "; ".join(e.case_ru or e.case_en or "" for e in named)
        en = "; ".join(e.case_en or e.case_ru or "" for e in named)
        cases = message("source.deadline.cases", cases=localized(ru, en))
    extension = message("source.deadline.extension") if case.extension else ""
    params: Params = {"term": added, "cases": cases, "extension": extension}
    return term, Source.of(service, "deadline", params, line=line)


def _dates(values: Mapping[str, JsonValue], follow_up: ResultDates | None) -> ResultDates:
    """The result's dates: those recorded after the visit win over the visit's answers."""
    ready, received = day(values, READY), day(values, RECEIVED)
    if follow_up is not None:
        ready = follow_up.ready_on or ready
        received = follow_up.received_on or received
    return ResultDates(ready_on=ready, received_on=received)


def judge_deadline(
    j: Judged,
    read: Reader,
    standard: StandardBody,
    *,
    service: str,
    calendar: WorkingCalendar,
    today: dt.date,
    case_index: int | None,
    follow_up: ResultDates | None,
) -> None:
    """Judge the picked deadline case: a finding when the result came late, is overdue or was
    promised beyond the term, a note when the case or the verdict is unknown."""
    values = read.values
    chosen = re.fullmatch(r"case_(\d+)", str(values.get(CODE[R.deadline_case], "")))
    picked = pick_case(standard.deadlines, int(chosen[1]) - 1 if chosen else case_index)
    params: Params
    if picked is None:
        params = {"cases": len(standard.deadline_cases())}
        j.note("deadline-case-ambiguous", params)
        j.deadline = verdict(DeadlineStatus.unknown, "deadline-case-ambiguous", params)
        return
    line = standard.source.deadline_line if standard.source else None
    term, source = _term(picked, service, line)
    if any(e.unit in (DeadlineUnit.minutes, DeadlineUnit.hours) for e in picked.entries):
        # A term in minutes runs from accepting the application at the desk to the result,
        # so it is the service interval; the queue before it has its own norm.
        start, end = moment(values, STARTED), moment(values, ENDED)
        judged = judge_duration(picked.entries[-1], started_at=start, ended_at=end)
        if judged.status is DeadlineStatus.late and start and end:
            params = {
                "took": tenth(judged.measured_minutes or 0),
                "term": term,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "late": tenth(judged.late_by_minutes or 0),
            }
            j.add("deadline-late", [STARTED, ENDED], "deadline-late.duration", params, source)
    else:
        submitted = day(values, SUBMITTED)
        promised = day(values, PROMISED)
        minimum = picked.minimum
        applicant = minimum is not None and minimum.upper is UpperBound.applicant_choice
        judged = judge_case(
            picked,
            calendar,
            submitted_on=submitted,
            result=_dates(values, follow_up),
            today=today,
            # The receipt's date is the one the applicant chose when the standard lets them.
            chosen_on=promised if applicant else None,
        )
        # The verdict's sentence already gives the due date, the term and the working days.
        judged_on = READY if judged.result_basis is ResultBasis.ready else RECEIVED
        if judged.status in (DeadlineStatus.late, DeadlineStatus.overdue):
            is_late = judged.status is DeadlineStatus.late
            code: FindingCode = "deadline-late" if is_late else "deadline-overdue"
            items = [SUBMITTED, judged_on if is_late else RECEIVED]
            j.add(code, items, code, {"verdict": judged.explanation()}, source)
        due = judged.due_date
        if promised is not None and due is not None and promised > due and not applicant:
            params = {
                "promised": promised.isoformat(),
                "due": due.isoformat(),
                "term": term,
                "submitted": str(submitted),
            }
            late_promise: FindingCode = "deadline-promised-beyond-standard"
            items = [SUBMITTED, PROMISED]
            j.add(late_promise, items, late_promise, params, source, minor=True)
    j.deadline = judged
    j.fractions[Norm.deadline] = _FRACTION.get(judged.status)
    if judged.status is DeadlineStatus.unknown:
        j.note("deadline-unknown", {"verdict": judged.explanation()})
