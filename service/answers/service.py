"""Answer sync from phones: validated, idempotent by client id, history capped, newest wins."""

import datetime as dt
import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from sqlmodel import Session

from service.answers import repository
from service.answers.models import Answer
from service.answers.schemas import (
    AnswerIn,
    AnswerPage,
    AnswerPublic,
    DroppedVersions,
    SyncOutcome,
    SyncResult,
)
from service.answers.values import AnswerValueError, normalize
from service.auth.callers import Account
from service.checklists.format import ResolvedChecklist
from service.checklists.kinds import free_text_codes, kind_of
from service.checklists.pinned import checklist_for_visit
from service.error_codes import ErrorCode
from service.errors import Conflict, ValidationFailed
from service.observability import metrics


class AnswersInvalid(ValidationFailed):
    code: ClassVar[ErrorCode] = "answers-invalid"
    title = "Answers invalid"


class AnswerConflict(Conflict):
    code: ClassVar[ErrorCode] = "answer-conflict"
    title = "Answer conflict"


class AnswerVisit(Protocol):
    """What answers read of a visit. The visit itself, its lock and status, belong to
    ``service.visits``, which calls this package with the visit already locked."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def checklist_id(self) -> int: ...


# One encoder for every hash: ``json.dumps`` with options builds a new one per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


def content_hash(
    visit_id: uuid.UUID, item_code: str, value: Any, na: bool, answered_at: dt.datetime
) -> str:
    """What makes two sends of an answer the same answer: its visit, item, value and time."""
    return _content_hash(str(visit_id), item_code, value, na, answered_at)


def _content_hash(visit: str, item_code: str, value: Any, na: bool, at: dt.datetime) -> str:
    # Stored hashes are compared with new ones: the canonical text must never change.
    canonical = _CANONICAL.encode([visit, item_code, value, na, at.astimezone(dt.UTC).isoformat()])
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class PreparedBatch:
    """A batch checked against one checklist: each answer with its value in normal form and
    its content hash, or, when any does not fit, why (``sync`` refuses the whole batch)."""

    checklist_hash: str
    answers: list[tuple[AnswerIn, Any, str]]
    errors: list[dict[str, Any]]


def prepare(
    checklist: ResolvedChecklist,
    checklist_hash: str,
    visit_id: uuid.UUID,
    answers: list[AnswerIn],
    *,
    now: dt.datetime,
) -> PreparedBatch:
    """Check every answer of a batch against the checklist ``checklist_hash`` of visit
    ``visit_id``; needs no database, so ``visits.lifecycle`` may run it before the lock."""
    # A phone clock far ahead would make its answers win over every later correction.
    prepared, errors = _validate(
        checklist, str(visit_id), answers, now=now, skew=dt.timedelta(hours=1)
    )
    return PreparedBatch(checklist_hash=checklist_hash, answers=prepared, errors=errors)


def _validate(
    checklist: ResolvedChecklist,
    visit: str,
    answers: list[AnswerIn],
    *,
    now: dt.datetime,
    skew: dt.timedelta,
) -> tuple[list[tuple[AnswerIn, Any, str]], list[dict[str, Any]]]:
    prepared: list[tuple[AnswerIn, Any, str]] = []
    errors: list[dict[str, Any]] = []
    seen: set[Any] = set()
    latest = now + skew

    def refuse(index: int, answer: AnswerIn, msg: str) -> None:
        where = {"index": index, "client_id": str(answer.client_id), "item_code": answer.item_code}
        errors.append(where | {"msg": msg})

    for index, answer in enumerate(answers):
        if answer.client_id in seen:
            refuse(index, answer, "client_id repeats within the batch")
            continue
        seen.add(answer.client_id)
        try:
            item = checklist.item(answer.item_code)
        except KeyError:
            refuse(index, answer, f"the checklist has no item {answer.item_code}")
            continue
        try:
            value = normalize(item, answer.value, na=answer.na)
        except AnswerValueError as exc:
            refuse(index, answer, str(exc))
            continue
        if answer.answered_at > latest:
            refuse(index, answer, "answered_at is in the future; check the phone's clock")
            continue
        digest = _content_hash(visit, answer.item_code, value, answer.na, answer.answered_at)
        prepared.append((answer, value, digest))
    return prepared, errors


def check_batch(answers: list[AnswerIn], *, max_batch: int) -> None:
    """Refuse a batch over the configured size before any of its answers is read."""
    if len(answers) > max_batch:
        raise AnswersInvalid(f"answers: a batch holds at most {max_batch} answers; split it.")


def sync(
    session: Session,
    visit: AnswerVisit,
    actor: Account,
    batch: PreparedBatch,
    *,
    now: dt.datetime,
    keep_versions: int,
) -> SyncResult:
    """Store a batch from a phone, all or nothing, in a number of statements that does not
    grow with the batch: one read, one ``UPDATE`` retiring replaced answers, one ``INSERT``,
    and two more only when an item passes the versions kept.

    An answer sent again with its client id changes nothing, even once its version has been
    dropped. A new answer to an item becomes current only if it was answered later than the
    current one, so a late retry of an old answer never overwrites a newer one. Each item
    keeps its newest ``keep_versions`` versions; older ones are dropped in the same
    transaction, leaving their client id, hash and count. The caller
    (``visits.writes.sync_answers``) has checked the batch's size, holds the visit's lock,
    passes the batch checked against the visit's checklist (``prepare``) and records the sync
    in the visit's history.

    Raises:
        AnswersInvalid: any answer did not fit its item (all are listed).
        AnswerConflict: a client id was used before for different content.
    """
    if batch.errors:
        raise AnswersInvalid(
            f"{len(batch.errors)} of {len(batch.errors) + len(batch.answers)} answers are "
            "invalid; none were stored.",
            errors=batch.errors,
        )
    prepared = batch.answers
    state = repository.sync_state(
        session,
        visit.id,
        [a.client_id for a, _, _ in prepared],
        {a.item_code for a, _, _ in prepared},
    )
    conflicts = [
        {"client_id": str(a.client_id), "item_code": a.item_code}
        for a, _, digest in prepared
        if a.client_id in state.sent and state.sent[a.client_id] != digest
    ]
    if conflicts:
        metrics.SYNC_CONFLICTS.inc()
        raise AnswerConflict(
            f"{len(conflicts)} client_id(s) were already used for a different answer; an edit "
            "needs a new client_id.",
            errors=conflicts,
        )
    new = [(a, value, digest) for a, value, digest in prepared if a.client_id not in state.sent]
    # Newest wins per item: the current answer's time, then each new answer in turn.
    newest = {code: at for code, (_, at) in state.current.items()}
    leaders: dict[str, uuid.UUID] = {}
    for answer, _, _ in new:
        at = newest.get(answer.item_code)
        if at is None or answer.answered_at > at:
            newest[answer.item_code] = answer.answered_at
            leaders[answer.item_code] = answer.client_id
    # Retire before inserting: the database allows one current answer per item.
    repository.retire(
        session, [state.current[code][0] for code in leaders if code in state.current]
    )
    repository.insert_all(
        session,
        {"visit_id": visit.id, "received_at": now, "author_id": actor.id},
        [
            {
                "client_id": answer.client_id,
                "item_code": answer.item_code,
                "value": value,
                "na": answer.na,
                "answered_at": answer.answered_at,
                "content_hash": digest,
                "is_current": leaders.get(answer.item_code) == answer.client_id,
            }
            for answer, value, digest in new
        ],
    )
    # Only items given a version now can have passed the cap, and only if their count did.
    added = Counter(answer.item_code for answer, _, _ in new)
    over = {code for code, n in added.items() if state.kept.get(code, 0) + n > keep_versions}
    if over:
        repository.prune(session, visit.id, over, keep=keep_versions)
    outcomes = Counter[SyncOutcome]()
    results = []
    for answer, _, _ in prepared:
        if answer.client_id in state.sent:
            outcome = SyncOutcome.unchanged
        elif leaders.get(answer.item_code) == answer.client_id:
            outcome = SyncOutcome.created
        else:
            outcome = SyncOutcome.superseded
        outcomes[outcome] += 1
        results.append(
            {"client_id": answer.client_id, "item_code": answer.item_code, "outcome": outcome}
        )
    for outcome, count in outcomes.items():
        metrics.SYNC_ANSWERS.labels(outcome.value).inc(count)
    created = len(new)
    # Validated in one call from plain values: pydantic's core checks 40 results in a third
    # of the time 40 ``model_construct`` calls take, on a path that holds the visit's lock.
    return SyncResult.model_validate(
        {"created": created, "unchanged": len(results) - created, "results": results}
    )


def current_answers(session: Session, visit: AnswerVisit) -> dict[str, Answer]:
    return repository.current(session, visit.id)


def current_values(session: Session, visit: AnswerVisit) -> dict[str, Any]:
    """Item code -> value of the visit's current answers (None for N/A), for visibility."""
    return repository.current_values(session, visit.id)


