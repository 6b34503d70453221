"""Engine factory and the transaction phases: the one module that begins and ends transactions.

Every other module uses the names below (tests/test_transactions_rule.py checks it):

- ``SessionDep``: the request's transaction; commits on success, rolls back on any error.
  On SQLite it reads without locking anyone out; its first write takes the write lock
  (``write_lock(session)`` takes it on purpose, before reading what a write depends on); a
  lock not granted in time is ``DatabaseBusy``, a 503 with Retry-After.
- ``ReadSessionDep``: the same session, moved to a read-only transaction (reports, exports).
- ``commit_now(session)``: a write route's commit made on its own thread, before it returns.
- ``insert_rows(session, insert, rows)``: rows in one Core INSERT on the request's connection.
- ``released(session)``: no transaction held during slow work that needs no database.
- ``savepoint(session)``: one statement that may lose a unique-key race, undone alone.
- ``own_transaction(session)``: a transaction of its own next to the request's (a streamed
  export's body; clean-up that must commit whatever the request's outcome).
- ``after_request(session, cleanup)``: clean-up committed in its own transaction once the
  request's has ended, committed or rolled back.
- ``after_commit(session, action)``: work outside the database (deleting objects) that must
  follow the request's commit.
- ``transaction(engine)`` / ``core_transaction(engine)``: sessions and connections of the CLI,
  the demo generator and migrations, committed at the end of the block.
"""

import asyncio
import logging
import sqlite3
import threading
import weakref
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, Executable, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from service import db_liveness
from service.base import metadata
from service.config import DatabaseSettings
from service.driver_sql import DriverStatement
from service.errors import DatabaseBusy

__all__ = [
    "EngineDep",
    "ReadSessionDep",
    "SessionDep",
    "after_commit",
    "after_request",
    "commit_now",
    "core_transaction",
    "create_db_engine",
    "get_engine",
    "get_read_session",
    "finish_request",
    "get_session",
    "insert_rows",
    "is_lock_timeout",
    "new_session",
    "write_lock",
    "metadata",
    "own_transaction",
    "ping",
    "read_only",
    "released",
    "savepoint",
    "transaction",
]

log = logging.getLogger("mshop")

Cleanup = Callable[[Session], None]
_CLEANUPS = "mshop_cleanups"
_AFTER_COMMIT = "mshop_after_commit"


# --- SQLite: reads never wait, one writer at a time, the lock taken at the first write -----
#
# A transaction begins DEFERRED: a WAL reader that sees one snapshot and blocks nobody. The
# first write statement (or ``write_lock``) ends that read and begins IMMEDIATE, taking the
# database's one write lock; the commit or rollback gives it back. Reads made before the
# switch came from the older snapshot, as on PostgreSQL's READ COMMITTED: rows a write depends
# on are read again under the lock (``visits.repository.lock``), or guarded by unique keys.
#
# Writers of one process queue on a ``threading.Lock`` in front of SQLite's lock: a waiter
# wakes the moment the holder commits (SQLite's busy handler polls with growing sleeps), and
# past the lock timeout gets ``DatabaseBusy`` (503 with Retry-After), never "database is
# locked". SQLite's own busy timeout still covers writers in other processes (the CLI).

_WRITING = "mshop_writing"  # connection info: this transaction holds the write lock
_HOLDS = "mshop_holds_writer_lock"  # connection info: ... and the process's writer lock
# A savepoint counts as a write: it guards one (a unique-key race), and the switch's COMMIT
# must come before it, never inside it. So no savepoint is ever open in a read transaction.
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "SAVEPOINT")


class _Writers:
    """The write lock of one SQLite database in this process."""

    def __init__(self, timeout: float) -> None:
        self.lock = threading.Lock()
        self.timeout = timeout

    def acquire(self, info: dict[Any, Any]) -> None:
        if not self.lock.acquire(timeout=self.timeout):
            raise DatabaseBusy()
        info[_HOLDS] = True

    def release(self, info: dict[Any, Any]) -> None:
        if info.pop(_HOLDS, False):
            self.lock.release()


def _is_write(statement: str) -> bool:
    return statement.lstrip()[:9].upper().startswith(_WRITES)


def _begin_immediate(dbapi_connection: Any, writers: _Writers, info: dict[Any, Any]) -> None:
    writers.acquire(info)
    try:
        dbapi_connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        writers.release(info)
        if "locked" in str(exc) or "busy" in str(exc):
            raise DatabaseBusy() from exc
        raise
    info[_WRITING] = True


