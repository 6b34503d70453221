"""Engine factory and the transaction phases: the one package that begins and ends transactions.

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

from service.base import metadata
from service.db.engine import (
    EngineDep,
    create_db_engine,
    get_engine,
    is_lock_timeout,
    ping,
    write_lock,
)
from service.db.own import (
    after_commit,
    after_request,
    core_transaction,
    finish_request,
    own_transaction,
    transaction,
)
from service.db.request import (
    ReadSessionDep,
    SessionDep,
    commit_now,
    get_read_session,
    get_session,
    insert_rows,
    new_session,
    read_only,
    released,
    savepoint,
)

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
