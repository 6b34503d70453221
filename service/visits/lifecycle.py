"""A visit's life: every status move (start, submit, review, cancel, reopen) and rescoring.

The editable check and the moves live here; a shopper's writes (the lock they take, the
start a first write makes, the answer sync) are in ``writes``. This module sits above
answers, photos and scoring (submit asks answers and photos what is missing and scores the
visit), so those packages never import visits: they are called with a visit already locked
(answers, scoring) or with a ``writes.ShopperWrite`` that takes the lock when asked (photos,
which release their transaction while an image is processed).
"""

import datetime as dt
import uuid
from typing import Any, ClassVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service import db
from service.answers import service as answers_service
from service.auth.callers import Account
from service.auth.models import User
from service.auth.roles import Role
from service.error_codes import ErrorCode
from service.errors import ValidationFailed
from service.photos import reads as photo_reads
from service.photos.errors import PhotosProcessing
from service.scoring import service as scoring_service
from service.scoring.models import VisitScore
from service.visits import repository
from service.visits import service as visits_service
from service.visits.models import Visit, VisitEvent
from service.visits.repository import LockedVisit
from service.visits.schemas import ReviewRequest, SubmitRequest
from service.visits.service import TransitionNotAllowed, VisitConflict, VisitNotEditable
from service.visits.transitions import (
    EDITABLE,
    TransitionRefused,
    VisitAction,
    VisitStatus,
    next_status,
)

# Statuses whose score may be computed again on purpose; an approved score is locked.
RESCORABLE = {VisitStatus.submitted, VisitStatus.returned, VisitStatus.rejected}


class SubmissionIncomplete(ValidationFailed):
    code: ClassVar[ErrorCode] = "submission-incomplete"
    title = "Submission incomplete"


def move(
    visit: Visit,
    actor: Account,
    action: VisitAction,
    *,
    now: dt.datetime,
    detail: dict[str, Any] | None = None,
) -> VisitEvent:
    """Move ``visit`` by ``action`` in memory and return the event that records it, not yet
    stored; or raise 409 listing the allowed moves."""
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
    return visits_service.event(
        visit, actor, action.value, now=now, from_status=current, to_status=target, detail=detail
    )


def act(
    session: Session,
    visit: Visit,
    actor: User,
    action: VisitAction,
    *,
    now: dt.datetime,
    detail: dict[str, Any] | None = None,
    client_id: uuid.UUID | None = None,
) -> Visit:
    """Move ``visit`` by ``action`` and record it, or raise 409 listing the allowed moves.
    ``client_id``, the request's key, is kept on the event (see ``retried``)."""
    event = move(visit, actor, action, now=now, detail=detail)
    event.client_id = client_id
    session.add(visit)
    if client_id is None:
        repository.add(session, event)
        return visit
    try:
        with db.savepoint(session):
            repository.add(session, event)
    except IntegrityError as exc:
        # The same id, sent for another visit at the same moment, won the race (``retried``
        # looked before it was committed).
        raise VisitConflict(f"The client id {client_id} was just used for another move.") from exc
    return visit


def retried(
    session: Session,
    visit: Visit,
    actor: User,
    action: VisitAction,
    client_id: uuid.UUID,
    detail: dict[str, Any],
) -> bool:
    """Whether ``client_id`` already made this very move (a retry: nothing to do).

    Raises:
        VisitConflict: the id was used for another move, visit, account or text.
    """
    earlier = repository.event_by_client_id(session, client_id)
    if earlier is None:
        return False
    same = (earlier.visit_id, earlier.actor_id, earlier.action, earlier.detail) == (
        visit.id,
        actor.id,
        action.value,
        detail,
    )
    if not same:
        raise VisitConflict(
            f"The client id {client_id} was already used for another move "
            f"({earlier.action} of visit {earlier.visit_id}); a new move needs a new client id."
        )
    return True


def lock(session: Session, visit: Visit) -> Visit:
    """The visit reloaded under its row lock, so concurrent writers take turns."""
    return repository.lock(session, visit.id)


def check_editable(visit: Visit | LockedVisit) -> None:
    """Raise ``VisitNotEditable`` unless the shopper holds the visit."""
    if visit.status not in EDITABLE:
        raise VisitNotEditable(
            f"The visit is {visit.status}; answers and photos are accepted only while it is "
            "assigned, in progress or returned."
        )


def start(session: Session, visit: Visit, actor: User, *, now: dt.datetime) -> Visit:
    """Mark an assigned visit in progress (the start action; a shopper's first write starts it
    implicitly, see ``writes.lock_for_write``).

    Raises:
        TransitionNotAllowed: the visit is not assigned, or the actor may not start it.
    """
    visit = lock(session, visit)
    if visit.status is VisitStatus.in_progress:
        return visit  # a retry, or a sync started it: started it is
    return act(session, visit, actor, VisitAction.start, now=now)


_SUBMITTABLE = (VisitStatus.in_progress, VisitStatus.returned)


