"""Every query on services and standard versions."""

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Row, and_, exists, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from service.standards.models import PublicService, ServiceStandard, StandardChannel


def _in_force(on: dt.date) -> SelectOfScalar[ServiceStandard]:
    newer = aliased(ServiceStandard)
    # A version is in force when no later version of the same service has started by ``on``,
    # nor a correction of it (the same effective_from, a higher version number).
    return select(ServiceStandard).where(
        col(ServiceStandard.effective_from) <= on,
        ~exists().where(
            and_(
                col(newer.service_code) == col(ServiceStandard.service_code),
                col(newer.effective_from) <= on,
                or_(
                    col(newer.effective_from) > col(ServiceStandard.effective_from),
                    and_(
                        col(newer.effective_from) == col(ServiceStandard.effective_from),
                        col(newer.version) > col(ServiceStandard.version),
                    ),
                ),
            )
        ),
    )


def list_in_force(
    session: Session,
    *,
    on: dt.date,
    agency: str | None,
    level: str | None,
    channel: str | None,
    limit: int,
    offset: int,
) -> tuple[list[ServiceStandard], int]:
    query = _in_force(on)
    if agency is not None:
        query = query.where(col(ServiceStandard.agency_abbr) == agency)
    if level is not None:
        query = query.where(col(ServiceStandard.level) == level)
    if channel is not None:
        query = query.where(
            exists().where(
                col(StandardChannel.standard_id) == col(ServiceStandard.id),
                col(StandardChannel.channel) == channel,
            )
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(ServiceStandard.service_code)).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def get_in_force(session: Session, code: str, on: dt.date) -> ServiceStandard | None:
    return session.exec(_in_force(on).where(col(ServiceStandard.service_code) == code)).first()


def get_service(session: Session, code: str) -> PublicService | None:
    return session.get(PublicService, code)


def existing_codes(session: Session, codes: Collection[str]) -> set[str]:
    wanted = sorted(codes)
    if not wanted:
        return set()
    found = session.exec(select(PublicService.code).where(col(PublicService.code).in_(wanted)))
    return set(found.all())


def list_versions(session: Session, code: str) -> list[ServiceStandard]:
    rows = session.exec(
        select(ServiceStandard)
        .where(col(ServiceStandard.service_code) == code)
        .order_by(col(ServiceStandard.version))
    ).all()
    return list(rows)


def get_version_at(session: Session, code: str, effective_from: dt.date) -> ServiceStandard | None:
    """The version effective from that date: the latest correction, if it was corrected."""
    return session.exec(
        select(ServiceStandard)
        .where(
            col(ServiceStandard.service_code) == code,
            col(ServiceStandard.effective_from) == effective_from,
        )
        .order_by(col(ServiceStandard.version).desc())
    ).first()


def next_version(session: Session, code: str) -> int:
    current = session.exec(
        select(func.max(ServiceStandard.version)).where(col(ServiceStandard.service_code) == code)
    ).one()
    return (current or 0) + 1


def add_service(session: Session, service: PublicService) -> None:
    session.add(service)
    session.flush()


def add_standard(session: Session, standard: ServiceStandard, channels: list[str]) -> None:
    session.add(standard)
    session.flush()
    assert standard.id is not None
    session.add_all(StandardChannel(standard_id=standard.id, channel=c) for c in channels)
    session.flush()


def get_standard_by_id(session: Session, standard_id: int) -> ServiceStandard | None:
    return session.get(ServiceStandard, standard_id)


def newest_names(session: Session) -> Sequence[Row[Any]]:
    """Code, agency, names (Russian and English, the service's and its agency's) and date of
    each service's newest standard version.

    The English and agency names are read out of ``body`` by the database: decoding the
    whole body of 60 standards (~200 KB of JSON) cost more than a report's own query on
    PostgreSQL.
    """
    newest = (
        select(
            col(ServiceStandard.service_code).label("code"),
            func.max(col(ServiceStandard.version)).label("version"),
        )
        .group_by(col(ServiceStandard.service_code))
        .subquery()
    )
    body = col(ServiceStandard.body)
    query = sa.select(  # sqlmodel's select takes at most four columns
        col(ServiceStandard.service_code),
        col(ServiceStandard.agency_abbr),
        col(ServiceStandard.name_ru),
        body["name_en"].as_string().label("name_en"),
        body[("agency", "name_ru")].as_string().label("agency_name_ru"),
        body[("agency", "name_en")].as_string().label("agency_name_en"),
        col(ServiceStandard.effective_from),
    ).join(
        newest,
        and_(
            col(ServiceStandard.service_code) == newest.c.code,
            col(ServiceStandard.version) == newest.c.version,
        ),
    )
    return session.execute(query).all()