def _switch_to_writing(conn: Connection) -> None:
    """End the connection's read transaction and begin a writing one in its place."""
    if conn.info.get(_WRITING, True):
        return
    dbapi_connection = conn.connection.driver_connection
    assert dbapi_connection is not None
    dbapi_connection.commit()  # the read snapshot ends; nothing was written in it
    _begin_immediate(dbapi_connection, _WRITERS[conn.engine], conn.info)


_WRITERS: "weakref.WeakKeyDictionary[Engine, _Writers]" = weakref.WeakKeyDictionary()


def _sqlite_setup(engine: Engine, settings: DatabaseSettings) -> None:
    writers = _Writers(settings.lock_timeout_seconds)
    _WRITERS[engine] = writers
    busy_ms = int(settings.lock_timeout_seconds * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's implicit transactions break SAVEPOINT and lock upgrades; manage BEGIN here.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode == "IMMEDIATE":
            _begin_immediate(conn.connection.driver_connection, writers, conn.info)
        else:
            conn.exec_driver_sql("BEGIN DEFERRED")
            conn.info[_WRITING] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(
        conn: Connection, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        if not conn.info.get(_WRITING, True) and _is_write(statement):
            _switch_to_writing(conn)

    def _end(conn: Connection, end: str) -> None:
        # End the transaction here, then give the lock back: a waiter must not find SQLite's
        # lock still held (its busy handler would sleep). pysqlite's own commit() or
        # rollback() that follows finds no transaction and does nothing.
        dbapi_connection = conn.connection.driver_connection
        try:
            if dbapi_connection is not None and conn.info.get(_HOLDS):
                getattr(dbapi_connection, end)()
        finally:
            conn.info[_WRITING] = True
            writers.release(conn.info)

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Connection) -> None:
        _end(conn, "commit")

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Connection) -> None:
        _end(conn, "rollback")

    # A connection returned, reset or dropped without commit or rollback must not keep the
    # lock (pysqlite's reset rolls back whatever was open).
    @event.listens_for(engine.pool, "reset")
    def _on_reset(_dbapi: Any, record: Any, _state: Any) -> None:
        writers.release(record.info)

    @event.listens_for(engine.pool, "invalidate")
    def _on_invalidate(_dbapi: Any, record: Any, _exc: Any) -> None:
        writers.release(record.info)


# Private: callers say what they mean through read_only(), ReadSessionDep or ping().
_READ_ONLY = {"sqlite_begin": "DEFERRED"}


def create_db_engine(settings: DatabaseSettings) -> Engine:
    """Build an engine for SQLite (the embedded default) or PostgreSQL."""
    url = make_url(settings.url)
    pool = {
        "pool_size": settings.pool_size,
        "max_overflow": settings.max_overflow,
        "pool_timeout": settings.pool_timeout_seconds,
    }
    if url.get_backend_name() == "sqlite":
        memory = not url.database or url.database == ":memory:"
        if not memory:
            Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=settings.echo,
            connect_args={"check_same_thread": False, "timeout": settings.lock_timeout_seconds},
            **({} if memory else pool),
        )
        _sqlite_setup(engine, settings)
        _SLOTS[engine] = _Slots(settings.pool_size, settings.pool_timeout_seconds)
        return engine
    lock_ms = int(settings.lock_timeout_seconds * 1000)
    engine = create_engine(
        url,
        echo=settings.echo,
        # A row lock not granted in time is an error (55P03), answered 503 like SQLite's.
        connect_args={"options": f"-c lock_timeout={lock_ms}"},
        **pool,
    )
    db_liveness.check_on_checkout(engine, ping_idle_seconds=settings.ping_idle_seconds)
    _SLOTS[engine] = _Slots(settings.pool_size, settings.pool_timeout_seconds)
    return engine


def write_lock(session: Session) -> None:
    """Take the write lock now, before reading rows a write depends on (SQLite: end the read
    snapshot and begin IMMEDIATE; PostgreSQL: nothing, rows are locked by ``FOR UPDATE``).

    Rows read after this are current and stay so until the commit.

    Raises:
        DatabaseBusy: the lock was not granted within the lock timeout.
    """
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        _switch_to_writing(conn)


def is_lock_timeout(exc: BaseException) -> bool:
    """Whether a database error means a lock was not granted in time (SQLite's "database is
    locked" from another process, PostgreSQL's lock_timeout)."""
    orig = getattr(exc, "orig", exc)
    if isinstance(orig, sqlite3.OperationalError):
        return "locked" in str(orig) or "busy" in str(orig)
    return getattr(orig, "sqlstate", None) == "55P03"


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


# --- The request's transaction -----------------------------------------------------------

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

    The request first takes one of the database's slots (``_Slots``), waited for on the event
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


