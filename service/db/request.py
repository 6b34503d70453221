"""The request's transaction: one session per request, its slot, its commit and its phases."""

import asyncio
from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import Depends
from sqlalchemy import Connection, Executable
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from service.db.engine import READ_ONLY, SLOTS, EngineDep, Slots
from service.db.own import AFTER_COMMIT, CLEANUPS, bind_of, finish_request
from service.driver_sql import DriverStatement

# Commits and rollbacks run on threads of their own, not on the worker pool the routes share:
# a request holding SQLite's write lock must never wait for a worker thread to give it back
# while every worker waits for that lock (what made "database is locked" 500s under load).
_ENDINGS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="mshop-commit")


async def new_session(engine: EngineDep) -> Session:
    """The request's session (tests override this to bind it to their connection)."""
    return Session(engine, expire_on_commit=False)


async def get_session(
    session: Annotated[Session, Depends(new_session)],
) -> AsyncGenerator[Session, None]:
    """One session per request: commit on success, roll back on any error, then what
    ``after_commit`` and ``after_request`` registered (see ``finish_request``).

    The request first takes one of the database's slots (``Slots``), waited for on the event
    loop, and keeps it until its transaction has ended.
    """
    slots = _slots_of(session)
    try:
        # A free slot is taken at once (a slot is free only while nobody waits for one):
        # no timer and no trip through the event loop, which every request paid.
        slots.semaphore.acquire_nowait()
    except anyio.WouldBlock:
        with anyio.move_on_after(slots.timeout) as waited:
            await slots.semaphore.acquire()
        if waited.cancelled_caught:
            raise PoolTimeout(
                "no database slot free within the pool timeout", None, None
            ) from None  # answered 503 with Retry-After
    try:
        try:
            yield session
        except BaseException:
            with anyio.CancelScope(shield=True):
                await _end(session, commit=False)
            raise
        if _ended(session) and not _after_work(session):
            session.close()  # committed by the route (``commit_now``): nothing to wait for
        else:
            with anyio.CancelScope(shield=True):
                await _end(session, commit=True)
    finally:
        slots.semaphore.release()


def _slots_of(session: Session) -> Slots:
    bind = bind_of(session)
    engine = bind.engine if isinstance(bind, Connection) else bind
    slots = SLOTS.get(engine)
    if slots is None:  # an engine not made by create_db_engine (a test's own)
        slots = SLOTS.setdefault(engine, Slots(10, 10))
    return slots


async def _end(session: Session, *, commit: bool) -> None:
    if _ended(session):
        # The route committed on its own thread (``commit_now``): nothing is left to send to
        # the database, so closing needs no thread hand-off (a sync's third thread hop).
        session.close()
        committed = commit
    else:
        loop = asyncio.get_running_loop()
        committed = await loop.run_in_executor(_ENDINGS, _end_transaction, session, commit)
    if _after_work(session):
        # Store calls and clean-up transactions: slow work for the shared pool, lock released.
        await anyio.to_thread.run_sync(partial(finish_request, session, committed=committed))
    if commit and not committed:
        raise _commit_error(session)


def _after_work(session: Session) -> bool:
    """Whether ``after_commit`` or ``after_request`` gave the request work for its end."""
    return bool(session.info.get(AFTER_COMMIT) or session.info.get(CLEANUPS))


def _ended(session: Session) -> bool:
    """Whether the session holds no transaction and no change a commit would flush."""
    return not (session.in_transaction() or session.new or session.dirty or session.deleted)


_COMMIT_ERROR = "mshop_commit_error"


def _end_transaction(session: Session, commit: bool) -> bool:
    """Commit (or roll back) and close ``session``; whether it committed. A failed commit is
    rolled back and kept for ``_end`` to raise once clean-up has run."""
    try:
        if commit:
            try:
                session.commit()
                return True
            except Exception as exc:
                session.info[_COMMIT_ERROR] = exc
        session.rollback()
        return False
    finally:
        session.close()


def _commit_error(session: Session) -> Exception:
    error: Exception = session.info.pop(_COMMIT_ERROR)
    return error


# "function" scope: the commit runs before the response is sent, so a client is never told
# "stored" about a write whose commit then failed.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def insert_rows(
    session: Session, insert: Executable | DriverStatement, rows: Sequence[Mapping[str, Any]]
) -> None:
    """``rows`` through ``insert`` (a Core INSERT built once, or one compiled once when every
    row gives every column) on the session's connection, in one statement that asks nothing
    back; nothing is loaded into the session."""
    if not rows:
        return
    conn = session.connection()
    # One row is a plain execute: an executemany of one is a pipeline on psycopg.
    if isinstance(insert, DriverStatement):
        if len(rows) == 1:
            insert.run(conn, rows[0])
        else:
            insert.run_many(conn, rows)
        return
    conn.execute(insert, rows[0] if len(rows) == 1 else list(rows))


def commit_now(session: Session) -> None:
    """Commit the request's transaction now, on the route's thread, once its write is done.

    Left to ``get_session``, the commit waits for the route's thread to hand back to the event
    loop and for a commit thread, with the transaction held: on SQLite the database's one
    write lock, which the next writer is queued for (bench/sync.py: answer syncs are limited
    by how long they hold it). The request's thread holds no other lock and needs no other
    worker, so it cannot deadlock as a commit queued behind the routes' pool could.

    The request still ends in ``get_session``: a failed commit raises here and the request is
    rolled back and answered with the error; ``after_commit`` and ``after_request`` work runs
    once the request ends, as for any request; a later statement would begin a new
    transaction, committed by ``get_session``.
    """
    session.commit()


def read_only(session: Session) -> Session:
    """End the session's transaction and start a read-only one (a WAL reader on SQLite).

    A report or a long export reads one consistent snapshot and never blocks a writer.

    Raises:
        RuntimeError: the session has changes not yet committed.
    """
    _end_read(session)
    session.connection(execution_options=READ_ONLY)
    return session


def get_read_session(session: SessionDep) -> Session:
    return read_only(session)


ReadSessionDep = Annotated[Session, Depends(get_read_session)]


def _end_read(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("ending a read transaction would commit pending changes")
    # Nothing is written: the commit only ends the transaction and returns the connection.
    session.commit()


@contextmanager
def released(session: Session) -> Iterator[None]:
    """Hold no transaction (nor pooled connection, nor SQLite lock) during the block.

    For slow work that needs no database (decoding a photo, copying it to storage): holding a
    pooled connection through it starves other requests under load. The next query after the
    block opens a new transaction; anything read before is still valid, and rows that matter
    are re-checked under lock.

    Raises:
        RuntimeError: the session has changes not yet committed, or the block used it.
    """
    _end_read(session)
    yield
    if session.in_transaction():
        raise RuntimeError("the database was used inside released(); query after the block")


@contextmanager
def savepoint(session: Session) -> Iterator[Session]:
    """Run the block in a savepoint, undone alone if it fails (e.g. a unique-key race).

    The request's transaction goes on: the caller catches the ``IntegrityError`` and answers
    as a retry would be answered.
    """
    with session.begin_nested():
        yield session
