"""The queries behind visit lists and the wave's counts: filters, order, pages, counts."""

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from service.auth.models import User
from service.offices.models import Office
from service.photos.models import Photo
from service.visits.models import Visit
from service.visits.repository import readable_statement
from service.visits.transitions import OVERDUE_STATUSES, VisitStatus


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
