"""Every query on visits and their events."""

import datetime as dt
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy import ColumnElement, func, insert, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from service import db
from service.auth.models import User
from service.auth.roles import Role
from service.auth.sessions import Account, AccountRow, Caller
from service.base import metadata
from service.checklists.models import Checklist
from service.driver_sql import DriverStatement
from service.offices.models import Office
from service.photos.models import Photo
from service.scoring.models import VisitScore
from service.visits.models import Visit, VisitBulk, VisitEvent, VisitResult
from service.visits.transitions import OVERDUE_STATUSES, VisitStatus


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


class VisitOrder(StrEnum):
    """What a visits list may be sorted by (the console's columns)."""

    window = "window"
    status = "status"
    service = "service"
    submitted = "submitted"
    wave = "wave"


_ORDER_COLUMNS: dict[VisitOrder, Any] = {
    VisitOrder.window: col(Visit.window_start_at),
    VisitOrder.status: col(Visit.status),
    VisitOrder.service: col(Visit.service_code),
    VisitOrder.submitted: col(Visit.submitted_at),
    VisitOrder.wave: col(Visit.wave),
}


@dataclass(frozen=True)
class VisitFilters:
    status: VisitStatus | None = None
    service_code: str | None = None
    office_id: int | None = None
    region: str | None = None
    shopper_id: uuid.UUID | None = None
    wave: str | None = None
    window_from: dt.datetime | None = None
    window_to: dt.datetime | None = None
    # Overdue at this moment: still the shopper's to do, and its window has ended.
    overdue_at: dt.datetime | None = None
    # Only visits with at least one flagged photo.
    flagged: bool = False


def _flagged_photo() -> ColumnElement[bool]:
    return func.json_array_length(col(Photo.flags)) > 0


def filtered(user: User, filters: VisitFilters) -> SelectOfScalar[Visit]:
    """The visits ``user`` may see that match ``filters``."""
    query = readable_statement(user)
    if filters.status is not None:
        query = query.where(col(Visit.status) == filters.status)
    if filters.service_code is not None:
        query = query.where(col(Visit.service_code) == filters.service_code)
    if filters.office_id is not None:
        query = query.where(col(Visit.office_id) == filters.office_id)
    if filters.region is not None:
        query = query.join(Office, col(Office.id) == col(Visit.office_id)).where(
            col(Office.region) == filters.region
        )
    if filters.shopper_id is not None:
        query = query.where(col(Visit.shopper_id) == filters.shopper_id)
    if filters.wave is not None:
        query = query.where(col(Visit.wave) == filters.wave)
    if filters.window_from is not None:
        query = query.where(col(Visit.window_end_at) >= filters.window_from)
    if filters.window_to is not None:
        query = query.where(col(Visit.window_start_at) <= filters.window_to)
    if filters.overdue_at is not None:
        query = query.where(
            col(Visit.status).in_(OVERDUE_STATUSES), col(Visit.window_end_at) < filters.overdue_at
        )
    if filters.flagged:
        flagged = select(Photo.id).where(col(Photo.visit_id) == col(Visit.id), _flagged_photo())
        query = query.where(flagged.exists())
    return query


