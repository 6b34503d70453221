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
from service.scoring.deadlines import judge_case, pick_case
from service.scoring.durations import judge_duration
from service.scoring.fees import visit_day
from service.scoring.results import FindingCode, Judged, Norm, QueueFacts, ScoringConfig
from service.scoring.verdicts import DeadlineStatus, DeadlineVerdict, ResultBasis, ResultDates
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
_START_WORDS = {
    TICKET_SOUGHT: ("sought a ticket", "подошли за талоном"),
    TICKET: ("ticket", "талон"),
    ARRIVED_AT: ("arrived", "прибытие"),
}
# The item that carries each norm's points: the answer that ends the measured interval.
NORM_ITEMS = {
    Norm.queue_wait: STARTED,
    Norm.service_time: ENDED,
    Norm.call_connect: CONNECTED,
    Norm.deadline: RECEIVED,
    Norm.fee: fees.FEE_AMOUNT,
}
_FRACTION = {DeadlineStatus.on_time: 1.0, DeadlineStatus.late: 0.0, DeadlineStatus.overdue: 0.0}
Interval = tuple[float, str, str]  # minutes, start and end as HH:MM


def _clause(norm: AppliedNorm, what: str) -> str:
    """The clause a wait or service finding rests on: whose norm, and where it is written."""
    if norm.source is NormSource.programme:
        return f"checklists/programme.yaml: max_{what}_minutes = {norm.minutes} (норма программы)"
    line = f", report line {norm.line}" if norm.line else ""
    return f"standard: {what} {norm.minutes} min{line}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


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
        start, end = _moment(self.values, start_code), _moment(self.values, end_code)
        if start is None or end is None:
            return None
        minutes = (end - start).total_seconds() / 60
        first, last = self.config.clock(start), self.config.clock(end)
        span = f"{first}–{last}"
        if minutes < 0:
            en = f"{what}: the end is before the start ({span}); not judged."
            self.j.note("interval-negative", en, f"{what}: конец раньше начала ({span}).")
            return None
        if minutes > self.config.max_plausible_minutes:
            en = f"{what}: {_num(minutes)} min ({span}) is implausible; not judged."
            ru = f"{what}: {_num(minutes)} мин ({span}) неправдоподобно."
            self.j.note("interval-implausible", en, ru)
            return None
        return minutes, first, last


def _queue(j: Judged, read: _Reader, norm: AppliedNorm) -> None:
    formal = read.interval(TICKET, CALLED, "Formal wait")
    # The wait runs from when the visitor first tried to get a ticket: a wait for the ticket
    # itself counts (report line 3749: 48 minutes before the base issued one).
    since = next((c for c in (TICKET_SOUGHT, TICKET, ARRIVED_AT) if c in read.values), ARRIVED_AT)
    actual = read.interval(since, STARTED, "Actual wait")
    j.queue = j.queue.model_copy(
        update={"wait_minutes": formal and formal[0], "actual_wait_minutes": actual and actual[0]}
    )
    # The norm protects the visitor's real wait, so it is judged on the actual wait when known.
    judged = actual or formal
    limit = norm.minutes
    j.fractions[Norm.queue_wait] = None if judged is None else float(judged[0] <= limit)
    whose_en, whose_ru, clause = norm.label("en"), norm.label("ru"), _clause(norm, "wait")
    if formal is not None and formal[0] > limit:
        took, ticket, called = _num(formal[0]), formal[1], formal[2]
        en = f"Wait {took} min ({whose_en}; ticket {ticket}, called {called})."
        ru = f"Ожидание {took} мин ({whose_ru}; талон {ticket}, вызов {called})."
        j.add("queue-wait-over-norm", [TICKET, CALLED], en, ru, clause)
    elif actual is not None and actual[0] > limit:
        took, start, served = _num(actual[0]), actual[1], actual[2]
        start_en, start_ru = _START_WORDS[since]
        en = f"Actual wait {took} min ({whose_en}; {start_en} {start}, served {served}"
        ru = f"Фактическое ожидание {took} мин ({whose_ru}; {start_ru} {start}, "
        ru += f"обслуживание с {served}"
        if formal is not None:
            en += f"; the display called {formal[2]}, a formal wait of {_num(formal[0])} min"
            ru += f"; вызов на табло {formal[2]}, формально {_num(formal[0])} мин"
        j.add("queue-actual-wait-over-norm", [since, STARTED], en + ").", ru + ").", clause)


