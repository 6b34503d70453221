"""Engine factory and the transaction phases: the one module that begins and ends transactions.

Every other module uses the names below (tests/test_transactions_rule.py checks it):

- ``SessionDep``: the request's transaction; commits on success, rolls back on any error.
- ``ReadSessionDep``: the same session, moved to a read-only transaction (reports, exports).
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

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from service.base import metadata
from service.config import DatabaseSettings

__all__ = [
    "EngineDep",
    "ReadSessionDep",
    "SessionDep",
    "after_commit",
    "after_request",
    "core_transaction",
    "create_db_engine",
    "get_engine",
    "get_read_session",
    "finish_request",
    "get_session",
    "metadata",
    "own_transaction",
    "ping",
    "read_only",
    "released",
    "request_transaction",
    "savepoint",
    "transaction",
]

log = logging.getLogger("mshop")

Cleanup = Callable[[Session], None]
_CLEANUPS = "mshop_cleanups"
_AFTER_COMMIT = "mshop_after_commit"


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's implicit transactions break SAVEPOINT and lock upgrades; manage BEGIN here.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking;
        # a read-only caller asks for DEFERRED and never waits on a writer (WAL).
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


# Private: callers say what they mean through read_only(), ReadSessionDep or ping().
_READ_ONLY = {"sqlite_begin": "DEFERRED"}


def create_db_engine(settings: DatabaseSettings) -> Engine:
    """Build an engine for SQLite (the embedded default) or PostgreSQL."""
    url = make_url(settings.url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, echo=settings.echo, connect_args={"check_same_thread": False, "timeout": 30}
        )
        _sqlite_setup(engine)
        return engine
    return create_engine(
        url,
        echo=settings.echo,
        pool_size=settings.pool_size,
        pool_pre_ping=True,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout_seconds,
    )


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


# --- The request's transaction -----------------------------------------------------------


def get_session(engine: EngineDep) -> Iterator[Session]:
    """Open one session per request: commit on success, roll back on any error.

    Then what ``after_commit`` and ``after_request`` registered runs (see ``finish_request``).
    """
    yield from request_transaction(Session(engine, expire_on_commit=False))


def request_transaction(session: Session) -> Iterator[Session]:
    """The body of ``get_session`` for a session already made: yield it, commit on success,
    roll back on any error, run ``finish_request``, close it.

    Split out so the tests' override runs this very code with a session of their own per
    request (bound to the test's connection) instead of a copy of it.
    """
    with session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            finish_request(session, committed=False)
            raise
        finish_request(session, committed=True)


# "function" scope: the commit runs before the response is sent, so a client is never told
# "stored" about a write whose commit then failed.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def read_only(session: Session) -> Session:
    """End the session's transaction and start a read-only one (a WAL reader on SQLite).

    Checking the token opened a transaction that on SQLite holds the write lock; a report or
    a long export must not keep phones from syncing meanwhile.

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
    ``after_request`` clean-ups. Called by ``request_transaction`` (``get_session``)."""
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
