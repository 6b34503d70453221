"""The standards catalogue: reading standards in force and adding immutable versions."""

import datetime as dt
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service import db
from service.error_codes import ErrorCode
from service.errors import Conflict, NotFound
from service.standards import repository
from service.standards.catalogue import Names, StandardBody, StandardFile, load_catalogue
from service.standards.models import PublicService, ServiceStandard
from service.standards.schemas import (
    DocumentList,
    LoadReport,
    ServicePublic,
    StandardPublic,
    StandardVersionRef,
)


class ServiceNotFound(NotFound):
    code: ClassVar[ErrorCode] = "service-not-found"
    title = "Service not found"


class StandardNotInForce(NotFound):
    code: ClassVar[ErrorCode] = "standard-not-in-force"
    title = "No standard in force"


class StandardVersionExists(Conflict):
    code: ClassVar[ErrorCode] = "standard-version-exists"
    title = "Standard version exists"


def to_public(row: ServiceStandard, section_no: int) -> StandardPublic:
    body = StandardBody.model_validate(row.body)
    return StandardPublic(
        **body.model_dump(),
        code=row.service_code,
        section_no=section_no,
        version=row.version,
        content_hash=row.content_hash,
        created_at=row.created_at,
    )


def section_of(code: str) -> int:
    return int(code[1:])


def list_standards(
    session: Session,
    *,
    on: dt.date,
    agency: str | None,
    level: str | None,
    channel: str | None,
    limit: int,
    offset: int,
) -> tuple[list[StandardPublic], int]:
    rows, total = repository.list_in_force(
        session, on=on, agency=agency, level=level, channel=channel, limit=limit, offset=offset
    )
    return [to_public(r, section_of(r.service_code)) for r in rows], total


def get_standard(session: Session, code: str, on: dt.date) -> ServiceStandard:
    """Return the version of ``code``'s standard in force on ``on``.

    Raises:
        ServiceNotFound: no such service.
        StandardNotInForce: the service exists but no version had started by ``on``.
    """
    if repository.get_service(session, code) is None:
        raise ServiceNotFound(f"There is no service {code}.")
    row = repository.get_in_force(session, code, on)
    if row is None:
        raise StandardNotInForce(f"No standard of {code} is in force on {on.isoformat()}.")
    return row


def versions_of(session: Session, code: str) -> list[ServiceStandard]:
    """Every version of ``code``'s standard, for ``in_force`` to pick from without a query per
    date (a wave of assignments asks about many dates)."""
    return repository.list_versions(session, code)


def in_force(versions: list[ServiceStandard], code: str, on: dt.date) -> ServiceStandard:
    """The version among ``versions`` of ``code`` in force on ``on``, as ``get_standard``.

    Raises:
        StandardNotInForce: no version had started by ``on``.
    """
    started = [v for v in versions if v.effective_from <= on]
    if not started:
        raise StandardNotInForce(f"No standard of {code} is in force on {on.isoformat()}.")
    # A correction has the date of the version it corrects and a higher number.
    return max(started, key=lambda v: (v.effective_from, v.version))


def get_service(session: Session, code: str, on: dt.date) -> ServicePublic:
    row = get_standard(session, code, on)
    versions = [
        StandardVersionRef(
            version=v.version,
            effective_from=v.effective_from,
            content_hash=v.content_hash,
            created_at=v.created_at,
            supersedes_version=v.supersedes_version,
        )
        for v in repository.list_versions(session, code)
    ]
    return ServicePublic(**to_public(row, section_of(code)).model_dump(), versions=versions)


def add_version(
    session: Session,
    code: str,
    body: StandardBody,
    *,
    now: dt.datetime,
    actor_id: uuid.UUID | None = None,
    correction: bool = False,
) -> tuple[ServiceStandard, bool]:
    """Add a version of ``code``'s standard; return it and whether it was created.

    Sending the same content for the same ``effective_from`` again changes nothing. Other
    content for a date already stored is a new version only as a ``correction`` (the shipped
    file was fixed: the extraction misread the standard); it supersedes the one of that date.
    Visits keep the version they were assigned under; new assignments get the correction.

    Raises:
        StandardVersionExists: another content is already stored for that date and this is
            not a correction; published versions are immutable.
    """
    content_hash = body.digest()
    existing = repository.get_version_at(session, code, body.effective_from)
    if existing is not None:
        if existing.content_hash == content_hash:
            return existing, False
        if not correction:
            raise StandardVersionExists(
                f"{code} already has a different version effective from "
                f"{body.effective_from.isoformat()} (version {existing.version}); published "
                "versions never change, so add one with a later effective_from."
            )
    if repository.get_service(session, code) is None:
        repository.add_service(
            session, PublicService(code=code, section_no=section_of(code), created_at=now)
        )
    row = ServiceStandard(
        service_code=code,
        version=repository.next_version(session, code),
        effective_from=body.effective_from,
        supersedes_version=existing.version if existing is not None else None,
        name_ru=body.name_ru,
        agency_abbr=body.agency.abbr,
        level=body.level.value,
        body=body.model_dump(mode="json"),
        content_hash=content_hash,
        created_at=now,
        created_by_id=actor_id,
    )
    try:
        with db.savepoint(session):
            repository.add_standard(session, row, [c.value for c in body.channels])
    except IntegrityError as exc:
        raise StandardVersionExists(
            f"Another version of {code} was added at the same moment; retry."
        ) from exc
    return row, True


