"""Assigning visits, one through the API or a wave from a CSV file, under one set of checks."""

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service import db
from service.auth.models import User
from service.checklists import service as checklists_service
from service.checklists.format import ChecklistChannel
from service.errors import ServiceError
from service.isotime import local_date
from service.offices import service as offices_service
from service.offices.models import Office
from service.offices.schemas import OfficeKind
from service.standards import service as standards_service
from service.visits import repository
from service.visits import service as visits_service
from service.visits.bulk import COLUMNS, BulkRow, flag_repeated_client_ids, read_cells
from service.visits.checks import (
    AssignmentCode,
    Candidate,
    Defect,
    Facts,
    OfficeFacts,
    Pinned,
    check_assignment,
)
from service.visits.models import Visit
from service.visits.schemas import BulkResult, BulkRowError, VisitCreate
from service.visits.transitions import VisitStatus

# Which column a failure to pin a checklist points at, and its code.
_PIN_FAILURES: dict[type[ServiceError], tuple[str, AssignmentCode]] = {
    standards_service.ServiceNotFound: ("service_code", "service-not-found"),
    standards_service.StandardNotInForce: ("window_start_at", "standard-not-in-force"),
    checklists_service.ChannelNotOffered: ("channel", "checklist-not-offered"),
    checklists_service.ChecklistNotFound: ("channel", "checklist-not-found"),
    checklists_service.ChecklistInvalid: ("channel", "checklist-invalid"),
}


@dataclass
class _Lookups:
    """What the database says about the parts of a batch of assignments, asked in batches."""

    session: Session
    now: dt.datetime
    active_ids: set[uuid.UUID]
    ids_by_email: dict[str, uuid.UUID]
    offices: dict[int, Office]
    services: set[str]
    pins: dict[tuple[str, ChecklistChannel, dt.date], Pinned | Defect] = field(default_factory=dict)

    def facts(self, c: Candidate) -> Facts:
        shopper_active = None
        if c.shopper_id is not None and c.shopper_email is None:
            shopper_active = c.shopper_id in self.active_ids
        elif c.shopper_email is not None and c.shopper_id is None:
            shopper_active = c.shopper_email in self.ids_by_email
        office = self.offices.get(c.office_id) if c.office_id is not None else None
        return Facts(
            shopper_active=shopper_active,
            office=_office_facts(office) if office is not None else None,
            office_exists=None if c.office_id is None else office is not None,
            service_exists=None if c.service_code is None else c.service_code in self.services,
            pinned=self.pin(c),
        )

    def pin(self, c: Candidate) -> Pinned | Defect | None:
        if c.service_code not in self.services or c.channel is None or not c.window_start_at:
            return None
        key = (c.service_code, c.channel, local_date(c.window_start_at))
        if key not in self.pins:
            self.pins[key] = _pin(self.session, *key, now=self.now)
        return self.pins[key]


def _office_facts(office: Office) -> OfficeFacts:
    assert office.id is not None
    return OfficeFacts(office.id, OfficeKind(office.kind), frozenset(office.services))


def _pin(
    session: Session, code: str, channel: ChecklistChannel, on: dt.date, *, now: dt.datetime
) -> Pinned | Defect:
    try:
        checklist = checklists_service.resolve(session, code, channel, on, now=now)
    except tuple(_PIN_FAILURES) as exc:
        column, problem_code = _PIN_FAILURES[type(exc)]
        return Defect(column, problem_code, exc.detail)
    assert checklist.id is not None
    standard = standards_service.get_standard_by_id(session, checklist.standard_id)
    cases = len(standards_service.body_of(standard).deadlines)
    return Pinned(checklist.id, checklist.standard_id, cases)


def _look_up(session: Session, candidates: list[Candidate], *, now: dt.datetime) -> _Lookups:
    ids = {c.shopper_id for c in candidates if c.shopper_id is not None}
    emails = {c.shopper_email for c in candidates if c.shopper_email is not None}
    shoppers = repository.active_shoppers(session, ids=ids, emails=emails)
    codes = {c.service_code for c in candidates if c.service_code is not None}
    return _Lookups(
        session=session,
        now=now,
        active_ids={shopper_id for shopper_id, _ in shoppers},
        ids_by_email={email: shopper_id for shopper_id, email in shoppers if email in emails},
        offices=offices_service.get_many(
            session, {c.office_id for c in candidates if c.office_id is not None}
        ),
        services=standards_service.existing_codes(session, codes),
    )


def _same_assignment(visit: Visit, visit_in: VisitCreate) -> bool:
    return (
        visit.service_code == visit_in.service_code
        and visit.office_id == visit_in.office_id
        and visit.shopper_id == visit_in.shopper_id
        and visit.channel == visit_in.channel.value
        and visit.window_start_at == visit_in.window_start_at
        and visit.window_end_at == visit_in.window_end_at
        and visit.wave == visit_in.wave
        and visit.notes == visit_in.notes
        and visit.deadline_case_index == visit_in.deadline_case_index
    )


def _refusal(problems: list[Defect]) -> visits_service.AssignmentInvalid:
    # One problem gets its own code; several get assignment-invalid, each code in ``errors``.
    one = visits_service.ONE_PROBLEM
    cls = one.get(problems[0].code) if len(problems) == 1 else None
    detail = "; ".join(f"{p.column}: {p.message}" for p in problems)
    errors = [{"loc": ["body", p.column], "msg": p.message, "code": p.code} for p in problems]
    return (cls or visits_service.AssignmentInvalid)(detail, errors=errors)