def list_visits(
    session: Session,
    user: User,
    filters: VisitFilters,
    *,
    limit: int,
    offset: int,
    order: VisitOrder = VisitOrder.window,
    descending: bool = False,
) -> tuple[list[Visit], int]:
    query = filtered(user, filters)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    column = _ORDER_COLUMNS[order]
    first = column.desc() if descending else column.asc()
    if order in (VisitOrder.submitted, VisitOrder.wave):
        first = first.nulls_last()  # not yet submitted, or in no wave: after the rest
    # Ties fall back to the window and the id, so pages never overlap.
    rows = session.exec(
        query.order_by(first, col(Visit.window_start_at), col(Visit.id)).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def count_by_status(session: Session, user: User, filters: VisitFilters) -> dict[str, int]:
    ids = filtered(user, filters).with_only_columns(col(Visit.id)).subquery()
    rows = session.exec(
        select(Visit.status, func.count())
        .where(col(Visit.id).in_(select(ids.c.id)))
        .group_by(col(Visit.status))
    ).all()
    return {str(status): count for status, count in rows}


def count(session: Session, user: User, filters: VisitFilters) -> int:
    query = filtered(user, filters)
    return session.exec(select(func.count()).select_from(query.subquery())).one()


def count_flagged_photos(session: Session, user: User, filters: VisitFilters) -> int:
    ids = filtered(user, filters).with_only_columns(col(Visit.id)).subquery()
    query = (
        select(func.count())
        .select_from(Photo)
        .where(col(Photo.visit_id).in_(select(ids.c.id)), _flagged_photo())
    )
    return session.exec(query).one()


def waves(session: Session, *, limit: int) -> list[str]:
    """The waves visits were assigned in, the one with the latest visits first."""
    query = (
        select(Visit.wave)
        .where(col(Visit.wave).is_not(None))
        .group_by(col(Visit.wave))
        .order_by(func.max(col(Visit.window_start_at)).desc(), col(Visit.wave))
        .limit(limit)
    )
    return [wave for wave in session.exec(query).all() if wave]


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


T = TypeVar("T")

# Each IN list stays well under the databases' bound-parameter limits (SQLite: 32,766).
_CHUNK = 5000


def _chunks(values: Collection[T]) -> Iterator[list[T]]:
    ordered = list(values)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def by_client_ids(session: Session, client_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Visit]:
    found: dict[uuid.UUID, Visit] = {}
    for chunk in _chunks(client_ids):
        for visit in session.exec(select(Visit).where(col(Visit.client_id).in_(chunk))).all():
            assert visit.client_id is not None
            found[visit.client_id] = visit
    return found


def active_shoppers(
    session: Session, *, ids: Collection[uuid.UUID] = (), emails: Collection[str] = ()
) -> list[tuple[uuid.UUID, str]]:
    """Id and e-mail of the active shoppers among ``ids`` and ``emails`` (already lower case).

    Assignment asks about a whole wave of shoppers at once, a question the auth package does not
    offer, so the query lives here.
    """
    rows: list[tuple[uuid.UUID, str]] = []
    shoppers = select(User.id, User.email).where(
        col(User.role) == Role.shopper, col(User.is_active)
    )
    for id_chunk in _chunks(ids):
        rows.extend(session.exec(shoppers.where(col(User.id).in_(id_chunk))).all())
    for email_chunk in _chunks(emails):
        rows.extend(session.exec(shoppers.where(col(User.email).in_(email_chunk))).all())
    return rows


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


def result_by_client_id(session: Session, client_id: uuid.UUID) -> VisitResult | None:
    query = select(VisitResult).where(col(VisitResult.client_id) == client_id)
    return session.exec(query).first()


def bulk_by_client_id(session: Session, client_id: uuid.UUID) -> VisitBulk | None:
    return session.exec(select(VisitBulk).where(col(VisitBulk.client_id) == client_id)).first()


def bulk_rows(
    session: Session, bulk_id: uuid.UUID, rows: Collection[int] | None = None
) -> dict[int, uuid.UUID]:
    """The visit each row of a bulk made (of ``rows`` only, when given), by row."""
    query = select(Visit.bulk_row, Visit.id).where(col(Visit.bulk_id) == bulk_id)
    found: dict[int, uuid.UUID] = {}
    for chunk in [None] if rows is None else _chunks(rows):
        asked = query if chunk is None else query.where(col(Visit.bulk_row).in_(chunk))
        for row, visit_id in session.exec(asked).all():
            assert row is not None
            found[row] = visit_id
    return found


def insert_visits(
    session: Session, visits: list[dict[str, Any]], events: list[dict[str, Any]]
) -> None:
    """Insert many visits and their events, one multi-row statement each (no flush per row).

    Each dict has every column (``Visit.model_dump()``, events but their ``id``).
    """
    # Core inserts of the tables: the ORM's bulk path costs as much again per row.
    if visits:
        session.execute(insert(metadata.tables[Visit.__tablename__]), visits)
    if events:
        session.execute(insert(metadata.tables[VisitEvent.__tablename__]), events)


def finish_bulk(session: Session, bulk_id: uuid.UUID, at: dt.datetime) -> None:
    session.execute(update(VisitBulk).where(col(VisitBulk.id) == bulk_id).values(finished_at=at))
