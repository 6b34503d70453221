"""Publishing templates and resolving them into the checklists phones download."""

import datetime as dt
import hashlib
import json
import uuid
from pathlib import Path
from typing import ClassVar

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service import db
from service.checklists import repository
from service.checklists.builder import build_checklist, channels_for
from service.checklists.format import (
    ChecklistChannel,
    ChecklistError,
    ChecklistTemplate,
    ResolvedChecklist,
)
from service.checklists.loader import describe_errors, load_templates
from service.checklists.models import Checklist, ChecklistTemplateRow
from service.checklists.schemas import ChecklistPublic, ChecklistSummary, TemplateLoadReport
from service.error_codes import ErrorCode
from service.errors import Conflict, NotFound, ValidationFailed
from service.standards import service as standards_service
from service.standards.catalogue import StandardBody
from service.standards.models import ServiceStandard


class ChecklistNotFound(NotFound):
    code: ClassVar[ErrorCode] = "checklist-not-found"
    title = "Checklist not found"


class ChannelNotOffered(NotFound):
    code: ClassVar[ErrorCode] = "checklist-not-offered"
    title = "No checklist for this channel"


class ChecklistVersionExists(Conflict):
    code: ClassVar[ErrorCode] = "checklist-version-exists"
    title = "Checklist version exists"


class ChecklistInvalid(ValidationFailed):
    code: ClassVar[ErrorCode] = "checklist-invalid"
    title = "Checklist invalid"


def template_hash(template: ChecklistTemplate) -> str:
    data = template.model_dump(mode="json", by_alias=True)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_template_data(raw: object) -> ChecklistTemplate:
    """Validate a template sent through the API with the loader's rules and messages."""
    if not isinstance(raw, dict):
        raise ChecklistInvalid("The checklist must be a mapping of the checklist format.")
    try:
        return ChecklistTemplate.model_validate(raw)
    except ValidationError as exc:
        raise ChecklistInvalid(describe_errors(exc, raw)) from exc


def _check_builds_everywhere(session: Session, template: ChecklistTemplate, on: dt.date) -> None:
    for row in standards_service.all_in_force(session, on):
        standard = standards_service.body_of(row)
        if template.channel not in channels_for(standard):
            continue
        try:
            build_checklist(template, standard, service_code=row.service_code)
        except ChecklistError as exc:
            raise ChecklistInvalid(f"does not build for {row.service_code}: {exc}") from exc


def publish_template(
    session: Session,
    template: ChecklistTemplate,
    *,
    now: dt.datetime,
    actor_id: uuid.UUID | None = None,
) -> tuple[ChecklistTemplateRow, bool]:
    """Publish a template version; return the row and whether it is new.

    The same content under the same version again changes nothing.

    Raises:
        ChecklistVersionExists: that version holds other content, or is not above the latest;
            published versions never change.
        ChecklistInvalid: the template does not build for some service's standard.
    """
    channel = template.channel.value
    content_hash = template_hash(template)
    existing = repository.template_version(session, channel, template.version)
    if existing is not None:
        if existing.content_hash == content_hash:
            return existing, False
        raise ChecklistVersionExists(
            f"{channel} version {template.version} is published with other content; published "
            "checklists never change, so publish the edit as a new version."
        )
    latest = repository.max_template_version(session, channel)
    if template.version <= latest:
        raise ChecklistVersionExists(
            f"{channel} is at version {latest}; a new version must be above it."
        )
    _check_builds_everywhere(session, template, now.date())
    row = ChecklistTemplateRow(
        channel=channel,
        version=template.version,
        content_hash=content_hash,
        body=template.model_dump(mode="json", by_alias=True),
        published_at=now,
        published_by_id=actor_id,
    )
    try:
        with db.savepoint(session):
            repository.add(session, row)
    except IntegrityError as exc:
        raise ChecklistVersionExists(
            f"{channel} version {template.version} was just published."
        ) from exc
    return row, True


def load_template_files(
    session: Session, directory: Path, *, now: dt.datetime
) -> TemplateLoadReport:
    """Publish the template files of ``directory`` that are not published yet."""
    created = 0
    templates = load_templates(directory)
    for template in templates.values():
        _, was_created = publish_template(session, template, now=now)
        created += was_created
    return TemplateLoadReport(created=created, unchanged=len(templates) - created)


