"""A visit's life, in one place: the shopper's writes, start, submit, review, cancel, reopen.

The row lock, the editable check and every status move live here. This module sits above
answers, photos and scoring (submit asks answers and photos what is missing and scores the
visit), so those packages never import visits: they are called with a visit already locked
(answers, scoring) or with a ``ShopperWrite`` that takes the lock when asked (photos, which
release their transaction while an image is processed).
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session

from service.answers import service as answers_service
from service.answers.schemas import AnswerIn, SyncResult
from service.auth.callers import Account, Caller
from service.auth.models import User
from service.auth.roles import Role
from service.checklists.format import ResolvedChecklist
from service.checklists.pinned import (
    checklist_by_hash,
    checklist_for_visit,
    pinned_checklist,
    remember_pin,
)
from service.errors import ErrorCode, ValidationFailed
from service.photos import reads as photo_reads
from service.photos.errors import PhotosProcessing
from service.scoring import service as scoring_service
from service.scoring.models import VisitScore
from service.visits import repository
from service.visits import service as visits_service
from service.visits.models import Visit, VisitEvent
from service.visits.repository import LockedVisit
from service.visits.schemas import ReviewRequest, SubmitRequest
from service.visits.service import TransitionNotAllowed, VisitNotEditable
from service.visits.transitions import (
    EDITABLE,
    TransitionRefused,
    VisitAction,
    VisitStatus,
    next_status,
)


def _implicit_start() -> dict[str, Any]:
    """The start's event detail when a shopper's first write starts the visit."""
    return {"implicit": True}


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
) -> Visit:
    """Move ``visit`` by ``action`` and record it, or raise 409 listing the allowed moves."""
    event = move(visit, actor, action, now=now, detail=detail)
    session.add(visit)
    repository.add(session, event)
    return visit


def lock(session: Session, visit: Visit) -> Visit:
    """The visit reloaded under its row lock, so concurrent writers take turns."""
    return repository.lock(session, visit.id)


def check_editable(visit: Visit | LockedVisit) -> None:
    """Raise ``VisitNotEditable`` unless the shopper holds the visit."""
    if visit.status not in EDITABLE:
        raise VisitNotEditable(
            f"The visit is {visit.status}; answers are accepted only while it is assigned, "
            "in progress or returned."
        )


def lock_for_write(
    session: Session, visit_id: uuid.UUID, actor: User, *, now: dt.datetime
) -> tuple[Visit, str]:
    """Lock the visit for a write by its shopper; an assigned visit starts on its first write.
    Returns it with its checklist's content hash, read in the same statement.

    Raises:
        VisitNotEditable: the visit is submitted, approved, rejected or cancelled.
    """
    visit, checklist_hash = repository.lock_with_checklist(session, visit_id)
    _start_writing(session, visit, actor, now=now)
    return visit, checklist_hash


def _start_writing(session: Session, visit: Visit, actor: User, *, now: dt.datetime) -> None:
    check_editable(visit)
    if actor.role == Role.shopper and visit.status == VisitStatus.assigned:
        # Locked and current already (``start`` would read it again under the lock); the
        # event goes in as a sync's do, in an INSERT that asks no id back.
        event = move(visit, actor, VisitAction.start, now=now, detail=_implicit_start())
        repository.add(session, visit)
        repository.insert_events(session, [event])


def start(session: Session, visit: Visit, actor: User, *, now: dt.datetime) -> Visit:
    """Mark an assigned visit in progress (the start action; a shopper's first write starts it
    implicitly, see ``lock_for_write``).

    Raises:
        TransitionNotAllowed: the visit is not assigned, or the actor may not start it.
    """
    visit = lock(session, visit)
    return act(session, visit, actor, VisitAction.start, now=now)


@dataclass
class ShopperWrite:
    """A shopper's write to one visit, handed to photos (``photos.visit.VisitWriter``).

    The lock is taken when first asked (or by ``locked_write``, before photos are called)
    and again only in a later transaction (the one that took it has ended): it reads the
    visit again, with its checklist's content hash.
    """

    session: Session
    visit: Visit
    actor: User
    now: dt.datetime
    checklist_hash: str | None = None  # read with the lock
    locked_in: SessionTransaction | None = None  # the transaction that holds the lock

    def check_editable(self) -> None:
        check_editable(self.visit)

    def lock(self) -> Visit:
        if self.locked_in is None or self.session.get_transaction() is not self.locked_in:
            self.visit, self.checklist_hash = lock_for_write(
                self.session, self.visit.id, self.actor, now=self.now
            )
            self.locked_in = self.session.get_transaction()
        return self.visit

    def checklist(self) -> ResolvedChecklist:
        if self.checklist_hash is None:
            return checklist_for_visit(self.session, self.visit)
        return checklist_by_hash(self.session, self.visit.checklist_id, self.checklist_hash)


def locked_write(
    session: Session, visit_id: uuid.UUID, caller: User | Caller, *, now: dt.datetime
) -> ShopperWrite:
    """A shopper's write whose visit is read once, under its lock, with its checklist's hash
    (one statement where ``get_visit`` and the lock would take two, the hash a third); for a
    write that takes the lock anyway. ``caller``: the actor, or a shopper's token whose user
    is read in the same statement (``repository.lock_own``).

    Raises:
        InvalidToken, UserInactive, Forbidden: a ``Caller`` who may not write (first).
        VisitNotFound: no visit ``visit_id`` is the actor's.
        VisitNotEditable: the visit is not with its shopper.
    """
    actor, found = _lock_for(session, caller, visit_id)
    if found is None:
        raise visits_service.VisitNotFound(f"There is no visit {visit_id}.")
    visit, checklist_hash = found
    _start_writing(session, visit, actor, now=now)
    return ShopperWrite(session, visit, actor, now, checklist_hash, session.get_transaction())


def _lock_for(
    session: Session, caller: User | Caller, visit_id: uuid.UUID
) -> tuple[User, tuple[Visit, str] | None]:
    """The visit ``caller`` may see under its lock with its checklist's hash, and the actor:
    ``caller`` itself, or a ``Caller``'s user read and checked in the same statement."""
    if isinstance(caller, User):
        return caller, repository.lock_readable(session, caller, visit_id)
    return repository.lock_own(session, caller, visit_id)


