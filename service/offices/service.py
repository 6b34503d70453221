"""Offices: where visits happen."""

import datetime as dt
from collections.abc import Collection
from typing import ClassVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service import db
from service.error_codes import ErrorCode
from service.errors import Conflict, NotFound
from service.offices import repository
from service.offices.models import Office
from service.offices.schemas import OFFICE_KINDS, OfficeCreate, OfficeKind, OfficeUpdate
from service.standards import service as standards_service


class OfficeNotFound(NotFound):
    code: ClassVar[ErrorCode] = "office-not-found"
    title = "Office not found"


class OfficeConflict(Conflict):
    code: ClassVar[ErrorCode] = "office-conflict"
    title = "Office conflict"


def create_office(
    session: Session, office_in: OfficeCreate, *, now: dt.datetime
) -> tuple[Office, bool]:
    """Create an office; every service it offers must be in the catalogue.

    Returns the office and whether it was created: a retry (the same ``client_id`` and
    content) answers the office it made.

    Raises:
        ServiceNotFound: a service code the catalogue does not have.
        OfficeConflict: the ``client_id`` made an office with other content.
    """
    if office_in.client_id is not None:
        existing = repository.get_by_client_id(session, office_in.client_id)
        if existing is not None:
            return _retried(existing, office_in), False
    for code in office_in.services:
        standards_service.require_service(session, code)
    office = Office.model_validate(office_in, update={"created_at": now})
    if office_in.client_id is None:
        return repository.add(session, office), True
    try:
        with db.savepoint(session):
            repository.add(session, office)
    except IntegrityError:
        # The same client_id won a race a moment ago: answer as its retry is answered.
        raced = repository.get_by_client_id(session, office_in.client_id)
        if raced is None:
            raise
        return _retried(raced, office_in), False
    return office, True


def _retried(office: Office, office_in: OfficeCreate) -> Office:
    """``office``, made by ``office_in``'s client id, if ``office_in`` is its retry."""
    sent = office_in.model_dump(mode="json", exclude={"client_id"})
    stored = {name: getattr(office, name) for name in sent}
    if stored != sent:
        raise OfficeConflict(
            f"client_id {office_in.client_id} already created office {office.id} with other "
            "content; use a new client_id for a new office."
        )
    return office


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