def page(
    session: Session,
    visit: AnswerVisit,
    *,
    history: bool,
    limit: int,
    offset: int,
    free_text: bool = True,
) -> AnswerPage:
    """A page of the visit's current answers, or with ``history`` of every version kept,
    with the count of versions dropped per item either way; without ``free_text`` the
    values of text items are withheld."""
    rows, total = repository.page(session, visit.id, history=history, limit=limit, offset=offset)
    dropped = repository.dropped_counts(session, visit.id)
    items = [AnswerPublic.model_validate(row, from_attributes=True) for row in rows]
    if not free_text:
        typed = free_text_codes(checklist_for_visit(session, visit).items())
        items = [
            a.model_copy(update={"value": None, "withheld": True}) if a.item_code in typed else a
            for a in items
        ]
    return AnswerPage(
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        dropped=[DroppedVersions(item_code=code, count=n) for code, n in dropped.items()],
    )


def missing_required(
    session: Session, visit: AnswerVisit, values: Mapping[str, Any] | None = None
) -> list[str]:
    """Required, visible items answered by a value (not photos) with no current answer.

    ``values``: the visit's ``current_values``, when the caller has read them already.
    """
    checklist = checklist_for_visit(session, visit)
    values = current_values(session, visit) if values is None else values
    shown = checklist.visible(values)
    return [
        item.code
        for item in checklist.items()
        if item.required
        and item.code in shown
        and item.code not in values
        and kind_of(item).takes_value
    ]
