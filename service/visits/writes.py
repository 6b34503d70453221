"""A shopper's writes to a visit: its lock, the start a first write makes, the answer sync.

Every write of a shopper's takes the visit's row lock (on SQLite the database's write lock),
checks the visit is still with its shopper, and starts an assigned visit. Answers are synced
here under that lock (``sync_answers``); photos are handed a ``ShopperWrite`` that takes the
lock when asked, because they release their transaction while an image is processed. The
status moves themselves are ``lifecycle``'s.
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

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
from service.visits import repository
from service.visits import service as visits_service
from service.visits.lifecycle import check_editable, move
from service.visits.models import Visit
from service.visits.repository import LockedVisit
from service.visits.transitions import VisitAction, VisitStatus


def _implicit_start() -> dict[str, Any]:
    """The start's event detail when a shopper's first write starts the visit."""
    return {"implicit": True}


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
