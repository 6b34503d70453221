"""Visits: assignment with pinned versions, status moves, and the audit trail."""

import datetime as dt
import uuid
from typing import Any, ClassVar

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service.auth import service as auth_service
from service.auth.models import User
from service.auth.roles import Role
from service.checklists import service as checklists_service
from service.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from service.isotime import local_date
from service.offices import service as offices_service
from service.standards import service as standards_service
from service.visits import repository
from service.visits.bulk import BulkRow
from service.visits.models import Visit, VisitEvent
from service.visits.schemas import (
    BulkResult,
    BulkRowError,
    VisitCreate,
    VisitEventPublic,
    VisitPublic,
)
from service.visits.transitions import (
    EDITABLE,
    TransitionRefused,
    VisitAction,
    VisitStatus,
    allowed_actions,
    next_status,
)


class VisitNotFound(NotFound):
    code: ClassVar[ErrorCode] = "visit-not-found"
    title = "Visit not found"


class VisitConflict(Conflict):
    code: ClassVar[ErrorCode] = "visit-conflict"
    title = "Visit conflict"


class TransitionNotAllowed(Conflict):
    code: ClassVar[ErrorCode] = "transition-not-allowed"
    title = "Move not allowed"


class VisitNotEditable(Conflict):
    code: ClassVar[ErrorCode] = "visit-not-editable"
    title = "Visit not editable"


class BulkFileInvalid(ValidationFailed):
    code: ClassVar[ErrorCode] = "bulk-file-invalid"
    title = "Bulk file invalid"


class AssignmentInvalid(ValidationFailed):
    code: ClassVar[ErrorCode] = "assignment-invalid"
    title = "Assignment invalid"


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


def check_assignment(session: Session, visit_in: VisitCreate, *, now: dt.datetime) -> list[str]:
    """Everything wrong with an assignment, as sentences; empty when it can be made."""
    problems = []
    shopper = auth_service.get_user(session, visit_in.shopper_id)
    if shopper is None or shopper.role != Role.shopper or not shopper.is_active:
        problems.append(f"shopper_id: {visit_in.shopper_id} is not an active shopper")
    try:
        offices_service.get_office(session, visit_in.office_id)
    except offices_service.OfficeNotFound as exc:
        problems.append(f"office_id: {exc.detail}")
    try:
        on = local_date(visit_in.window_start_at)
        checklists_service.resolve(session, visit_in.service_code, visit_in.channel, on, now=now)
        standard = standards_service.get_standard(session, visit_in.service_code, on)
        cases = len(standards_service.body_of(standard).deadlines)
        if visit_in.deadline_case_index is not None and visit_in.deadline_case_index >= cases:
            problems.append(
                f"deadline_case_index: {visit_in.service_code} has {cases} deadline case(s)"
            )
    except NotFound as exc:
        problems.append(f"service_code: {exc.detail}")
    return problems


def assign(
    session: Session, actor: User, visit_in: VisitCreate, *, now: dt.datetime
) -> tuple[Visit, bool]:
    """Assign a visit, pinning the checklist and standard in force on its first day.

    Returns the visit and whether it was created; a retry with the same ``client_id`` and
    the same content returns the first visit.

    Raises:
        VisitConflict: the ``client_id`` was used for another assignment.
        AssignmentInvalid: the shopper, office, service or channel does not fit.
    """
    if visit_in.client_id is not None:
        existing = repository.get_by_client_id(session, visit_in.client_id)
        if existing is not None:
            if _same_assignment(existing, visit_in):
                return existing, False
            raise VisitConflict(
                f"client_id {visit_in.client_id} already created visit {existing.id} with "
                "other content; use a new client_id for a new visit."
            )
    problems = check_assignment(session, visit_in, now=now)
    if problems:
        raise AssignmentInvalid("; ".join(problems), errors=[{"msg": p} for p in problems])
    on = local_date(visit_in.window_start_at)
    checklist = checklists_service.resolve(
        session, visit_in.service_code, visit_in.channel, on, now=now
    )
    visit = Visit.model_validate(
        visit_in,
        update={
            "channel": visit_in.channel.value,
            "status": VisitStatus.assigned,
            "checklist_id": checklist.id,
            "standard_id": checklist.standard_id,
            "created_at": now,
            "created_by_id": actor.id,
        },
    )
    try:
        with session.begin_nested():
            repository.add(session, visit)
    except IntegrityError:
        # The same client_id won a race a moment ago: answer as a retry would be answered.
        assert visit_in.client_id is not None
        raced = repository.get_by_client_id(session, visit_in.client_id)
        if raced is None or not _same_assignment(raced, visit_in):
            raise VisitConflict(f"client_id {visit_in.client_id} was just used.") from None
        return raced, False
    record(session, visit, actor, "assign", now=now, to_status=VisitStatus.assigned)
    return visit, True