def resolve(
    session: Session,
    service_code: str,
    channel: ChecklistChannel,
    on: dt.date,
    *,
    now: dt.datetime,
    save: bool = True,
) -> Checklist:
    """The checklist for a service and channel on a date: latest template, standard in force.

    One not stored yet is built and stored; with ``save=False`` it is only built (its ``id``
    is ``None``), so a caller that must not write yet (a bulk's read-only check) can check
    against it and resolve again, saving, when it writes.

    Raises:
        ServiceNotFound, StandardNotInForce: from the catalogue.
        ChannelNotOffered: the service is not tested on that channel.
        ChecklistNotFound: no template has been published for the channel.
    """
    standard_row = standards_service.get_standard(session, service_code, on)
    standard = standards_service.body_of(standard_row)
    if channel not in channels_for(standard):
        raise ChannelNotOffered(f"{service_code} is not tested on the {channel.value} channel.")
    template_row = repository.latest_template(session, channel.value)
    if template_row is None:
        raise ChecklistNotFound(f"No {channel.value} checklist has been published yet.")
    assert template_row.id is not None
    assert standard_row.id is not None
    found = repository.find_checklist(session, template_row.id, standard_row.id)
    if found is not None:
        return found
    template = ChecklistTemplate.model_validate(template_row.body)
    try:
        resolved = build_checklist(template, standard, service_code=service_code)
    except ChecklistError as exc:
        raise ChecklistInvalid(
            f"The {channel.value} checklist does not build for {service_code}'s standard: {exc}"
        ) from exc
    row = Checklist(
        service_code=service_code,
        channel=channel.value,
        template_id=template_row.id,
        standard_id=standard_row.id,
        content_hash=resolved.content_hash(),
        body=resolved.model_dump(mode="json", by_alias=True),
        created_at=now,
    )
    if not save:
        return row
    try:
        with db.savepoint(session):
            repository.add(session, row)
    except IntegrityError:
        # Another request resolved the same pair first; theirs is identical.
        raced = repository.find_checklist(session, template_row.id, standard_row.id)
        assert raced is not None
        return raced
    return row


def list_current(
    session: Session,
    *,
    service_code: str | None,
    channel: ChecklistChannel | None,
    on: dt.date,
    now: dt.datetime,
) -> list[ChecklistSummary]:
    """Summaries of the checklists in use on ``on``, resolving any not asked for before."""
    if service_code is not None:
        standards = [standards_service.get_standard(session, service_code, on)]
    else:
        standards = standards_service.all_in_force(session, on)
    summaries = []
    for row in standards:
        offered = channels_for(standards_service.body_of(row))
        for wanted in offered if channel is None else [channel]:
            if wanted in offered:
                resolved = resolve(session, row.service_code, wanted, on, now=now)
                summaries.append(summary(session, resolved))
    return summaries


def get_checklist(session: Session, checklist_id: int) -> Checklist:
    row = repository.get_checklist(session, checklist_id)
    if row is None:
        raise ChecklistNotFound(f"There is no checklist {checklist_id}.")
    return row


def content_hash_of(session: Session, checklist_id: int) -> str:
    digest = repository.content_hash(session, checklist_id)
    if digest is None:
        raise ChecklistNotFound(f"There is no checklist {checklist_id}.")
    return digest


def summary(session: Session, row: Checklist) -> ChecklistSummary:
    template = repository.get_template(session, row.template_id)
    standard = standards_service.get_standard_by_id(session, row.standard_id)
    assert template is not None
    assert row.id is not None
    return ChecklistSummary(
        id=row.id,
        service_code=row.service_code,
        channel=ChecklistChannel(row.channel),
        template_version=template.version,
        standard_version=standard.version,
        content_hash=row.content_hash,
        created_at=row.created_at,
    )


def public(session: Session, row: Checklist) -> ChecklistPublic:
    return ChecklistPublic(
        **summary(session, row).model_dump(),
        checklist=ResolvedChecklist.model_validate(row.body),
    )


def add_standard_version(
    session: Session,
    code: str,
    body: StandardBody,
    *,
    now: dt.datetime,
    actor_id: uuid.UUID | None = None,
) -> tuple[ServiceStandard, bool]:
    """Add a version of a service's standard that every published checklist can carry.

    The standards catalogue knows nothing of checklists; checklists are built from
    standards, so this package is the one that can tell whether a new version breaks them.

    Returns:
        The version and whether it was created (False: this exact version was stored).

    Raises:
        StandardVersionExists: another content is already stored for that date.
        ChecklistInvalid: some published template does not build for that version; the
            caller's transaction rolls the version back.
    """
    row, created = standards_service.add_version(session, code, body, now=now, actor_id=actor_id)
    _check_standard_builds(session, code, row.effective_from, now=now)
    return row, created


def _check_standard_builds(
    session: Session, service_code: str, on: dt.date, *, now: dt.datetime
) -> None:
    """Resolve every channel the service is tested on against its standard in force on ``on``.

    Raises:
        ChecklistInvalid: some published template does not build for that standard.
    """
    standard = standards_service.body_of(standards_service.get_standard(session, service_code, on))
    for channel in channels_for(standard):
        if repository.latest_template(session, channel.value) is not None:
            resolve(session, service_code, channel, on, now=now)
