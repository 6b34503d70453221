"""Every query on visits and their events."""

import uuid
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from service import db
from service.auth.callers import Account, AccountRow, Caller
from service.auth.models import User
from service.auth.roles import Role
from service.checklists.models import Checklist
from service.driver_sql import DriverStatement
from service.scoring.models import VisitScore
from service.visits.models import Visit, VisitBulk, VisitEvent, VisitResult
from service.visits.transitions import VisitStatus


def _sees_own_only(user: User) -> bool:
    """Whether ``user`` may see only their own visits (a shopper) or all."""
    return user.role == Role.shopper


def readable_by(user: User) -> list[ColumnElement[bool]]:
    """The conditions on visits ``user`` may see: a shopper only their own, others all."""
    return readable_by_id(user.id) if _sees_own_only(user) else []


def readable_by_id(shopper_id: Any) -> list[ColumnElement[bool]]:
    """``readable_by``'s condition for the shopper ``shopper_id`` (a value or a parameter)."""
    return [col(Visit.shopper_id) == shopper_id]


def _own_params(user: User, visit_id: uuid.UUID) -> tuple[bool, dict[str, Any]]:
    """Which of a prebuilt pair of statements (``own``: with ``readable_by``'s condition on
    ``user_id``) serves ``user``, and its parameters."""
    own = _sees_own_only(user)
    return own, ({"visit_id": visit_id, "user_id": user.id} if own else {"visit_id": visit_id})


def readable_statement(user: User) -> SelectOfScalar[Visit]:
    """Visits ``user`` may see: a shopper only their own, every other role all."""
    return select(Visit).where(*readable_by(user))


def _readable_one(*, own: bool) -> SelectOfScalar[Visit]:
    query = select(Visit).where(col(Visit.id) == sa.bindparam("visit_id"))
    # A shopper reads only their own visits, as ``readable_by`` says.
    return query.where(*readable_by_id(sa.bindparam("user_id"))) if own else query


# Built once: a query built per request cost more than running it (photos.repository).
_READABLE_ONE = {own: _readable_one(own=own) for own in (False, True)}


def get_readable(session: Session, user: User, visit_id: uuid.UUID) -> Visit | None:
    own, params = _own_params(user, visit_id)
    return session.exec(_READABLE_ONE[own], params=params).first()


def lock(session: Session, visit_id: uuid.UUID) -> Visit:
    """Reload a visit holding its row lock (PostgreSQL) or the write lock (SQLite), so its
    writers take turns and what they check is current."""
    db.write_lock(session)
    return session.exec(
        select(Visit)
        .where(col(Visit.id) == visit_id)
        .with_for_update()
        .execution_options(populate_existing=True)  # what an earlier load holds is replaced
    ).one()


def _locked_read(*, own: bool) -> Select[Visit, str]:
    query = (
        select(Visit, col(Checklist.content_hash))
        .join(Checklist, col(Checklist.id) == col(Visit.checklist_id))
        .where(col(Visit.id) == sa.bindparam("visit_id"))
        .with_for_update(of=Visit)  # the visit's row, not the shared checklist's
        .execution_options(populate_existing=True)
    )
    # A shopper reads only their own visits, as ``readable_by`` says.
    return query.where(*readable_by_id(sa.bindparam("user_id"))) if own else query


# Built once: a sync's statement keeps its cache key instead of computing it per request.
_LOCKED_READ = {own: _locked_read(own=own) for own in (False, True)}


def lock_readable(session: Session, user: User, visit_id: uuid.UUID) -> tuple[Visit, str] | None:
    """A visit ``user`` may see, read once and under its lock (as ``lock``), with its
    checklist's content hash; None when there is no such visit for them."""
    db.write_lock(session)
    own, params = _own_params(user, visit_id)
    row = session.execute(_LOCKED_READ[own], params).first()
    return None if row is None else (row[0], row[1])


# A shopper's own visit with their users row; under its lock, with its checklist's hash.
_OWN_READ = (
    sa.select(Visit, User)
    .join(User, col(User.id) == col(Visit.shopper_id))
    .where(col(Visit.id) == sa.bindparam("visit_id"), *readable_by_id(sa.bindparam("user_id")))
)
_LOCKED_OWN_READ = (
    _locked_read(own=True).add_columns(User).join(User, col(User.id) == col(Visit.shopper_id))
)
_SHOPPERS = frozenset({Role.shopper})


Found = TypeVar("Found", bound=Account)


def _with_user(
    session: Session,
    caller: Caller,
    visit_id: uuid.UUID,
    read: Callable[[dict[str, Any]], Any],
    account: Callable[[Any], Found],
) -> tuple[Found | User, Any]:
    """The row ``read`` finds for the visit and the caller's id, with the caller's account in
    it (``account``), checked by ``caller``; without one, the user read alone and checked, so
    an account that may not call is refused before a 404."""
    if caller.roles != _SHOPPERS:
        raise ValueError("a shopper's own visit is read for a caller allowing other roles")
    row = read({"visit_id": visit_id, "user_id": caller.user_id})
    if row is None:
        return caller.read(session), None
    return caller.check(account(row)), row


def _orm_read(session: Session, statement: sa.Executable) -> Callable[[dict[str, Any]], Any]:
    return lambda params: session.execute(statement, params).first()


def _last_entity(row: Any) -> User:
    user: User = row[-1]
    return user


