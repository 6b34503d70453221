"""SQLite's locks: reads never wait, one writer at a time, the lock taken at the first write."""

import sqlite3
import threading
import weakref
from typing import Any

from sqlalchemy import Connection, Engine, event

from service.config import DatabaseSettings
from service.errors import DatabaseBusy

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


def switch_to_writing(conn: Connection) -> None:
    """End the connection's read transaction and begin a writing one in its place."""
    if conn.info.get(_WRITING, True):
        return
    dbapi_connection = conn.connection.driver_connection
    assert dbapi_connection is not None
    dbapi_connection.commit()  # the read snapshot ends; nothing was written in it
    _begin_immediate(dbapi_connection, _WRITERS[conn.engine], conn.info)


_WRITERS: "weakref.WeakKeyDictionary[Engine, _Writers]" = weakref.WeakKeyDictionary()


def setup(engine: Engine, settings: DatabaseSettings) -> None:
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
            switch_to_writing(conn)

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
