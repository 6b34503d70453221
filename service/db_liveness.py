"""Pooled PostgreSQL connections checked on checkout without a round trip while they are busy.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` before every checkout: a round trip, and
the server's CPU, on every request (the answer sync's busiest cost besides its own
statements, tracked in issue 15). A connection the server ended (a restart,
``pg_terminate_backend``, an idle timeout) has its goodbye waiting on the socket, an error
message and end of file, while a healthy idle connection has nothing to read: one poll of the
socket tells them apart. What the poll cannot see, a peer that vanished without a word (a
dropped network path), is caught by a real ping once the connection has sat in the pool for
longer than ``ping_idle_seconds``, as such silent drops follow idle periods; under load every
connection is reused within milliseconds and pays only the poll.
"""

import select
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

_RETURNED_AT = "mshop_returned_at"


def check_on_checkout(engine: Engine, *, ping_idle_seconds: float) -> None:
    """Refuse, on checkout, a pooled connection the server ended or that does not answer a
    ping after ``ping_idle_seconds`` in the pool (0: ping every time); the pool then opens
    a new one in its place for the same checkout."""
    dialect = engine.dialect

    @event.listens_for(engine.pool, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None:  # opened for this checkout: nothing to check yet
            return
        if has_something_to_read(dbapi_connection):
            raise DisconnectionError("the server ended this connection while it was pooled")
        if time.monotonic() - returned_at >= ping_idle_seconds:
            try:
                dialect.do_ping(dbapi_connection)
            except Exception as exc:  # any failure: this connection is not worth keeping
                raise DisconnectionError(f"a pooled connection did not answer: {exc}") from exc


def has_something_to_read(dbapi_connection: Any) -> bool:
    """Whether an idle connection's socket is readable (or closed): the server spoke unasked,
    which on an idle PostgreSQL connection that LISTENs to nothing means it said goodbye."""
    if getattr(dbapi_connection, "closed", False):
        return True
    poller = select.poll()  # not select(): it fails for descriptors past FD_SETSIZE
    poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
