"""Visits: assignment with pinned versions, reading, the errors of a visit, the audit trail."""

import datetime as dt
import uuid
from typing import Any, ClassVar

from sqlmodel import Session

from service.auth.callers import Account, Caller
from service.auth.models import User
from service.auth.roles import Role, reads_free_text
from service.error_codes import ErrorCode
from service.errors import Conflict, NotFound, ValidationFailed
from service.visits import repository, repository_lists
from service.visits.models import Visit, VisitEvent
from service.visits.repository import LockedVisit
from service.visits.schemas import (
    VisitEventPublic,
    VisitPublic,
    WaveSummary,
)
from service.visits.transitions import VisitStatus, allowed_actions


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


class AssignmentInvalid(ValidationFailed):
    """Several things are wrong with an assignment; ``errors`` lists each with its code."""

    code: ClassVar[ErrorCode] = "assignment-invalid"
    title = "Assignment invalid"


class ShopperNotActive(AssignmentInvalid):
    code: ClassVar[ErrorCode] = "shopper-not-active"
    title = "No such active shopper"


class AssignedOfficeNotFound(AssignmentInvalid):
    code: ClassVar[ErrorCode] = "office-not-found"
    title = "Office not found"


class AssignedServiceNotFound(AssignmentInvalid):
    code: ClassVar[ErrorCode] = "service-not-found"
    title = "Service not found"


class ServiceNotOfferedAtOffice(AssignmentInvalid):
    code: ClassVar[ErrorCode] = "service-not-offered-at-office"
    title = "Service not offered at this office"


class ChannelNotAvailableAtOffice(AssignmentInvalid):
    code: ClassVar[ErrorCode] = "channel-not-available-at-office"
    title = "Channel does not fit this office"


class ChannelNotTested(AssignmentInvalid):
    code: ClassVar[ErrorCode] = "checklist-not-offered"
    title = "Service not tested on this channel"


class NoChecklist(AssignmentInvalid):
    code: ClassVar[ErrorCode] = "checklist-not-found"
    title = "No checklist published"


class ChecklistBroken(AssignmentInvalid):
    code: ClassVar[ErrorCode] = "checklist-invalid"
    title = "Checklist does not build"


class NoStandardInForce(AssignmentInvalid):
    code: ClassVar[ErrorCode] = "standard-not-in-force"
    title = "No standard in force"


class DeadlineCaseOutOfRange(AssignmentInvalid):
    code: ClassVar[ErrorCode] = "deadline-case-out-of-range"
    title = "No such deadline case"


class WindowInThePast(AssignmentInvalid):
    code: ClassVar[ErrorCode] = "window-in-the-past"
    title = "Window already over"


class BulkRowsInvalid(ValidationFailed):
    code: ClassVar[ErrorCode] = "bulk-rows-invalid"
    title = "Bulk rows invalid"


class BulkFileInvalid(ValidationFailed):
    code: ClassVar[ErrorCode] = "bulk-file-invalid"
    title = "Bulk file invalid"


class BulkCellTooLong(ValidationFailed):
    code: ClassVar[ErrorCode] = "bulk-cell-too-long"
    title = "Bulk cell too long"


class BulkConflict(Conflict):
    """A bulk's ``client_id`` was used for other rows."""

    code: ClassVar[ErrorCode] = "bulk-conflict"
    title = "Bulk conflict"


ONE_PROBLEM: dict[str, type[AssignmentInvalid]] = {
    cls.code: cls for cls in AssignmentInvalid.__subclasses__()
}


def event(
    visit: Visit | LockedVisit,
    actor: Account,
    action: str,
    *,
    now: dt.datetime,
    from_status: VisitStatus | None = None,
    to_status: VisitStatus | None = None,
    detail: dict[str, Any] | None = None,
) -> VisitEvent:
    """An event of the visit's audit trail, not yet stored."""
    return VisitEvent(
        visit_id=visit.id,
        actor_id=actor.id,
        action=action,
        from_status=from_status,
        to_status=to_status,
        detail=detail or {},
        at=now,
    )


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
        event(
            visit,
            actor,
            action,
            now=now,
            from_status=from_status,
            to_status=to_status,
            detail=detail,
        ),
    )


def get_visit(session: Session, user: User, visit_id: uuid.UUID) -> Visit:
    visit = repository.get_readable(session, user, visit_id)
    if visit is None:
        raise VisitNotFound(f"There is no visit {visit_id}.")
    return visit


def get_own_visit(session: Session, caller: Caller, visit_id: uuid.UUID) -> tuple[User, Visit]:
    """``get_visit`` for a shopper known so far only by their token, whose user is read with
    the visit (``repository.get_own``): the user, checked first, and the visit.

    Raises:
        InvalidToken, UserInactive, Forbidden: the caller may not call (``Caller.check``).
        VisitNotFound: no visit ``visit_id`` is theirs.
    """
    user, visit = repository.get_own(session, caller, visit_id)
    if visit is None:
        raise VisitNotFound(f"There is no visit {visit_id}.")
    return user, visit


def to_public(
    visit: Visit, viewer: User, score: tuple[float | None, int | None] | None = None
) -> VisitPublic:
    data = visit.model_dump()
    if not reads_free_text(viewer.role):
        data["notes"] = data["review_comment"] = None  # typed by people: may name someone
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


def summarise(session: Session, user: User, wave: str | None, *, now: dt.datetime) -> WaveSummary:
    """How the visits of ``wave`` (every visit when None) stand at ``now``."""
    scope = repository_lists.VisitFilters(wave=wave)
    counts = repository_lists.count_by_status(session, user, scope)
    by_status = {status: counts.get(status.value, 0) for status in VisitStatus}
    flagged = repository_lists.VisitFilters(wave=wave, flagged=True)
    overdue = repository_lists.VisitFilters(wave=wave, overdue_at=now)
    return WaveSummary(
        wave=wave,
        total=sum(by_status.values()),
        by_status=by_status,
        awaiting_review=by_status[VisitStatus.submitted],
        overdue=repository_lists.count(session, user, overdue),
        flagged_photos=repository_lists.count_flagged_photos(session, user, scope),
        visits_with_flagged_photos=repository_lists.count(session, user, flagged),
    )


def waves(session: Session, *, limit: int = 50) -> list[str]:
    """The waves visits were assigned in, the one with the latest visits first."""
    return repository_lists.waves(session, limit=limit)


def next_in_queue(session: Session, user: User, visit_id: uuid.UUID) -> uuid.UUID | None:
    """The visit waiting longest for review, other than ``visit_id``; None when none waits."""
    waiting = repository_lists.VisitFilters(status=VisitStatus.submitted)
    rows, _ = repository_lists.list_visits(
        session, user, waiting, limit=2, offset=0, order=repository_lists.VisitOrder.submitted
    )
    return next((v.id for v in rows if v.id != visit_id), None)
