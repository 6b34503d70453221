"""Transactions of their own: next to the request's, after it, and outside requests."""

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import Connection, Engine
from sqlmodel import Session

from service.db.engine import READ_ONLY

log = logging.getLogger("mshop")


Cleanup = Callable[[Session], None]
CLEANUPS = "mshop_cleanups"
AFTER_COMMIT = "mshop_after_commit"


def bind_of(session: Session) -> Engine | Connection:
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
            own.connection(execution_options=READ_ONLY)
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
    return transaction(bind_of(session), read=read)


def after_request(session: Session, cleanup: Cleanup) -> None:
    """Commit ``cleanup`` in its own transaction once the request's transaction has ended.

    For clean-up that must last whatever the request's outcome: removing a rejected upload
    while the request answers with the error (routers raise; the request's own writes roll
    back). It runs after the request's transaction, so on SQLite the write lock is free.
    """
    session.info.setdefault(CLEANUPS, []).append(cleanup)


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once the request's transaction has committed; never if it rolls back.

    For side effects outside the database that must follow the rows, such as deleting the
    objects of removed rows: a failed commit then leaves rows and objects as they were. A
    failing action is logged, not raised: the rows are gone, what is left is an orphan.
    """
    session.info.setdefault(AFTER_COMMIT, []).append(action)


def finish_request(session: Session, *, committed: bool) -> None:
    """After the request's transaction ended: ``after_commit`` actions if it committed, then
    ``after_request`` clean-ups. Called by ``get_session`` once the transaction has ended."""
    actions: list[Callable[[], None]] = session.info.pop(AFTER_COMMIT, [])
    for action in actions if committed else []:
        try:
            action()
        except Exception:
            log.exception("an action after the request's commit failed")
    cleanups: list[Cleanup] = session.info.pop(CLEANUPS, [])
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
