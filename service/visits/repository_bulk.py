"""The queries of a bulk assignment: many visits, shoppers and client ids at a time."""

import datetime as dt
import uuid
from collections.abc import Collection, Iterator
from typing import Any, TypeVar

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from service.auth.models import User
from service.auth.roles import Role
from service.base import metadata
from service.visits.models import Visit, VisitBulk, VisitEvent

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
