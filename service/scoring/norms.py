"""Timed norms applied to a visit: queue wait, service time, call, deadline, and the fee.

The wait and service-time norms are the standard's where it states them, else the monitoring
programme's (``standards.programme``); each finding says whose (docs/scoring.md, "Norms").

Pure: no web, database or storage imports. Answers are read by the fixed codes of
``SCORING_ROLES``; each judge adds facts for reports, findings, notes on what it could not
judge, and the fraction (0..1, None when not judged) its norm adds to the score.
"""

import datetime as dt
import re
from collections.abc import Mapping

from pydantic import JsonValue

from service.calendar.rules import WorkingCalendar
from service.checklists import texts
from service.checklists.format import ResolvedChecklist
from service.checklists.vocabulary import SCORING_ROLES, ScoringRole
from service.scoring import fees, waits
from service.scoring.deadlines import judge_case, pick_case, terms_message
from service.scoring.durations import judge_duration
from service.scoring.fees import visit_day
from service.scoring.judged import Judged
from service.scoring.messages import Params, message
from service.scoring.results import FindingCode, Norm, QueueFacts, ScoringConfig, Source
from service.scoring.verdicts import DeadlineStatus, ResultBasis, ResultDates, amount, verdict
from service.standards.catalogue import StandardBody
from service.standards.programme import (
    AppliedNorm,
    MrpTable,
    NormSource,
    ProgrammeNorms,
    default_mrp,
    default_programme,
    service_in_deadline,
    service_norm,
    wait_norm,
)
from service.standards.terms import Bound, DeadlineCase, DeadlineUnit, UpperBound

R = ScoringRole
CODE = {role: code for role, (code, _) in SCORING_ROLES.items()}
TICKET, CALLED = CODE[R.queue_wait_start], CODE[R.queue_wait_end]
STARTED, ENDED = CODE[R.service_start], CODE[R.service_end]
DIALLED, CONNECTED = CODE[R.call_wait_start], CODE[R.call_wait_end]
SUBMITTED, PROMISED, RECEIVED, READY = (
    CODE[R.deadline_start],
    CODE[R.deadline_promised],
    CODE[R.deadline_end],
    CODE[R.deadline_ready],
)
# Not scoring roles: when the visitor first sought a ticket (the wait for one counts), and
# the README's start of the wait for a visitor who got no ticket.
TICKET_SOUGHT, ARRIVED_AT = "ticket_sought_at", "arrived_at"
# The item that carries each norm's points: the answer that ends the measured interval.
NORM_ITEMS = {
    Norm.queue_wait: STARTED,
    Norm.service_time: ENDED,
    Norm.call_connect: CONNECTED,
    Norm.deadline: RECEIVED,
    Norm.fee: fees.FEE_AMOUNT,
}
_FRACTION = {DeadlineStatus.on_time: 1.0, DeadlineStatus.late: 0.0, DeadlineStatus.overdue: 0.0}
Interval = tuple[float, str, str]  # minutes, start and end as ISO date-times


def _source(norm: AppliedNorm, what: str, service: str, programme: ProgrammeNorms) -> Source:
    """What a wait or service finding rests on: whose norm, and where it is written."""
    if norm.source is NormSource.programme:
        field = f"max_{what}_minutes"
        clause = f"checklists/programme.yaml: {field} = {norm.minutes} (норма программы)"
        return Source(document="programme", clause=clause, line=programme.lines.get(field))
    line = f", report line {norm.line}" if norm.line else ""
    clause = f"standard: {what} {norm.minutes} min{line}"
    return Source(document=service, clause=clause, line=norm.line)


def _norm_words(norm: AppliedNorm) -> dict[str, JsonValue]:
    """Whose norm, as a finding says it: «норма программы мониторинга: 15 минут»."""
    if norm.source is NormSource.programme:
        return message("norm.programme", amount=norm.minutes)
    if norm.line:
        return message("norm.standard.line", amount=norm.minutes, line=str(norm.line))
    return message("norm.standard", amount=norm.minutes)


def _num(x: float) -> float:
    return round(x, 1)


def _moment(values: Mapping[str, JsonValue], code: str) -> dt.datetime | None:
    value = values.get(code)
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


def _date(values: Mapping[str, JsonValue], code: str) -> dt.date | None:
    value = values.get(code)
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