def assign(
    session: Session, actor: User, visit_in: VisitCreate, *, now: dt.datetime
) -> tuple[Visit, bool]:
    """Assign a visit, pinning the checklist and standard in force on its first day.

    Returns the visit and whether it was created; a retry with the same ``client_id`` and
    the same content returns the first visit.

    Raises:
        VisitConflict: the ``client_id`` was used for another assignment.
        AssignmentInvalid: the shopper, office, service, channel or window does not fit; a
            subclass with the problem's own code when there is exactly one.
    """
    if visit_in.client_id is not None:
        existing = repository.get_by_client_id(session, visit_in.client_id)
        if existing is not None:
            if _same_assignment(existing, visit_in):
                return existing, False
            raise visits_service.VisitConflict(
                f"client_id {visit_in.client_id} already created visit {existing.id} with "
                "other content; use a new client_id for a new visit."
            )
    candidate = Candidate.of(visit_in.model_dump())
    lookups = _look_up(session, [candidate], now=now)
    problems = check_assignment(candidate, lookups.facts(candidate), now=now)
    if problems:
        raise _refusal(problems)
    pinned = lookups.pin(candidate)
    assert isinstance(pinned, Pinned)
    return _create(session, actor, visit_in, pinned, now=now)


def _create(
    session: Session, actor: User, visit_in: VisitCreate, pinned: Pinned, *, now: dt.datetime
) -> tuple[Visit, bool]:
    visit = Visit.model_validate(
        visit_in,
        update={
            "channel": visit_in.channel.value,
            "status": VisitStatus.assigned,
            "checklist_id": pinned.checklist_id,
            "standard_id": pinned.standard_id,
            "created_at": now,
            "created_by_id": actor.id,
        },
    )
    try:
        with db.savepoint(session):
            repository.add(session, visit)
    except IntegrityError:
        # The same client_id won a race a moment ago: answer as a retry would be answered.
        assert visit_in.client_id is not None
        raced = repository.get_by_client_id(session, visit_in.client_id)
        if raced is None or not _same_assignment(raced, visit_in):
            raise visits_service.VisitConflict(
                f"client_id {visit_in.client_id} was just used."
            ) from None
        return raced, False
    visits_service.record(session, visit, actor, "assign", now=now, to_status=VisitStatus.assigned)
    return visit, True


@dataclass
class _Planned:
    row: BulkRow
    values: dict[str, Any]
    candidate: Candidate
    visit_in: VisitCreate | None = None
    retry_of: Visit | None = None


def bulk_assign(
    session: Session, actor: User, rows: list[BulkRow], *, now: dt.datetime
) -> BulkResult:
    """Assign every row, or none: any problem refuses the file with every problem of every row.

    Raises:
        BulkRowsInvalid: ``errors`` lists each problem as row, column, message and code.
    """
    plans = [_Planned(r, v, Candidate.of(v)) for r in rows for v in [read_cells(r)]]
    flag_repeated_client_ids([(p.row, p.values) for p in plans])
    client_ids = {p.values["client_id"] for p in plans if "client_id" in p.values}
    earlier = repository.by_client_ids(session, client_ids)
    lookups = _look_up(session, [p.candidate for p in plans], now=now)
    for plan in plans:
        if not plan.row.problems:
            plan.visit_in = _to_create(plan, lookups)
        client_id = plan.visit_in.client_id if plan.visit_in is not None else None
        prior = earlier.get(client_id) if client_id is not None else None
        if prior is not None and plan.visit_in is not None:
            if _same_assignment(prior, plan.visit_in):
                plan.retry_of = prior  # a file sent again: nothing to check or create
                continue
            plan.row.problems.append(
                Defect(
                    "client_id",
                    "visit-conflict",
                    f"this client_id already created visit {prior.id} with other content",
                )
            )
        plan.row.problems.extend(
            check_assignment(plan.candidate, lookups.facts(plan.candidate), now=now)
        )
        if not plan.row.problems and plan.visit_in is None:
            # Every cell read and every check passed, yet the row is no assignment: say so
            # rather than fail later.
            plan.row.problems.append(Defect(None, "value-invalid", "the row is not complete"))
    _refuse_if_any(plans)
    results = []
    for plan in plans:
        if plan.retry_of is not None:
            results.append((plan.retry_of, False))
            continue
        assert plan.visit_in is not None
        pinned = lookups.pin(plan.candidate)
        assert isinstance(pinned, Pinned)
        results.append(_create(session, actor, plan.visit_in, pinned, now=now))
    created = sum(1 for _, was_created in results if was_created)
    return BulkResult(
        created=created, unchanged=len(results) - created, visits=[v.id for v, _ in results]
    )


def _to_create(plan: _Planned, lookups: _Lookups) -> VisitCreate | None:
    values = dict(plan.values)
    email = values.pop("shopper_email", None)
    if email is not None:
        if email not in lookups.ids_by_email:
            return None  # the checks report it
        values["shopper_id"] = lookups.ids_by_email[email]
    try:
        return VisitCreate.model_validate(values)
    except ValidationError:
        return None  # every cell read on its own; what is left (the window's order) is checked


def _refuse_if_any(plans: list[_Planned]) -> None:
    order = {column: n for n, column in enumerate(COLUMNS)}
    errors = [
        BulkRowError(
            row=p.row.line, column=problem.column, message=problem.message, code=problem.code
        )
        for p in plans
        for problem in sorted(p.row.problems, key=lambda q: order.get(q.column or "", -1))
    ]
    if errors:
        bad = sum(1 for p in plans if p.row.problems)
        raise visits_service.BulkRowsInvalid(
            f"{bad} of {len(plans)} rows have problems ({len(errors)} in all); "
            "nothing was assigned. Fix every listed cell and send the whole file again.",
            errors=[e.model_dump() for e in errors],
        )
