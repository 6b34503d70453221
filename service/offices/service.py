"""Offices: where visits happen."""

import datetime as dt
from collections.abc import Collection
from typing import ClassVar

from sqlmodel import Session

from service.error_codes import ErrorCode
from service.errors import NotFound
from service.offices import repository
from service.offices.models import Office
from service.offices.schemas import OFFICE_KINDS, OfficeCreate, OfficeKind, OfficeUpdate
from service.standards import service as standards_service


class OfficeNotFound(NotFound):
    code: ClassVar[ErrorCode] = "office-not-found"
    title = "Office not found"


def create_office(session: Session, office_in: OfficeCreate, *, now: dt.datetime) -> Office:
    """Create an office; every service it offers must be in the catalogue."""
    for code in office_in.services:
        standards_service.require_service(session, code)
    office = Office.model_validate(office_in, update={"created_at": now})
    return repository.add(session, office)


def update_office(session: Session, office: Office, changes: OfficeUpdate) -> Office:
    """Change an office's fields; every service it is to offer must be in the catalogue.

    Raises:
        ServiceNotFound: a service code the catalogue does not have.
    """
    fields = changes.model_dump(exclude_unset=True)
    for code in fields.get("services", []):
        standards_service.require_service(session, code)
    office.sqlmodel_update(fields)
    return repository.add(session, office)


def get_office(session: Session, office_id: int) -> Office:
    office = repository.get(session, office_id)
    if office is None:
        raise OfficeNotFound(f"There is no office {office_id}.")
    return office


def application_channels(session: Session, office_id: int) -> frozenset[str]:
    """Which of a standard's application channels the office is (empty: it takes none, as a
    call centre); scoring judges being sent elsewhere by it."""
    office = get_office(session, office_id)
    return frozenset(c.value for c in OFFICE_KINDS[OfficeKind(office.kind)].applications)


def get_many(session: Session, office_ids: Collection[int]) -> dict[int, Office]:
    """The offices among ``office_ids`` that exist, by id, in one query."""
    return repository.get_many(session, office_ids)


def search_offices(session: Session, search: str, *, limit: int) -> list[Office]:
    """Offices whose name or city holds ``search`` in any letter case (as ``list_users``), by id."""
    rows, _ = repository.list_offices(
        session, region=None, kind=None, limit=limit, offset=0, search=search.strip() or None
    )
    return rows