def record(
    session: Session,
    visit: Visit,
    actor: User,
    action: str,
    *,
    now: dt.datetime,
    from_status: VisitStatus | None = None,
    to_status: VisitStatus | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append an event to the visit's audit trail."""
    repository.add(
        session,
        VisitEvent(
            visit_id=visit.id,
            actor_id=actor.id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            detail=detail or {},
            at=now,
        ),
    )


def act(
    session: Session,
    visit: Visit,
    actor: User,
    action: VisitAction,
    *,
    now: dt.datetime,
    detail: dict[str, Any] | None = None,
) -> Visit:
    """Move ``visit`` by ``action`` and record it, or raise 409 listing the allowed moves."""
    current = visit.status
    try:
        target = next_status(current, action, Role(actor.role))
    except TransitionRefused as exc:
        raise TransitionNotAllowed(
            str(exc), errors=[{"allowed_actions": [a.value for a in exc.allowed]}]
        ) from exc
    visit.status = target
    visit.version += 1
    if action is VisitAction.start:
        visit.started_at = now
    session.add(visit)
    record(
        session,
        visit,
        actor,
        action.value,
        now=now,
        from_status=current,
        to_status=target,
        detail=detail,
    )
    return visit


def lock(session: Session, visit: Visit) -> Visit:
    """The visit reloaded under its row lock, so concurrent writers take turns."""
    return repository.lock(session, visit.id)


def check_editable(visit: Visit) -> None:
    """Raise ``VisitNotEditable`` unless the shopper holds the visit."""
    if visit.status not in EDITABLE:
        raise VisitNotEditable(
            f"The visit is {visit.status}; answers are accepted only while it is assigned, "
            "in progress or returned."
        )


def lock_for_answers(session: Session, visit: Visit, actor: User, *, now: dt.datetime) -> Visit:
    """Lock the visit for a write by its shopper; an assigned visit starts on its first sync.

    Raises:
        VisitNotEditable: the visit is submitted, approved, rejected or cancelled.
    """
    visit = repository.lock(session, visit.id)
    check_editable(visit)
    if actor.role == Role.shopper and visit.status == VisitStatus.assigned:
        act(session, visit, actor, VisitAction.start, now=now, detail={"implicit": True})
    return visit


def get_visit(session: Session, user: User, visit_id: uuid.UUID) -> Visit:
    visit = repository.get_readable(session, user, visit_id)
    if visit is None:
        raise VisitNotFound(f"There is no visit {visit_id}.")
    return visit


def to_public(
    visit: Visit, viewer: User, score: tuple[float | None, int | None] | None = None
) -> VisitPublic:
    data = visit.model_dump()
    data["allowed_actions"] = allowed_actions(visit.status, Role(viewer.role))
    data["score"], data["grade"] = score or (None, None)
    return VisitPublic.model_validate(data)


def page_public(session: Session, visits: list[Visit], viewer: User) -> list[VisitPublic]:
    """Visits as the API shows them, with their scores fetched in one query."""
    scores = repository.scores_for(session, [v.id for v in visits])
    return [to_public(v, viewer, scores.get(v.id)) for v in visits]


def one_public(session: Session, visit: Visit, viewer: User) -> VisitPublic:
    return page_public(session, [visit], viewer)[0]


def history(session: Session, visit: Visit) -> list[VisitEventPublic]:
    return [
        VisitEventPublic.model_validate(e, from_attributes=True)
        for e in repository.events(session, visit.id)
    ]


def bulk_assign(
    session: Session, actor: User, rows: list[BulkRow], *, now: dt.datetime
) -> BulkResult:
    """Assign every row, or none: any bad row refuses the file with every row's errors."""
    prepared: list[VisitCreate] = []
    for row in rows:
        visit_in = _row_to_create(session, row)
        if visit_in is not None:
            row.errors.extend(check_assignment(session, visit_in, now=now))
            prepared.append(visit_in)
    bad = [BulkRowError(row=r.line, errors=r.errors) for r in rows if r.errors]
    if bad:
        raise AssignmentInvalid(
            f"{len(bad)} of {len(rows)} rows have errors; nothing was assigned.",
            errors=[b.model_dump() for b in bad],
        )
    visits = [assign(session, actor, visit_in, now=now) for visit_in in prepared]
    created = sum(1 for _, was_created in visits if was_created)
    return BulkResult(
        created=created, unchanged=len(visits) - created, visits=[v.id for v, _ in visits]
    )


def _row_to_create(session: Session, row: BulkRow) -> VisitCreate | None:
    values: dict[str, Any] = dict(row.values)
    for key in ("office_id", "deadline_case_index"):
        # CSV cells are text; the API model wants whole numbers.
        if isinstance(values.get(key), str) and values[key].isascii() and values[key].isdigit():
            values[key] = int(values[key])
    email = values.pop("shopper_email", None)
    if email is not None and "shopper_id" not in values:
        shopper = auth_service.get_user_by_email(session, email)
        if shopper is None:
            row.errors.append(f"shopper_email: no user {email}")
            return None
        values["shopper_id"] = str(shopper.id)
    try:
        return VisitCreate.model_validate(values)
    except ValidationError as exc:
        row.errors.extend(
            f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in exc.errors()
        )
        return None