class _Reader:
    """Reads intervals between answered timestamps, refusing negative or absurd ones."""

    def __init__(self, j: Judged, values: Mapping[str, JsonValue], config: ScoringConfig) -> None:
        self.j, self.values, self.config = j, values, config

    def interval(self, start_code: str, end_code: str, what: str) -> Interval | None:
        """Minutes between two answered moments, with the moments; ``what`` names the
        interval in notes (``interval.*`` in the catalogue)."""
        start, end = _moment(self.values, start_code), _moment(self.values, end_code)
        if start is None or end is None:
            return None
        minutes = (end - start).total_seconds() / 60
        first, last = start.isoformat(), end.isoformat()
        named = message(f"interval.{what}")
        if minutes < 0:
            self.j.note("interval-negative", {"what": named, "start": first, "end": last})
            return None
        if minutes > self.config.max_plausible_minutes:
            params: Params = {"what": named, "minutes": _num(minutes), "start": first, "end": last}
            self.j.note("interval-implausible", params)
            return None
        return minutes, first, last


def _queue(j: Judged, read: _Reader, norm: AppliedNorm, source: Source) -> None:
    formal = read.interval(TICKET, CALLED, "formal-wait")
    # The wait runs from when the visitor first tried to get a ticket: a wait for the ticket
    # itself counts (report line 3749: 48 minutes before the base issued one).
    since = next((c for c in (TICKET_SOUGHT, TICKET, ARRIVED_AT) if c in read.values), ARRIVED_AT)
    actual = read.interval(since, STARTED, "actual-wait")
    j.queue = j.queue.model_copy(
        update={"wait_minutes": formal and formal[0], "actual_wait_minutes": actual and actual[0]}
    )
    # The norm protects the visitor's real wait, so it is judged on the actual wait when known.
    judged = actual or formal
    limit = norm.minutes
    j.fractions[Norm.queue_wait] = None if judged is None else float(judged[0] <= limit)
    whose = _norm_words(norm)
    params: Params
    if formal is not None and formal[0] > limit:
        params = {
            "took": _num(formal[0]),
            "norm": whose,
            "ticket": formal[1],
            "called": formal[2],
        }
        j.add("queue-wait-over-norm", [TICKET, CALLED], "queue-wait-over-norm", params, source)
    elif actual is not None and actual[0] > limit:
        shown: list[JsonValue] = []
        if formal is not None:
            shown.append(message("queue.formal", called=formal[2], took=_num(formal[0])))
        params = {
            "took": _num(actual[0]),
            "norm": whose,
            "since": message(f"wait-start.{since}"),
            "start": actual[1],
            "served": actual[2],
            "formal": shown,
        }
        code: FindingCode = "queue-actual-wait-over-norm"
        j.add(code, [since, STARTED], code, params, source)


def _service(
    j: Judged, read: _Reader, norm: AppliedNorm, source: Source, *, in_deadline: bool
) -> None:
    service = read.interval(STARTED, ENDED, "service-time")
    j.queue = j.queue.model_copy(update={"service_minutes": service and service[0]})
    if in_deadline:
        # The standard's deadline in minutes is its service time: the deadline judge measures
        # this same interval against it, so judging it twice would count one breach twice.
        return
    limit = norm.minutes
    j.fractions[Norm.service_time] = None if service is None else float(service[0] <= limit)
    if service is not None and service[0] > limit:
        took, start, end = _num(service[0]), service[1], service[2]
        params: Params = {"took": took, "norm": _norm_words(norm), "start": start, "end": end}
        j.add("service-time-over-norm", [STARTED, ENDED], "service-time-over-norm", params, source)


def _call(j: Judged, read: _Reader, limit: int) -> None:
    connect = read.interval(DIALLED, CONNECTED, "connect-time")
    seconds = None if connect is None else round(connect[0] * 60, 1)
    j.queue = j.queue.model_copy(update={"call_connect_seconds": seconds})
    j.fractions[Norm.call_connect] = None if seconds is None else float(seconds <= limit)
    if connect is not None and seconds is not None and seconds > limit:
        params: Params = {
            "took": _num(connect[0]),
            "limit": limit,
            "start": connect[1],
            "end": connect[2],
        }
        clause = f"норма программы мониторинга: соединение за {limit} с (стандарт не устанавливает)"
        source = Source(document="programme", clause=clause)
        code: FindingCode = "call-not-connected-quickly"
        j.add(code, [DIALLED, CONNECTED], code, params, source, minor=True)


def _term(case: DeadlineCase) -> tuple[dict[str, JsonValue], str]:
    """The picked case's term as a message parameter, and the clause a finding rests on."""
    en = " + ".join(texts.amount_en(t.amount, t.unit) for t in case.terms)
    first = case.entries[0]
    minimum = case.minimum
    term = (
        terms_message(case)
        if case.terms or minimum is None
        else amount(minimum.amount, minimum.unit)
    )
    if first.bound is Bound.min and len(case.entries) > 1 and case.entries[1].bound is Bound.max:
        return term, f"deadline: {first.amount}–{en} (upper bound judged)"
    if minimum is not None:
        return term, f"deadline: not earlier than {texts.amount_en(minimum.amount, minimum.unit)}"
    labels = [label for e in case.entries if (label := e.case_en or e.case_ru)]
    clause = f"deadline: {en}" + (f" ({'; '.join(labels)})" if labels else "")
    return term, clause + (" [declared extension]" if case.extension else "")


