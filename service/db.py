"""Engine factory and the one-transaction-per-request session dependency."""

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from service.base import metadata
from service.config import DatabaseSettings

__all__ = ["SessionDep", "create_db_engine", "get_session", "metadata"]


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


READ_ONLY = {"sqlite_begin": "DEFERRED"}


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


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """Open one session per request: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# "function" scope: the commit runs before the response is sent, so a client is never told
# "stored" about a write whose commit then failed.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def release(session: Session) -> None:
    """End a read-only transaction so its connection (and SQLite's lock) goes back to the pool.

    For slow work that needs no database (decoding a photo, copying it to storage): holding a
    pooled connection through it starves other requests under load. The next query opens a
    new transaction; anything read before is still valid, rows are re-checked under lock.
    """
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("release() would commit pending changes")
    session.commit()