def _check_complete(session: Session, visit: Visit) -> None:
    """Raise unless every required item is answered and its photos are ready."""
    # One read of the answers for both: phones poll submit while their photos are processed.
    values = answers_service.current_values(session, visit)
    missing = answers_service.missing_required(session, visit, values)
    shortfall = photo_reads.shortfall(session, visit, values)
    photos = shortfall.missing
    if not missing and not photos and shortfall.processing:
        # Complete once the photo jobs are done: the phone retries the same submit.
        raise PhotosProcessing(
            f"{len(shortfall.processing)} required photo(s) are still being processed; "
            "submit again in a few seconds.",
            errors=[
                {"item_code": p.item_code, "photo_id": str(p.id)} for p in shortfall.processing
            ],
            headers={"Retry-After": "2"},
        )
    if missing or photos:
        raise SubmissionIncomplete(
            f"{len(missing)} required item(s) are unanswered and {len(photos)} item(s) lack "
            f"required photos: {', '.join([*missing, *photos])}.",
            errors=[{"item_code": code} for code in missing]
            + [{"item_code": code, "missing": "photo"} for code in photos],
        )


def submit(
    session: Session,
    visit: Visit,
    actor: User,
    request: SubmitRequest,
    *,
    now: dt.datetime,
    skew_warn_seconds: int,
    device_clock: bool = True,
) -> Visit:
    """Submit the visit for review; a retry with the same client id (and the same
    ``submitted_at``) returns it unchanged.

    The phone's clock is compared with the server's and the difference is kept on the visit.
    Without ``device_clock`` (ODK Collect sends no submit time: ``submitted_at`` is the
    server's) neither the time nor a skew is kept, and a retry is known by its client id.

    Raises:
        SubmissionIncomplete: required items are unanswered or lack photos (all are listed).
        PhotosProcessing: nothing is missing but required photos are still being processed.
        TransitionNotAllowed: the visit is not in progress or returned.
        VisitConflict: the client id submitted the visit with another ``submitted_at``.
    """
    # Refusals first, from the plain read, without the write lock: phones poll submit while
    # their photos are processed (bench/wave.py: thousands of 409s in two minutes), and each
    # poll queued for SQLite's one write lock made every other write wait behind it.
    if visit.submit_client_id != request.client_id and visit.status in _SUBMITTABLE:
        _check_complete(session, visit)
    visit = lock(session, visit)
    if visit.submit_client_id == request.client_id:
        if device_clock and visit.device_submitted_at != request.submitted_at:
            sent = visit.device_submitted_at.isoformat() if visit.device_submitted_at else "none"
            raise VisitConflict(
                f"The client id {request.client_id} already submitted this visit with "
                f"submitted_at {sent}; a retry sends the same, a new submit a new client_id."
            )
        return visit
    if visit.status in _SUBMITTABLE:
        _check_complete(session, visit)  # again: the plain read may be older than the lock
    device_at = request.submitted_at if device_clock else None
    skew = None if device_at is None else round((now - device_at).total_seconds(), 3)
    flagged = skew is not None and abs(skew) > skew_warn_seconds
    act(
        session,
        visit,
        actor,
        VisitAction.submit,
        now=now,
        detail={"clock_skew_seconds": skew, "clock_skew_flagged": flagged},
    )
    visit.submitted_at = now
    visit.device_submitted_at = device_at
    visit.clock_skew_seconds = skew
    visit.submit_client_id = request.client_id
    session.add(visit)
    scoring_service.score_and_store(session, visit, now=now)
    return visit


def review(
    session: Session, visit: Visit, actor: User, request: ReviewRequest, *, now: dt.datetime
) -> Visit:
    """Approve, return (to the shopper, with a comment) or reject a submitted visit."""
    visit = lock(session, visit)
    action = VisitAction(request.action.value)
    detail = {"comment": request.comment}
    if retried(session, visit, actor, action, request.client_id, detail):
        return visit
    act(session, visit, actor, action, now=now, detail=detail, client_id=request.client_id)
    visit.reviewed_at = now
    visit.reviewed_by_id = actor.id
    visit.review_comment = request.comment
    session.add(visit)
    # The approved score is the one that stays; score once more with today's calendar.
    scoring_service.score_and_store(session, visit, now=now)
    return visit


def with_reason(
    session: Session,
    visit: Visit,
    actor: User,
    action: VisitAction,
    reason: str,
    *,
    client_id: uuid.UUID,
    now: dt.datetime,
) -> Visit:
    """Cancel or reopen a visit; the reason goes into the audit trail. A retry (the same
    ``client_id`` and reason) answers the visit as it is."""
    visit = lock(session, visit)
    detail = {"reason": reason}
    if retried(session, visit, actor, action, client_id, detail):
        return visit
    act(session, visit, actor, action, now=now, detail=detail, client_id=client_id)
    if action is VisitAction.reopen:
        scoring_service.score_and_store(session, visit, now=now)
    return visit


def rescore(session: Session, visit: Visit, *, now: dt.datetime) -> VisitScore:
    """Score again on purpose (new rules, a corrected calendar); approved visits stay as they are.

    Raises:
        ScoreLocked: the visit is approved; reopen it first.
        ScoreNotFound: the visit is not submitted yet.
    """
    visit = lock(session, visit)
    if visit.status == VisitStatus.approved:
        raise scoring_service.ScoreLocked(
            "The visit is approved, so its score is locked; reopen it first."
        )
    if visit.status not in RESCORABLE:
        raise scoring_service.ScoreNotFound(
            f"The visit is {visit.status}; it is scored once it is submitted."
        )
    return scoring_service.score_and_store(session, visit, now=now)
