"""The engine: made for SQLite or PostgreSQL, read by requests through ``EngineDep``."""

import sqlite3
import weakref
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from service import db_liveness
from service.config import DatabaseSettings
from service.db import sqlite_locks

# For this package: callers say what they mean through read_only(), ReadSessionDep or ping().
READ_ONLY = {"sqlite_begin": "DEFERRED"}


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
        sqlite_locks.setup(engine, settings)
        SLOTS[engine] = Slots(settings.pool_size, settings.pool_timeout_seconds)
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
    SLOTS[engine] = Slots(settings.pool_size, settings.pool_timeout_seconds)
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
        sqlite_locks.switch_to_writing(conn)


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


class Slots:
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


SLOTS: "weakref.WeakKeyDictionary[Engine, Slots]" = weakref.WeakKeyDictionary()


def ping(engine: Engine) -> None:
    """Run ``SELECT 1`` in a read-only transaction (readiness); raises SQLAlchemyError."""
    with engine.connect() as conn:
        conn.execution_options(**READ_ONLY).execute(text("SELECT 1"))