def _service(j: Judged, read: _Reader, norm: AppliedNorm, *, in_deadline: bool) -> None:
    service = read.interval(STARTED, ENDED, "Service time")
    j.queue = j.queue.model_copy(update={"service_minutes": service and service[0]})
    if in_deadline:
        # The standard's deadline in minutes is its service time: the deadline judge measures
        # this same interval against it, so judging it twice would count one breach twice.
        return
    limit = norm.minutes
    j.fractions[Norm.service_time] = None if service is None else float(service[0] <= limit)
    if service is not None and service[0] > limit:
        took, span = _num(service[0]), f"{service[1]}–{service[2]}"
        en = f"Service took {took} min ({norm.label('en')}; {span})."
        ru = f"Обслуживание заняло {took} мин ({norm.label('ru')}; {span})."
        clause = _clause(norm, "service")
        j.add("service-time-over-norm", [STARTED, ENDED], en, ru, clause)


def _call(j: Judged, read: _Reader, limit: int) -> None:
    connect = read.interval(DIALLED, CONNECTED, "Connect time")
    seconds = None if connect is None else round(connect[0] * 60, 1)
    j.queue = j.queue.model_copy(update={"call_connect_seconds": seconds})
    j.fractions[Norm.call_connect] = None if seconds is None else float(seconds <= limit)
    if connect is not None and seconds is not None and seconds > limit:
        took, span = _num(round(connect[0], 1)), f"({connect[1]}–{connect[2]})"
        en = f"Connected after {took} min vs the monitoring programme's norm of {limit} s {span}."
        ru = f"Соединение через {took} мин при норме программы мониторинга {limit} с {span}."
        clause = f"норма программы мониторинга: соединение за {limit} с (стандарт не устанавливает)"
        j.add("call-not-connected-quickly", [DIALLED, CONNECTED], en, ru, clause, minor=True)