class _Slots:
    """How many requests of one process may use the database at once: the pool's size.

    Without it the server deadlocked under load (bench/wave.py): every worker thread waited
    for a pooled connection while the requests holding the connections waited for a worker
    thread to go on, until the pool timeout answered 503 to everyone. A request now waits for
    a slot on the event loop, before it holds any connection or thread, so each request that
    holds one can always get a worker; the pool's overflow stays free for what runs beside
    requests (streamed exports, clean-ups, bulk batches).
    """

    def __init__(self, size: int, timeout: float) -> None:
        self.size = size
        self.timeout = timeout
        self._semaphore: anyio.Semaphore | None = None

    @property
    def semaphore(self) -> anyio.Semaphore:
        # Made on first use, inside the event loop that serves the requests.
        if self._semaphore is None:
            self._semaphore = anyio.Semaphore(self.size)
        return self._semaphore


_SLOTS: "weakref.WeakKeyDictionary[Engine, _Slots]" = weakref.WeakKeyDictionary()


def _slots_of(session: Session) -> _Slots:
    bind = _bind(session)
    engine = bind.engine if isinstance(bind, Connection) else bind
    slots = _SLOTS.get(engine)
    if slots is None:  # an engine not made by create_db_engine (a test's own)
        slots = _SLOTS.setdefault(engine, _Slots(10, 10))
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
    return bool(session.info.get(_AFTER_COMMIT) or session.info.get(_CLEANUPS))


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
    session.connection(execution_options=_READ_ONLY)
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


# --- Transactions of their own -----------------------------------------------------------


def _bind(session: Session) -> Engine | Connection:
    # The engine in production; in tests the connection whose outer transaction holds the
    # test's rows, so an own transaction there is a savepoint that sees them.
    bind = session.get_bind()
    assert isinstance(bind, Engine | Connection)
    return bind


@contextmanager
def transaction(bind: Engine | Connection, *, read: bool = False) -> Iterator[Session]:
    """A session with a transaction of its own: committed at the end of the block, rolled
    back on error. ``read=True``: a read-only transaction, always rolled back.

    On SQLite a writing transaction waits for the write lock: never open one while the
    current thread's request transaction still holds it (see ``after_request``).
    """
    with Session(bind, expire_on_commit=False, join_transaction_mode="create_savepoint") as own:
        if read:
            own.connection(execution_options=_READ_ONLY)
        try:
            yield own
            if read:
                own.rollback()
            else:
                own.commit()
        except BaseException:
            own.rollback()
            raise


def own_transaction(session: Session, *, read: bool = False) -> AbstractContextManager[Session]:
    """A transaction of its own on the database of ``session`` (see ``transaction``).

    A streamed export reads its rows in one (``read=True``): the request's transaction has
    ended by the time the body is sent.
    """
    return transaction(_bind(session), read=read)


def after_request(session: Session, cleanup: Cleanup) -> None:
    """Commit ``cleanup`` in its own transaction once the request's transaction has ended.

    For clean-up that must last whatever the request's outcome: removing a rejected upload
    while the request answers with the error (routers raise; the request's own writes roll
    back). It runs after the request's transaction, so on SQLite the write lock is free.
    """
    session.info.setdefault(_CLEANUPS, []).append(cleanup)


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once the request's transaction has committed; never if it rolls back.

    For side effects outside the database that must follow the rows, such as deleting the
    objects of removed rows: a failed commit then leaves rows and objects as they were. A
    failing action is logged, not raised: the rows are gone, what is left is an orphan.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


def finish_request(session: Session, *, committed: bool) -> None:
    """After the request's transaction ended: ``after_commit`` actions if it committed, then
    ``after_request`` clean-ups. Called by ``get_session`` once the transaction has ended."""
    actions: list[Callable[[], None]] = session.info.pop(_AFTER_COMMIT, [])
    for action in actions if committed else []:
        try:
            action()
        except Exception:
            log.exception("an action after the request's commit failed")
    cleanups: list[Cleanup] = session.info.pop(_CLEANUPS, [])
    for cleanup in cleanups:
        try:
            with own_transaction(session) as own:
                cleanup(own)
        except Exception:
            # Never masks the request's own error; what is left is swept by `mshop cleanup`.
            log.exception("clean-up after a request failed")


@contextmanager
def core_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction of its own, committed at the end of the block.

    For Core statements outside requests: bulk inserts of the demo generator, migrations.
    """
    with engine.begin() as conn:
        yield conn


def ping(engine: Engine) -> None:
    """Run ``SELECT 1`` in a read-only transaction (readiness); raises SQLAlchemyError."""
    with engine.connect() as conn:
        conn.execution_options(**_READ_ONLY).execute(text("SELECT 1"))
