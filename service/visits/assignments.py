"""Assigning one visit through the API, and the look-ups and checks a bulk shares with it."""

import datetime as dt
import uuid
from dataclasses import dataclass, field

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
from service.offices.schemas import OFFICE_KINDS, OfficeKind
from service.standards import service as standards_service
from service.standards.models import ServiceStandard
from service.visits import repository, repository_bulk
from service.visits import service as visits_service
from service.visits.checks import (
    AssignmentCode,
    Candidate,
    Defect,
    Facts,
    OfficeFacts,
    Pinned,
    check_assignment,
    offers,
)
from service.visits.models import Visit
from service.visits.schemas import VisitCreate
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
class Lookups:
    """What the database says about the parts of a batch of assignments, asked in batches."""

    session: Session
    now: dt.datetime
    # False: a checklist not stored yet is only built (Pinned.checklist_id None); a bulk
    # checks its rows reading only and stores it when it writes.
    save: bool
    active_ids: set[uuid.UUID]
    ids_by_email: dict[str, uuid.UUID]
    offices: dict[int, Office]
    services: set[str]
    pins: dict[tuple[str, ChecklistChannel, dt.date], Pinned | Defect] = field(default_factory=dict)
    by_standard: dict[tuple[str, ChecklistChannel, int], Pinned] = field(default_factory=dict)
    versions: dict[str, list[ServiceStandard]] = field(default_factory=dict)

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
            self.pins[key] = self._pin(*key)
        return self.pins[key]

    def _pin(self, code: str, channel: ChecklistChannel, on: dt.date) -> Pinned | Defect:
        # A wave's many days share the few standard versions in force: the versions are read
        # once per service and the checklist (read, or built: the costly part) resolved once
        # per version, not once per day.
        if code not in self.versions:
            self.versions[code] = standards_service.versions_of(self.session, code)
        try:
            standard = standards_service.in_force(self.versions[code], code, on)
            assert standard.id is not None
            key = (code, channel, standard.id)
            if key not in self.by_standard:
                checklist = checklists_service.resolve(
                    self.session, code, channel, on, now=self.now, save=self.save
                )
                cases = len(standards_service.body_of(standard).deadlines)
                self.by_standard[key] = Pinned(checklist.id, standard.id, cases)
        except tuple(_PIN_FAILURES) as exc:
            column, problem_code = _PIN_FAILURES[type(exc)]
            return Defect(column, problem_code, exc.detail)
        return self.by_standard[key]


def _office_facts(office: Office) -> OfficeFacts:
    assert office.id is not None
    return OfficeFacts(office.id, OfficeKind(office.kind), frozenset(office.services))


def look_up(
    session: Session, candidates: list[Candidate], *, now: dt.datetime, save: bool = True
) -> Lookups:
    ids = {c.shopper_id for c in candidates if c.shopper_id is not None}
    emails = {c.shopper_email for c in candidates if c.shopper_email is not None}
    shoppers = repository_bulk.active_shoppers(session, ids=ids, emails=emails)
    codes = {c.service_code for c in candidates if c.service_code is not None}
    return Lookups(
        session=session,
        now=now,
        save=save,
        active_ids={shopper_id for shopper_id, _ in shoppers},
        ids_by_email={email: shopper_id for shopper_id, email in shoppers if email in emails},
        offices=offices_service.get_many(
            session, {c.office_id for c in candidates if c.office_id is not None}
        ),
        services=standards_service.existing_codes(session, codes),
    )


def choices_for(
    session: Session, office: Office, *, on: dt.date
) -> tuple[list[ServiceStandard], ChecklistChannel]:
    """What an assignment to ``office`` may name: the services it offers with a standard in
    force on ``on``, and the one channel its kind of office is reached through."""
    services = [
        standard
        for standard in standards_service.all_in_force(session, on)
        if offers(office.services, standard.service_code)
    ]
    services.sort(key=lambda s: (len(s.service_code), s.service_code))
    return services, OFFICE_KINDS[OfficeKind(office.kind)].channel


def same_assignment(visit: Visit, visit_in: VisitCreate) -> bool:
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
            if same_assignment(existing, visit_in):
                return existing, False
            raise visits_service.VisitConflict(
                f"client_id {visit_in.client_id} already created visit {existing.id} with "
                "other content; use a new client_id for a new visit."
            )
    candidate = Candidate.of(visit_in.model_dump())
    lookups = look_up(session, [candidate], now=now)
    problems = check_assignment(candidate, lookups.facts(candidate), now=now)
    if problems:
        raise _refusal(problems)
    pinned = lookups.pin(candidate)
    assert isinstance(pinned, Pinned)
    assert pinned.checklist_id is not None
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
        if raced is None or not same_assignment(raced, visit_in):
            raise visits_service.VisitConflict(
                f"client_id {visit_in.client_id} was just used."
            ) from None
        return raced, False
    visits_service.record(session, visit, actor, "assign", now=now, to_status=VisitStatus.assigned)
    return visit, True