def _term(case: DeadlineCase) -> tuple[str, str, str]:
    """The picked case in English and Russian, and the clause a finding rests on."""
    en = " + ".join(texts.amount_en(t.amount, t.unit) for t in case.terms)
    ru = " + ".join(texts.amount_ru(t.amount, t.unit) for t in case.terms)
    first = case.entries[0]
    if first.bound is Bound.min and len(case.entries) > 1 and case.entries[1].bound is Bound.max:
        clause = f"deadline: {first.amount}–{en} (upper bound judged)"
        return f"{en}, the upper bound of {first.amount}–{case.entries[1].amount}", ru, clause
    if case.minimum is not None:
        minimum = texts.amount_en(case.minimum.amount, case.minimum.unit)
        return f"at least {minimum}", ru, f"deadline: not earlier than {minimum}"
    labels = [label for e in case.entries if (label := e.case_en or e.case_ru)]
    clause = f"deadline: {en}" + (f" ({'; '.join(labels)})" if labels else "")
    return en, ru, clause + (" [declared extension]" if case.extension else "")


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
    calendar: WorkingCalendar,
    today: dt.date,
    case_index: int | None,
    follow_up: ResultDates | None,
) -> None:
    values = read.values
    chosen = re.fullmatch(r"case_(\d+)", str(values.get(CODE[R.deadline_case], "")))
    picked = pick_case(standard.deadlines, int(chosen[1]) - 1 if chosen else case_index)
    if picked is None:
        cases = len(standard.deadline_cases())
        en = f"Deadline cases in the standard: {cases}; none was chosen for this visit, "
        en += "so the deadline cannot be judged."
        ru = f"Вариантов срока в стандарте: {cases}; ни один не выбран для визита, "
        ru += "поэтому срок оценить нельзя."
        j.note("deadline-case-ambiguous", en, ru)
        j.deadline = DeadlineVerdict(
            status=DeadlineStatus.unknown, explanation_en=en, explanation_ru=ru
        )
        return
    term_en, term_ru, clause = _term(picked)
    if any(e.unit in (DeadlineUnit.minutes, DeadlineUnit.hours) for e in picked.entries):
        # A term in minutes runs from accepting the application at the desk to the result,
        # so it is the service interval; the queue before it has its own norm.
        start, end = _moment(values, STARTED), _moment(values, ENDED)
        verdict = judge_duration(picked.entries[-1], started_at=start, ended_at=end)
        if verdict.status is DeadlineStatus.late and start and end:
            took, late = _num(verdict.measured_minutes or 0), _num(verdict.late_by_minutes or 0)
            span = f"{read.config.clock(start)}–{read.config.clock(end)}"
            en = f"Service took {took} min vs the standard's {term_en} ({span}): {late} min late."
            ru = f"Услуга заняла {took} мин при сроке {term_ru} ({span}): просрочка {late} мин."
            j.add("deadline-late", [STARTED, ENDED], en, ru, clause)
    else:
        submitted = _date(values, SUBMITTED)
        promised = _date(values, PROMISED)
        minimum = picked.minimum
        applicant = minimum is not None and minimum.upper is UpperBound.applicant_choice
        verdict = judge_case(
            picked,
            calendar,
            submitted_on=submitted,
            result=_dates(values, follow_up),
            today=today,
            # The receipt's date is the one the applicant chose when the standard lets them.
            chosen_on=promised if applicant else None,
        )
        # The verdict's sentence already gives the due date, the term and the working days.
        en, ru = verdict.explanation_en, verdict.explanation_ru
        judged_on = READY if verdict.result_basis is ResultBasis.ready else RECEIVED
        if verdict.status in (DeadlineStatus.late, DeadlineStatus.overdue):
            is_late = verdict.status is DeadlineStatus.late
            code: FindingCode = "deadline-late" if is_late else "deadline-overdue"
            j.add(code, [SUBMITTED, judged_on if is_late else RECEIVED], en, ru, clause)
        due = verdict.due_date
        if promised is not None and due is not None and promised > due and not applicant:
            en = f"Promised {promised}, after the standard's due date {due} ({term_en} after "
            en += f"submission on {submitted})."
            ru = f"Обещали к {promised}, позже срока по стандарту {due} ({term_ru} после "
            ru += f"подачи {submitted})."
            items = [SUBMITTED, PROMISED]
            j.add("deadline-promised-beyond-standard", items, en, ru, clause, minor=True)
    j.deadline = verdict
    j.fractions[Norm.deadline] = _FRACTION.get(verdict.status)
    if verdict.status is DeadlineStatus.unknown:
        j.note("deadline-unknown", verdict.explanation_en, verdict.explanation_ru)


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
        config: the monitoring's own norms and the clock shown in messages.
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
    if STARTED in codes or CALLED in codes:
        _queue(j, read, wait)
        waits.judge_recorded_wait(j, values, programme)
    if ENDED in codes:
        _service(j, read, service, in_deadline=service_in_deadline(standard))
    if CONNECTED in codes:
        _call(j, read, config.max_call_connect_seconds)
    waits.judge_transfer_hold(j, values, programme)
    fees.judge_fee(j, values, standard.cost, day=visit_day(values, today), mrp=mrp or default_mrp())
    if standard.deadlines and codes & {SUBMITTED, RECEIVED}:
        _deadline(
            j,
            read,
            standard,
            calendar=calendar,
            today=today,
            case_index=case_index,
            follow_up=follow_up,
        )
    return j
