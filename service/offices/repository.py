"""Every query on offices."""

import uuid
from collections.abc import Collection

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from service.offices.models import Office


def get(session: Session, office_id: int) -> Office | None:
    return session.get(Office, office_id)


def get_many(session: Session, office_ids: Collection[int]) -> dict[int, Office]:
    found: dict[int, Office] = {}
    ids = sorted(office_ids)
    # Chunks keep each IN list well under the databases' bound-parameter limits.
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        for office in session.exec(select(Office).where(col(Office.id).in_(chunk))).all():
            assert office.id is not None
            found[office.id] = office
    return found


def get_by_client_id(session: Session, client_id: uuid.UUID) -> Office | None:
    return session.exec(select(Office).where(col(Office.client_id) == client_id)).first()


def add(session: Session, office: Office) -> Office:
    session.add(office)
    session.flush()
    return office


def list_offices(
    session: Session,
    *,
    region: str | None,
    kind: str | None,
    limit: int,
    offset: int,
    search: str | None = None,
) -> tuple[list[Office], int]:
    query = select(Office)
    if search is not None:
        query = query.where(
            or_(
                col(Office.name).icontains(search, autoescape=True),
                col(Office.city).icontains(search, autoescape=True),
            )
        )
    if region is not None:
        query = query.where(col(Office.region) == region)
    if kind is not None:
        query = query.where(col(Office.kind) == kind)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Office.id)).limit(limit).offset(offset)).all()
    return list(rows), total
