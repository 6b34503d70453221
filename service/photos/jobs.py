"""The photo job queue: one durable row per photo still to process, claimed with a lease.

A job is written in the transaction that stores its photo as ``processing``, so a photo
never waits without a job, and leaves in the transaction that marks it ``ready`` or
``rejected``. Workers (a thread of each server process, or ``mshop worker``) claim one at a
time:

- PostgreSQL: ``UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1)``: two
  workers never take the same row; a worker skips rows another is claiming.
- SQLite: the same UPDATE, which takes the database's one write lock before it reads, so
  the pick and the claim are one step no other writer can interleave with.

A claim sets a lease (``locked_until``); a worker that dies leaves the lease to pass and the
job is taken again. Processing is idempotent (copies at fixed keys, the photo's update
conditional on ``processing``), so a job run twice leaves one result.
"""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Table, delete, func, insert, or_, select, update
from sqlmodel import Session, col

from service import db
from service.photos.models import PhotoJob

KIND = "process-photo"


@dataclass(frozen=True)
class Claim:
    """A job this worker holds until ``locked_until``."""

    job_id: uuid.UUID
    photo_id: uuid.UUID
    attempts: int  # this one included
    worker: str


def enqueue(session: Session, photo_id: uuid.UUID, now: dt.datetime) -> None:
    """Add the job of a photo, in the caller's transaction (the one storing the photo)."""
    enqueue_many(session, [photo_id], now)


_JOBS: Table = PhotoJob.__table__  # type: ignore[attr-defined]
_INSERT_JOB = insert(_JOBS)


def enqueue_many(session: Session, photo_ids: Sequence[uuid.UUID], now: dt.datetime) -> None:
    """``enqueue`` for several photos, in one INSERT.

    Core rows, not ORM objects: nothing reads a job in the transaction that adds it, and
    building, tracking and flushing a ``PhotoJob`` each cost more than the insert itself.
    """
    rows = [
        {
            "id": uuid.uuid4(),
            "kind": KIND,
            "photo_id": photo_id,
            "attempts": 0,
            "run_after": now,
            "created_at": now,
        }
        for photo_id in photo_ids
    ]
    if rows:
        session.flush()  # the photos' rows first: each job points at its photo
        db.insert_rows(session, _INSERT_JOB, rows)


def _free(now: dt.datetime) -> object:
    return or_(col(PhotoJob.locked_until).is_(None), col(PhotoJob.locked_until) < now)


def claim(
    bind: Engine | Connection, worker: str, *, now: dt.datetime, lease_seconds: float
) -> Claim | None:
    """Take the oldest job that is due and not leased to a live worker, in a transaction of
    its own; None when there is none."""
    free = _free(now)
    pick = (
        select(PhotoJob.id)  # type: ignore[call-overload]
        .where(col(PhotoJob.run_after) <= now, free)
        .order_by(col(PhotoJob.run_after), col(PhotoJob.created_at))
        .limit(1)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds its write lock already
        .scalar_subquery()
    )
    statement = (
        update(PhotoJob)
        .where(col(PhotoJob.id) == pick, free)  # type: ignore[arg-type]
        .values(
            locked_by=worker,
            locked_until=now + dt.timedelta(seconds=lease_seconds),
            attempts=col(PhotoJob.attempts) + 1,
        )
        .returning(col(PhotoJob.id), col(PhotoJob.photo_id), col(PhotoJob.attempts))
    )
    with db.transaction(bind) as own:
        row = own.connection().execute(statement).first()
    if row is None:
        return None
    return Claim(job_id=row[0], photo_id=row[1], attempts=row[2], worker=worker)


def release(bind: Engine | Connection, job: Claim, *, error: str, run_after: dt.datetime) -> None:
    """Give a failed job back, to be tried again at ``run_after``; a no-op if another worker
    took it over meanwhile (this worker's lease had passed)."""
    statement = (
        update(PhotoJob)
        .where(col(PhotoJob.id) == job.job_id, col(PhotoJob.locked_by) == job.worker)
        .values(locked_by=None, locked_until=None, last_error=error[:500], run_after=run_after)
    )
    with db.transaction(bind) as own:
        own.connection().execute(statement)


def remove(session: Session, job: Claim) -> None:
    """Remove the job, in the transaction that records its outcome on the photo."""
    session.connection().execute(delete(PhotoJob).where(col(PhotoJob.id) == job.job_id))


def remove_photo(session: Session, photo_id: uuid.UUID) -> None:
    """Remove the job of a photo processed by other means (``processing.process_inline``)."""
    session.connection().execute(delete(PhotoJob).where(col(PhotoJob.photo_id) == photo_id))


@dataclass(frozen=True)
class QueueStats:
    depth: int
    oldest_age_seconds: float


def stats(session: Session, now: dt.datetime) -> QueueStats:
    """How many jobs wait (or run), and how long the oldest has."""
    depth, oldest = (
        session.connection().execute(select(func.count(), func.min(col(PhotoJob.created_at)))).one()
    )
    if oldest is None:
        return QueueStats(depth=int(depth), oldest_age_seconds=0.0)
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    return QueueStats(depth=int(depth), oldest_age_seconds=max(0.0, (now - oldest).total_seconds()))