def _lock_row_for(
    session: Session, caller: User | Caller, visit_id: uuid.UUID
) -> tuple[Account, tuple[Visit | LockedVisit, str] | None]:
    """``_lock_for``, with a ``Caller``'s visit and account read as plain values."""
    if isinstance(caller, User):
        return _lock_for(session, caller, visit_id)
    return repository.lock_own_row(session, caller, visit_id)


def sync_answers(
    session: Session,
    visit_id: uuid.UUID,
    caller: User | Caller,
    answers: list[AnswerIn],
    *,
    now: dt.datetime,
    max_batch: int,
    keep_versions: int,
) -> SyncResult:
    """Store a batch of answers from the shopper's phone, all or nothing.

    The visit is read once, locked, with its checklist's hash (the checklist itself comes
    from the parse cache); on the first sync of an assigned visit it is started; the sync is
    recorded in the visit's history when it stored anything. ``caller`` is the actor, or a
    shopper's token whose user is read with the visit as plain values
    (``repository.lock_own_row``, as the API's route does). Whatever the batch's size this
    takes at most eight statements, the token's user included when read with the visit: the
    visit; the answers' state, the retirement of replaced ones, one insert and, past the
    versions kept, two to prune (``answers.service.sync``); the events, in one insert. A
    first sync retires nothing (no answer is stored before the visit starts) and starts the
    visit instead: its object read (for a ``Caller``) and its update, eight at most.

    Every writer of the visit queues for its lock (on SQLite every writer of the database),
    so the answers are checked against the checklist before it is taken when this process
    has seen the visit's checklist already (``checklists.pinned.pinned_checklist``), and
    after it otherwise or when the hash read under the lock differs. Refusals keep their
    order: an unknown or unwritable visit is refused before invalid answers.

    Raises:
        VisitNotFound: no visit ``visit_id`` is the actor's.
        VisitNotEditable: the visit is not with its shopper.
        AnswersInvalid, AnswerConflict: see ``answers.service.sync``.
        InvalidToken, UserInactive, Forbidden: a ``Caller`` who may not sync (first).
    """
    prepared = None
    seen = pinned_checklist(visit_id)
    if seen is not None and len(answers) <= max_batch:
        digest, checklist = seen
        prepared = answers_service.prepare(checklist, digest, visit_id, answers, now=now)
    actor, found = _lock_row_for(session, caller, visit_id)
    # After the caller's check (a caller who may not sync learns that first), before the visit.
    answers_service.check_batch(answers, max_batch=max_batch)
    if found is None:
        raise visits_service.VisitNotFound(f"There is no visit {visit_id}.")
    visit, checklist_hash = found
    check_editable(visit)
    events = []
    if actor.role == Role.shopper and visit.status == VisitStatus.assigned:
        # The visit's first sync starts it: its object is read for that (locked already).
        started = visit if isinstance(visit, Visit) else repository.lock(session, visit.id)
        events.append(move(started, actor, VisitAction.start, now=now, detail=_implicit_start()))
        repository.add(session, started)  # its status, start time and version: one UPDATE
        visit = started  # as it is now, in progress
    if prepared is None or prepared.checklist_hash != checklist_hash:
        checklist = checklist_by_hash(session, visit.checklist_id, checklist_hash)
        prepared = answers_service.prepare(checklist, checklist_hash, visit.id, answers, now=now)
    remember_pin(visit.id, checklist_hash)
    result = answers_service.sync(
        session, visit, actor, prepared, now=now, keep_versions=keep_versions
    )
    if result.created:
        detail = {"created": result.created, "unchanged": result.unchanged}
        events.append(visits_service.event(visit, actor, "sync", now=now, detail=detail))
    repository.insert_events(session, events)  # the start's and the sync's, one INSERT
    return result


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
) -> Visit:
    """Submit the visit for review; a retry with the same client id returns it unchanged.

    The phone's clock is compared with the server's and the difference is kept on the visit.

    Raises:
        SubmissionIncomplete: required items are unanswered or lack photos (all are listed).
        PhotosProcessing: nothing is missing but required photos are still being processed.
        TransitionNotAllowed: the visit is not in progress or returned.
    """
    # Refusals first, from the plain read, without the write lock: phones poll submit while
    # their photos are processed (bench/wave.py: thousands of 409s in two minutes), and each
    # poll queued for SQLite's one write lock made every other write wait behind it.
    if visit.submit_client_id != request.client_id and visit.status in _SUBMITTABLE:
        _check_complete(session, visit)
    visit = lock(session, visit)
    if visit.submit_client_id == request.client_id:
        return visit
    if visit.status in _SUBMITTABLE:
        _check_complete(session, visit)  # again: the plain read may be older than the lock
    skew = round((now - request.submitted_at).total_seconds(), 3)
    act(
        session,
        visit,
        actor,
        VisitAction.submit,
        now=now,
        detail={"clock_skew_seconds": skew, "clock_skew_flagged": abs(skew) > skew_warn_seconds},
    )
    visit.submitted_at = now
    visit.device_submitted_at = request.submitted_at
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
    act(session, visit, actor, request.action, now=now, detail={"comment": request.comment})
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
    now: dt.datetime,
) -> Visit:
    """Cancel or reopen a visit; the reason goes into the audit trail."""
    visit = lock(session, visit)
    act(session, visit, actor, action, now=now, detail={"reason": reason})
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