def load_standards(session: Session, directory: Path, *, now: dt.datetime) -> LoadReport:
    """Load the catalogue files idempotently: new versions are added, known ones kept.

    A file changed since it was loaded, with the same ``effective_from``, is the project's
    correction of its extraction: it is added as a version superseding the loaded one.
    """
    files: list[StandardFile] = load_catalogue(directory)
    created = 0
    corrected = []
    for standard in files:
        row, was_created = add_version(
            session, standard.code, standard.body(), now=now, correction=True
        )
        created += was_created
        if was_created and row.supersedes_version is not None:
            corrected.append(f"{row.service_code}@{row.effective_from.isoformat()}")
    return LoadReport(created=created, unchanged=len(files) - created, corrected=corrected)


def with_documents(session: Session, documents: DocumentList) -> StandardBody:
    """The standard in force on the list's date, with its document list replaced, as a
    version effective from that date (everything else carried over unchanged).

    Raises:
        ServiceNotFound: no such service.
        StandardNotInForce: no version had started by that date.
    """
    body = body_of(get_standard(session, documents.code, documents.effective_from))
    changed = body.model_dump() | {
        "effective_from": documents.effective_from,
        "documents": [d.model_dump() for d in documents.documents],
        "documents_note_ru": documents.note_ru,
    }
    return StandardBody.model_validate(changed)


def get_standard_by_id(session: Session, standard_id: int) -> ServiceStandard:
    row = repository.get_standard_by_id(session, standard_id)
    if row is None:
        raise ServiceNotFound(f"There is no standard version {standard_id}.")
    return row


def body_of(row: ServiceStandard) -> StandardBody:
    return StandardBody.model_validate(row.body)


def all_in_force(session: Session, on: dt.date) -> list[ServiceStandard]:
    """Every service's standard in force on ``on`` (the catalogue is small: tens of rows)."""
    rows, _ = repository.list_in_force(
        session, on=on, agency=None, level=None, channel=None, limit=10_000, offset=0
    )
    return rows


def require_service(session: Session, code: str) -> None:
    """Raise ``ServiceNotFound`` unless ``code`` is in the catalogue."""
    if repository.get_service(session, code) is None:
        raise ServiceNotFound(f"There is no service {code}.")


def existing_codes(session: Session, codes: Collection[str]) -> set[str]:
    """The codes among ``codes`` that are in the catalogue, in one query."""
    return repository.existing_codes(session, codes)


def names_of(row: ServiceStandard) -> Names:
    """The names of a standard version's service."""
    english = row.body.get("name_en")
    return Names(row.name_ru, english if isinstance(english, str) else None)


@dataclass(frozen=True)
class CatalogueNames:
    """The names of the newest standard version of each service, and of each agency (as its
    newest-dated standard names it)."""

    services: dict[str, Names]
    agencies: dict[str, Names]


def newest_names(session: Session) -> CatalogueNames:
    """The names readers see of each service and agency, from the newest standard versions
    (one query, the English names read out of ``body`` by the database)."""
    services: dict[str, Names] = {}
    agencies: dict[str, tuple[dt.date, Names]] = {}
    for row in repository.newest_names(session):
        services[row.service_code] = Names(row.name_ru, row.name_en)
        agency = Names(str(row.agency_name_ru or row.agency_abbr), row.agency_name_en)
        seen = agencies.get(row.agency_abbr)
        if seen is None or row.effective_from > seen[0]:
            agencies[row.agency_abbr] = (row.effective_from, agency)
    return CatalogueNames(
        services=services, agencies={abbr: names for abbr, (_, names) in agencies.items()}
    )
