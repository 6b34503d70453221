"""Timed norms applied to a visit: queue wait, service time, call, deadline, and the fee.

The wait and service-time norms are the standard's where it states them, else the monitoring
programme's (``standards.programme``); each finding says whose (docs/scoring.md, "Norms").

Pure: no web, database or storage imports. Answers are read by the fixed codes of
``SCORING_ROLES``; each judge adds facts for reports, findings, notes on what it could not
judge, and the fraction (0..1, None when not judged) its norm adds to the score.
"""

import datetime as dt
from collections.abc import Mapping

from pydantic import JsonValue

from service.calendar.rules import WorkingCalendar
from service.checklists.format import ResolvedChecklist
from service.scoring import fees, waits
from service.scoring.deadline_norm import judge_deadline
from service.scoring.fees import visit_day
from service.scoring.judged import Judged
from service.scoring.measures import (
    CALLED,
    CONNECTED,
    DIALLED,
    ENDED,
    NORM_NAMES,
    RECEIVED,
    STARTED,
    SUBMITTED,
    TICKET,
    Reader,
    programme_source,
    tenth,
)
from service.scoring.messages import Params, message
from service.scoring.results import FindingCode, Norm, QueueFacts, ScoringConfig
from service.scoring.sources import Source
from service.scoring.verdicts import ResultDates
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


def _source(norm: AppliedNorm, what: str, service: str, programme: ProgrammeNorms) -> Source:
    """What a wait or service finding rests on: whose norm, and where it is written."""
    if norm.source is NormSource.programme:
        return programme_source(programme, f"max_{what}_minutes", norm.minutes)
    params: Params = {"norm": message(NORM_NAMES[f"max_{what}_minutes"]), "value": norm.minutes}
    return Source.of(service, "standard-norm", params, line=norm.line)


def _norm_words(norm: AppliedNorm) -> dict[str, JsonValue]:
    """Whose norm, as a finding says it: «норма программы мониторинга: 15 минут»."""
    if norm.source is NormSource.programme:
        return message("norm.programme", amount=norm.minutes)
    if norm.line:
        return message("norm.standard.line", amount=norm.minutes, line=str(norm.line))
    return message("norm.standard", amount=norm.minutes)


def _queue(j: Judged, read: Reader, norm: AppliedNorm, source: Source) -> None:
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
            "took": tenth(formal[0]),
            "norm": whose,
            "ticket": formal[1],
            "called": formal[2],
        }
        j.add("queue-wait-over-norm", [TICKET, CALLED], "queue-wait-over-norm", params, source)
    elif actual is not None and actual[0] > limit:
        shown: list[JsonValue] = []
        if formal is not None:
            shown.append(message("queue.formal", called=formal[2], took=tenth(formal[0])))
        params = {
            "took": tenth(actual[0]),
            "norm": whose,
            "since": message(f"wait-start.{since}"),
            "start": actual[1],
            "served": actual[2],
            "formal": shown,
        }
        code: FindingCode = "queue-actual-wait-over-norm"
        j.add(code, [since, STARTED], code, params, source)


def _service(
    j: Judged, read: Reader, norm: AppliedNorm, source: Source, *, in_deadline: bool
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
        took, start, end = tenth(service[0]), service[1], service[2]
        params: Params = {"took": took, "norm": _norm_words(norm), "start": start, "end": end}
        j.add("service-time-over-norm", [STARTED, ENDED], "service-time-over-norm", params, source)


def _call(j: Judged, read: Reader, programme: ProgrammeNorms) -> None:
    limit = programme.max_call_connect_seconds
    connect = read.interval(DIALLED, CONNECTED, "connect-time")
    seconds = None if connect is None else round(connect[0] * 60, 1)
    j.queue = j.queue.model_copy(update={"call_connect_seconds": seconds})
    j.fractions[Norm.call_connect] = None if seconds is None else float(seconds <= limit)
    if connect is not None and seconds is not None and seconds > limit:
        params: Params = {
            "took": tenth(connect[0]),
            "limit": limit,
            "start": connect[1],
            "end": connect[2],
        }
        line = programme.lines.get("max_call_connect_seconds")
        source = Source.of("programme", "programme-connect", {"limit": limit}, line=line)
        code: FindingCode = "call-not-connected-quickly"
        j.add(code, [DIALLED, CONNECTED], code, params, source, minor=True)


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
    read = Reader(j, values, config)
    code = checklist.service_code
    if STARTED in codes or CALLED in codes:
        _queue(j, read, wait, _source(wait, "wait", code, programme))
        waits.judge_recorded_wait(j, values, programme)
    if ENDED in codes:
        source = _source(service, "service", code, programme)
        _service(j, read, service, source, in_deadline=service_in_deadline(standard))
    if CONNECTED in codes:
        _call(j, read, programme)
    waits.judge_transfer_hold(j, values, programme)
    day = visit_day(values, today)
    fees.judge_fee(j, values, standard.cost, code, day=day, mrp=mrp or default_mrp())
    if standard.deadlines and codes & {SUBMITTED, RECEIVED}:
        judge_deadline(
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
