"""Bulk assignment: checked whole reading only, then written in short batches.

A wave of up to ``limits.max_bulk_rows`` assignments used to be checked and written in the
request's one transaction, holding SQLite's write lock for as long as it took (1,500 rows kept
logins waiting 23 s). Now:

1. **Checked whole, reading only.** The request's transaction is read-only
   (``ReadSessionDep``): every row is read and checked (``bulk_plan.plan``), and any problem
   refuses the whole bulk with every problem of every row (422 ``bulk-rows-invalid``), before
   anything is written. A checklist not stored yet is only built, and stored by the batch
   that first needs it.
2. **Written in batches.** The request's transaction ends (``db.released``) and the rows go in
   ``limits.bulk_batch_rows`` at a time, each batch a transaction of its own
   (``db.own_transaction``: one multi-row insert of visits, one of their events). A batch
   holds the write lock for milliseconds; logins, syncs and other writers get it between
   batches.
3. **All or nothing to the user, through the bulk's idempotency key.** The bulk has a
   ``client_id``: the request's, else one derived from the account and the rows' content
   (``content_hash``), so the same file sent again by the same account is the same bulk. The
   first batch stores the bulk (``VisitBulk``: key, content hash, rows); every visit it writes
   carries ``bulk_id`` and its row number, unique together. A retry after a crash or an error
   between batches finds the bulk, counts the rows already written as unchanged (not checked
   again: they were valid and are made) and writes only the rest, each row exactly once;
   ``finished_at`` is set by the batch that writes the last row. The same key with other
   content is 409 ``bulk-conflict``. A batch that loses a race (a parallel retry of the same
   bulk, a row's own ``client_id`` used meanwhile) rolls back alone and is written again
   after reading what the other wrote.

Rows a crash left behind are real, assigned visits until the retry completes the bulk: a
client that gets no answer sends the same file (with the same ``client_id``, if it gave one)
again, as it would after any network failure.
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service import db
from service.auth.models import User
from service.checklists import service as checklists_service
from service.checklists.format import ChecklistChannel
from service.isotime import local_date
from service.visits import assignments, bulk_plan, repository, repository_bulk
from service.visits import service as visits_service
from service.visits.bulk import BulkRow, content_hash
from service.visits.bulk_plan import Planned
from service.visits.checks import Pinned
from service.visits.models import Visit, VisitBulk
from service.visits.schemas import BulkResult, VisitCreate
from service.visits.transitions import VisitStatus

# Keys of bulks sent without a client_id: uuid5 of the account and the content in this space.
_DERIVED_KEYS = uuid.UUID("5f0b6a52-8a0e-4c1e-9a55-0d8f3b9e1b7a")
# A batch that loses a unique-key race is written again after reading what the winner wrote.
_ATTEMPTS = 3

# A checklist a batch stored: service, channel, standard version.
PinKey = tuple[str, ChecklistChannel, int]
# Every column of a visit the row does not set: a dict per row, not a model (validating a table
# model per row cost more than the rest of the write).
_VISIT_DEFAULTS = {
    name: info.get_default()
    for name, info in Visit.model_fields.items()
    if not info.is_required() and info.default_factory is None
}


@dataclass
class Writer:
    """What the batches of one bulk share; updated only after a batch has committed."""

    client_id: uuid.UUID
    digest: str
    rows: int
    actor_id: uuid.UUID
    now: dt.datetime
    bulk_id: uuid.UUID | None = None  # None until a batch has stored the bulk
    checklists: dict[PinKey, int] = field(default_factory=dict)


@dataclass
class Written:
    """What one batch wrote (or found written), for the writer and the result."""

    bulk_id: uuid.UUID
    checklists: dict[PinKey, int]
    made: dict[int, tuple[uuid.UUID, bool]]  # row -> visit, created


def bulk_assign(
    session: Session,
    actor: User,
    rows: list[BulkRow],
    *,
    now: dt.datetime,
    batch_rows: int,
    client_id: uuid.UUID | None = None,
) -> BulkResult:
    """Assign every row, or none (see the module's docstring for how, in batches).

    Raises:
        BulkConflict: ``client_id`` was used for a bulk of other rows.
        BulkRowsInvalid: ``errors`` lists each problem as row, column, message and code.
        VisitConflict: a row's ``client_id`` was used for another visit while writing.
    """
    digest = content_hash(rows)
    key = client_id or uuid.uuid5(_DERIVED_KEYS, f"{actor.id}:{digest}")
    bulk = repository_bulk.bulk_by_client_id(session, key)
    if bulk is not None and bulk.content_hash != digest:
        raise _conflict(bulk)
    written = repository_bulk.bulk_rows(session, bulk.id) if bulk is not None else {}
    plans = bulk_plan.plan(session, rows, written=written, now=now)
    writer = Writer(key, digest, len(rows), actor.id, now, bulk.id if bulk else None)
    todo = [p for p in plans if p.made is None]
    made: dict[int, tuple[uuid.UUID, bool]] = {}
    with db.released(session):
        for start in range(0, len(todo), batch_rows):
            batch = todo[start : start + batch_rows]
            made |= write_batch(session, writer, batch, last=start + batch_rows >= len(todo))
    results = [(p.made, False) if p.made is not None else made[p.row.line] for p in plans]
    created = sum(1 for _, was_created in results if was_created)
    return BulkResult(
        created=created, unchanged=len(results) - created, visits=[v for v, _ in results]
    )


def write_batch(
    session: Session, writer: Writer, batch: list[Planned], *, last: bool
) -> dict[int, tuple[uuid.UUID, bool]]:
    """Write one batch in a transaction of its own; the visit each row made, and whether now.

    A unique-key race (a parallel retry of the bulk) rolls the batch back; it is written
    again, skipping what the other request wrote.
    """
    for attempt in range(_ATTEMPTS):
        try:
            with db.own_transaction(session) as own:
                done = _insert(own, writer, batch, last=last)
        except IntegrityError:
            if attempt + 1 == _ATTEMPTS:
                raise
            continue
        writer.bulk_id = done.bulk_id
        writer.checklists |= done.checklists
        return done.made
    raise AssertionError("unreachable")


def _insert(own: Session, writer: Writer, batch: list[Planned], *, last: bool) -> Written:
    bulk_id, stored_now = (writer.bulk_id, False) if writer.bulk_id else _store_bulk(own, writer)
    made: dict[int, tuple[uuid.UUID, bool]] = {}
    if not stored_now:
        # A parallel retry of this bulk may have written some of these rows meanwhile.
        found = repository_bulk.bulk_rows(own, bulk_id, [p.row.line for p in batch])
        made |= {row: (visit_id, False) for row, visit_id in found.items()}
    taken = repository_bulk.by_client_ids(
        own, [p.visit_in.client_id for p in batch if p.visit_in and p.visit_in.client_id]
    )
    checklists: dict[PinKey, int] = {}
    visits, events = [], []
    for plan in batch:
        if plan.row.line in made:
            continue
        visit_in, pinned = plan.visit_in, plan.pin
        assert visit_in is not None
        assert pinned is not None
        if visit_in.client_id in taken:
            made[plan.row.line] = (_taken(taken[visit_in.client_id], plan), False)
            continue
        checklist_id = pinned.checklist_id
        if checklist_id is None:
            checklist_id = _store_checklist(own, writer, checklists, visit_in, pinned)
        visit_id = uuid.uuid4()
        visits.append(
            _VISIT_DEFAULTS
            | visit_in.model_dump()
            | {
                "id": visit_id,
                "channel": visit_in.channel.value,
                "status": VisitStatus.assigned,
                "checklist_id": checklist_id,
                "standard_id": pinned.standard_id,
                "created_at": writer.now,
                "created_by_id": writer.actor_id,
                "bulk_id": bulk_id,
                "bulk_row": plan.row.line,
            }
        )
        events.append(
            {
                "visit_id": visit_id,
                "actor_id": writer.actor_id,
                "action": "assign",
                "from_status": None,
                "to_status": VisitStatus.assigned,
                "detail": {},
                "at": writer.now,
            }
        )
        made[plan.row.line] = (visit_id, True)
    repository_bulk.insert_visits(own, visits, events)
    if last:
        repository_bulk.finish_bulk(own, bulk_id, writer.now)
    return Written(bulk_id, checklists, made)


def _store_checklist(
    own: Session,
    writer: Writer,
    stored: dict[PinKey, int],
    visit_in: VisitCreate,
    pinned: Pinned,
) -> int:
    """The id of the checklist a row pins, storing it if the check only built it."""
    key = (visit_in.service_code, visit_in.channel, pinned.standard_id)
    known = writer.checklists.get(key) or stored.get(key)
    if known is not None:
        return known
    on = local_date(visit_in.window_start_at)
    checklist = checklists_service.resolve(own, *key[:2], on, now=writer.now)
    if checklist.standard_id != pinned.standard_id:
        # A new standard version came into force for that day since the rows were checked.
        raise visits_service.VisitConflict(
            f"{visit_in.service_code}'s standard changed while the bulk was written; send "
            "the file again to check the rest against it."
        )
    assert checklist.id is not None
    stored[key] = checklist.id
    return checklist.id


def _store_bulk(own: Session, writer: Writer) -> tuple[uuid.UUID, bool]:
    """The bulk's id, stored now unless a parallel request stored it; whether stored now."""
    bulk = repository_bulk.bulk_by_client_id(own, writer.client_id)
    if bulk is None:
        bulk = VisitBulk(
            client_id=writer.client_id,
            content_hash=writer.digest,
            rows=writer.rows,
            created_by_id=writer.actor_id,
            created_at=writer.now,
        )
        repository.add(own, bulk)  # a parallel first batch: IntegrityError, tried again
        return bulk.id, True
    if bulk.content_hash != writer.digest:
        raise _conflict(bulk)
    return bulk.id, False


def _taken(visit: Visit, plan: Planned) -> uuid.UUID:
    # The row's own client_id was used by another request after the bulk was checked.
    assert plan.visit_in is not None
    if not assignments.same_assignment(visit, plan.visit_in):
        raise visits_service.VisitConflict(
            f"row {plan.row.line}: client_id {plan.visit_in.client_id} was just used for "
            f"another visit ({visit.id}); the rows before it were assigned. Send the file "
            "again to see every conflict."
        )
    return visit.id


def _conflict(bulk: VisitBulk) -> visits_service.BulkConflict:
    return visits_service.BulkConflict(
        f"client_id {bulk.client_id} was used for a bulk of other rows ({bulk.rows} rows, "
        f"sent {bulk.created_at.isoformat(timespec='seconds')}); use a new client_id for "
        "new rows."
    )