def _dates(values: Mapping[str, JsonValue], follow_up: ResultDates | None) -> ResultDates:
    """The result's dates: those recorded after the visit win over the visit's answers."""
    ready, received = _date(values, READY), _date(values, RECEIVED)
    if follow_up is not None:
        ready = follow_up.ready_on or ready
        received = follow_up.received_on or received
    return ResultDates(ready_on=ready, received_on=received)


def _deadline(
    j: Judged,
    read: _Reader,
    standard: StandardBody,
    *,
    service: str,
    calendar: WorkingCalendar,
    today: dt.date,
    case_index: int | None,
    follow_up: ResultDates | None,
) -> None:
    values = read.values
    chosen = re.fullmatch(r"case_(\d+)", str(values.get(CODE[R.deadline_case], "")))
    picked = pick_case(standard.deadlines, int(chosen[1]) - 1 if chosen else case_index)
    params: Params
    if picked is None:
        params = {"cases": len(standard.deadline_cases())}
        j.note("deadline-case-ambiguous", params)
        j.deadline = verdict(DeadlineStatus.unknown, "deadline-case-ambiguous", params)
        return
    term, clause = _term(picked)
    line = standard.source.deadline_line if standard.source else None
    source = Source(document=service, clause=clause, line=line)
    if any(e.unit in (DeadlineUnit.minutes, DeadlineUnit.hours) for e in picked.entries):
        # A term in minutes runs from accepting the application at the desk to the result,
        # so it is the service interval; the queue before it has its own norm.
        start, end = _moment(values, STARTED), _moment(values, ENDED)
        judged = judge_duration(picked.entries[-1], started_at=start, ended_at=end)
        if judged.status is DeadlineStatus.late and start and end:
            params = {
                "took": _num(judged.measured_minutes or 0),
                "term": term,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "late": _num(judged.late_by_minutes or 0),
            }
            j.add("deadline-late", [STARTED, ENDED], "deadline-late.duration", params, source)
    else:
        submitted = _date(values, SUBMITTED)
        promised = _date(values, PROMISED)
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


def judge_norms(
    checklist: ResolvedChecklist,
    standard: StandardBody,
    values: Mapping[str, JsonValue],
    *,
    calendar: WorkingCalendar,
    today: dt.date,
    case_index: int | None,
    config: ScoringConfig,
    programme: ProgrammeNorms | None = None,
    mrp: MrpTable | None = None,
    follow_up: ResultDates | None = None,
) -> Judged:
    """Judge the visible, non-N/A, normalised ``values`` against the timed norms.

    A norm is judged only when the checklist has its items: the call checklist has no
    queue, and no deadline (a call submits no application).

    Args:
        checklist: the visit's checklist.
        standard: the standard version in force: queue norms and deadline cases.
        values: answers by item code, normalised by ``answers.values``.
        calendar: working days, for deadlines in working days or ending on a day off.
        today: the day of judging, for a result still not received.
        case_index: the coordinator's deadline case, used when no ``deadline_case`` answer.
        config: the monitoring's own norms.
        programme: the programme's norms where the standard is silent (default: the
            published ``checklists/programme.yaml``).
        mrp: МРП values for tariffs in МРП (default: ``checklists/mrp.yaml``).
        follow_up: the result's dates recorded after the visit (``POST .../result``); they
            win over the visit's answers.

    Returns:
        Facts, findings, notes and each judged norm's fraction.
    """
    codes = {item.code for item in checklist.items()}
    programme = programme or default_programme()
    wait, service = wait_norm(standard, programme), service_norm(standard, programme)
    j = Judged(queue=QueueFacts(max_wait_minutes=wait.minutes, max_service_minutes=service.minutes))
    read = _Reader(j, values, config)
    code = checklist.service_code
    if STARTED in codes or CALLED in codes:
        _queue(j, read, wait, _source(wait, "wait", code, programme))
        waits.judge_recorded_wait(j, values, programme)
    if ENDED in codes:
        source = _source(service, "service", code, programme)
        _service(j, read, service, source, in_deadline=service_in_deadline(standard))
    if CONNECTED in codes:
        _call(j, read, config.max_call_connect_seconds)
    waits.judge_transfer_hold(j, values, programme)
    day = visit_day(values, today)
    fees.judge_fee(j, values, standard.cost, code, day=day, mrp=mrp or default_mrp())
    if standard.deadlines and codes & {SUBMITTED, RECEIVED}:
        _deadline(
            j,
            read,
            standard,
            service=code,
            calendar=calendar,
            today=today,
            case_index=case_index,
            follow_up=follow_up,
        )
    return j