class LockedVisit(NamedTuple):
    """What an answer sync reads of its visit under the lock (``lock_own_row``)."""

    id: uuid.UUID
    status: VisitStatus
    checklist_id: int


# The same read as eight plain values: psycopg describes each column of a result in Python,
# and the ORM builds an object of each entity: for the visit's and the user's 41 columns,
# 0.1 ms of the 0.45 the read and its commit took on PostgreSQL (0.09 of 0.22 on SQLite).
_LOCKED_OWN_ROW = DriverStatement(
    _LOCKED_OWN_READ.with_only_columns(
        col(Visit.id),
        col(Visit.status),
        col(Visit.checklist_id),
        col(Checklist.content_hash),
        col(User.id),
        col(User.role),
        col(User.is_active),
        col(User.token_version),
    )
)


def lock_own_row(
    session: Session, caller: Caller, visit_id: uuid.UUID
) -> tuple[AccountRow | User, tuple[LockedVisit, str] | None]:
    """``lock_own``, read as plain values: the visit's ``LockedVisit`` with its checklist's
    hash, and the caller's account, checked by ``caller``; for a write that needs the visit's
    object only to change it (answer sync: ``visits.lifecycle``, which reads it to start the
    visit on its first sync).

    Raises:
        As ``Caller.check``.
    """
    db.write_lock(session)

    def read(params: dict[str, Any]) -> Sequence[Any] | None:
        rows = _LOCKED_OWN_ROW.run(session.connection(), params)
        return rows[0] if rows else None

    def account_of(row: Sequence[Any]) -> AccountRow:
        # As the ORM reads them: the status a member (its column's type), the role as stored.
        return AccountRow(*row[4:])

    account, row = _with_user(session, caller, visit_id, read, account_of)
    if row is None:
        return account, None
    visit, status, checklist_id, digest = row[:4]
    return account, (LockedVisit(visit, status, checklist_id), digest)


def get_own(session: Session, caller: Caller, visit_id: uuid.UUID) -> tuple[User, Visit | None]:
    """``get_readable`` for a shopper known so far only by their token: the visit and their
    user row in one statement, the user checked by ``caller`` (one statement and no thread
    hand-off less than ``CurrentUser`` and ``get_readable``).

    Raises:
        As ``Caller.check``.
    """
    user, row = _with_user(session, caller, visit_id, _orm_read(session, _OWN_READ), _last_entity)
    return user, None if row is None else row[0]


def lock_own(
    session: Session, caller: Caller, visit_id: uuid.UUID
) -> tuple[User, tuple[Visit, str] | None]:
    """``lock_readable`` for a shopper known so far only by their token, as ``get_own``.

    Raises:
        As ``Caller.check``.
    """
    db.write_lock(session)
    read = _orm_read(session, _LOCKED_OWN_READ)
    user, row = _with_user(session, caller, visit_id, read, _last_entity)
    return user, None if row is None else (row[0], row[1])


def lock_with_checklist(session: Session, visit_id: uuid.UUID) -> tuple[Visit, str]:
    """``lock``, with the visit's checklist's content hash read in the same statement."""
    db.write_lock(session)
    row = session.execute(_LOCKED_READ[False], {"visit_id": visit_id}).one()
    return row[0], row[1]


def scores_for(
    session: Session, visit_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[float | None, int | None]]:
    """Score and grade of each visit that has been scored, in one query."""
    if not visit_ids:
        return {}
    rows = session.exec(
        select(VisitScore.visit_id, VisitScore.score, VisitScore.grade).where(
            col(VisitScore.visit_id).in_(visit_ids)
        )
    ).all()
    return {visit_id: (score, grade) for visit_id, score, grade in rows}


def get_by_client_id(session: Session, client_id: uuid.UUID) -> Visit | None:
    return session.exec(select(Visit).where(col(Visit.client_id) == client_id)).first()


def add(session: Session, row: Visit | VisitEvent | VisitBulk | VisitResult) -> None:
    session.add(row)
    session.flush()


_EVENTS: sa.Table = VisitEvent.__table__  # type: ignore[attr-defined]
_EVENT_COLUMNS = [c.name for c in _EVENTS.columns if not c.primary_key]
# Every event row gives every column: compiled once, sent as text (``driver_sql``).
_INSERT_EVENT = DriverStatement(
    sa.insert(_EVENTS).values(
        {name: sa.bindparam(name, type_=_EVENTS.c[name].type) for name in _EVENT_COLUMNS}
    )
)


def insert_events(session: Session, events: list[VisitEvent]) -> None:
    """Append events in one statement that asks no ids back (the ORM inserts them one by one
    on SQLite to learn each id), built once (see ``answers.repository``)."""
    rows = [{n: getattr(e, n) for n in _EVENT_COLUMNS} for e in events]
    db.insert_rows(session, _INSERT_EVENT, rows)


def events(session: Session, visit_id: uuid.UUID) -> list[VisitEvent]:
    rows = session.exec(
        select(VisitEvent).where(col(VisitEvent.visit_id) == visit_id).order_by(col(VisitEvent.id))
    ).all()
    return list(rows)


def event_by_client_id(session: Session, client_id: uuid.UUID) -> VisitEvent | None:
    query = select(VisitEvent).where(col(VisitEvent.client_id) == client_id)
    return session.exec(query).first()


def result_by_client_id(session: Session, client_id: uuid.UUID) -> VisitResult | None:
    query = select(VisitResult).where(col(VisitResult.client_id) == client_id)
    return session.exec(query).first()
