"""A submission from Collect, through the same services as the JSON API.

Answers go through the visit's answer sync (``visits.writes.sync_answers``), photos through
the photo pipeline (``photos.service.upload``: header checks, the store, the photo job and its
flags), and the visit through the same submit and scoring. Nothing here stores an answer or a
photo itself: it only turns an instance into those calls, with ids derived from the
instance so that a resend is a no-op.
"""

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import BinaryIO, ClassVar

from sqlmodel import Session

from service import languages
from service.answers.schemas import AnswerIn
from service.auth.models import User
from service.checklists.pinned import checklist_for_visit
from service.config import Settings
from service.error_codes import ErrorCode
from service.errors import BadRequest, Conflict
from service.openrosa import facts, forms, repository
from service.openrosa.models import OpenRosaSubmission, SubmissionState
from service.photos import pipeline
from service.photos import repository as photos_repository
from service.photos import service as photos_service
from service.photos.errors import PhotosProcessing
from service.storage.objects import ObjectStore
from service.visits import lifecycle, writes
from service.visits import service as visits_service
from service.visits.schemas import SubmitRequest
from service.visits.transitions import VisitStatus
from service.xforms import Instance, InstanceError, form_id_for, read_header, read_instance

# Ids of the answers, photos and submit of an instance: the same instance gives the same ids,
# so a resend finds everything already stored; an edit is a new instance, so new versions.
NAMESPACE = uuid.UUID("6f1c2a52-6a53-4b8e-9b7e-1d3c0d4e9a11")


class SubmissionInvalid(BadRequest):
    code: ClassVar[ErrorCode] = "submission-invalid"
    title = "Submission invalid"


class SubmissionConflict(Conflict):
    code: ClassVar[ErrorCode] = "submission-conflict"
    title = "Submission conflict"


@dataclass
class Parts:
    """A submission POST: the instance and the attachments sent with it."""

    xml: bytes
    attachments: dict[str, BinaryIO] = field(default_factory=dict)
    incomplete: bool = False


@dataclass(frozen=True)
class Outcome:
    state: SubmissionState
    created: bool


def derived_id(instance_id: str, *parts: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join((instance_id, *parts)))


def _invalid(exc: InstanceError) -> SubmissionInvalid:
    # The reader words its reasons for the shopper in every language; the envelope picks one.
    texts = {lang: exc.text(lang) for lang in languages.LANGUAGES}
    return SubmissionInvalid(exc.text("en"), errors=[{"reason": exc.code, "message": texts}])


def _instance(session: Session, shopper: User, xml: bytes) -> Instance:
    try:
        header = read_header(xml)
    except InstanceError as exc:
        raise _invalid(exc) from None
    checklist = forms.checklist_of(session, shopper, header.form_id, header.version)
    try:
        return read_instance(checklist, xml)
    except InstanceError as exc:
        raise _invalid(exc) from None


def _visit_id(instance: Instance) -> uuid.UUID:
    try:
        return uuid.UUID(str(instance.visit_id))
    except ValueError:
        raise SubmissionInvalid("The form names no visit; pick the visit and send again.") from None


def receive(
    session: Session,
    store: ObjectStore,
    shopper: User,
    parts: Parts,
    *,
    settings: Settings,
    now: dt.datetime,
) -> Outcome:
    """Store one submission POST; the visit is submitted once all of it is in.

    Raises:
        SubmissionInvalid: the XML is no instance of one of our forms.
        SubmissionConflict: the instance id was sent with other XML, or an edit's
            ``deprecatedID`` is not the visit's current instance.
        VisitNotFound, VisitNotEditable: the visit is not the shopper's, or not in their hands.
        The photo pipeline's rejections (nothing stored when any attachment is refused),
        AnswersInvalid, SubmissionIncomplete.
    """
    instance = _instance(session, shopper, parts.xml)
    sha = hashlib.sha256(parts.xml).hexdigest()
    visit = visits_service.get_visit(session, shopper, _visit_id(instance))
    if form_id_for(checklist_for_visit(session, visit)) != instance.form_id:
        raise SubmissionInvalid(
            f"Form {instance.form_id} is not the form of visit {visit.id}; pick the visit in "
            "its own form."
        )
    existing = repository.submission(session, instance.instance_id)
    if existing is not None and (existing.xml_sha256 != sha or existing.user_id != shopper.id):
        raise SubmissionConflict(
            f"Instance {instance.instance_id} was received before with other content."
        )
    if existing is None and instance.deprecated_id:
        _check_edit(session, instance.deprecated_id, visit.id, visit.status)
    # Every attachment is checked before anything is stored: one refused, none kept.
    photos = _photos(instance, parts)
    for _item, _name, source in photos:
        pipeline.check_header(source, settings.upload)
        source.seek(0)
    for item_code, name, source in photos:
        # Each photo is its own unit (its id derives from the instance): stored now, found
        # again by a resend, whatever happens to the rest of this request.
        photos_service.upload(
            session,
            store,
            visit,
            shopper,
            writes.ShopperWrite(session, visit, shopper, now),
            source=source,
            item_code=item_code,
            taken_at=now,  # Collect sends no capture time; EXIF's is checked by the photo job
            client_id=derived_id(instance.instance_id, item_code, name),
            settings=settings.upload,
            now=now,
        )
    answers = [
        AnswerIn(
            client_id=derived_id(instance.instance_id, answer.item_code),
            item_code=answer.item_code,
            value=answer.value,
            na=answer.na,
            answered_at=now,
        )
        for answer in instance.answers
    ]
    if answers:
        writes.sync_answers(
            session,
            visit.id,
            shopper,
            answers,
            now=now,
            max_batch=settings.limits.max_batch_answers,
            keep_versions=settings.limits.answer_versions_per_item,
        )
    complete = (
        not parts.incomplete
        and not instance.incomplete
        and _all_in(session, instance, sent={name for _, name, _ in photos})
    )
    row = existing
    if row is None:
        row = _record(session, instance, visit.id, shopper, sha, now)
        audit = parts.attachments.get(instance.audit_file) if instance.audit_file else None
        facts.record(
            session,
            visit,
            shopper,
            instance,
            audit=audit.read(facts.MAX_AUDIT_BYTES + 1) if audit is not None else None,
            radius_m=settings.upload.gps_radius_m,
            now=now,
        )
    if row.state in (SubmissionState.partial, SubmissionState.received):
        row.state = SubmissionState.received if complete else SubmissionState.partial
        if complete:
            _finish(session, row, shopper, settings=settings, now=now)
        repository.add(session, row)
    return Outcome(state=row.state, created=existing is None)


def _check_edit(session: Session, deprecated_id: str, visit_id: uuid.UUID, status: str) -> None:
    prior = repository.submission(session, deprecated_id)
    if prior is None or prior.visit_id != visit_id or prior.state == SubmissionState.replaced:
        raise SubmissionConflict(
            f"{deprecated_id} is not the visit's current form; download the visit again."
        )
    if status != VisitStatus.returned:
        raise visits_service.VisitNotEditable(
            "A sent form can be edited only after the coordinator returns the visit."
        )
    prior.state = SubmissionState.replaced
    repository.add(session, prior)


def _photos(instance: Instance, parts: Parts) -> list[tuple[str, str, BinaryIO]]:
    """The (item, file name, bytes) of the photos this POST carries, in the instance's order."""
    found = []
    for item_code, names in instance.attachments.items():
        for name in names:
            source = parts.attachments.get(name)
            if source is not None:
                found.append((item_code, name, source))
    return found


def _all_in(session: Session, instance: Instance, *, sent: set[str]) -> bool:
    # Every file the instance names came with this POST or was stored by an earlier part.
    # (A photo sent again for an edit is the stored one: the upload finds it by its bytes.)
    return all(
        name in sent
        or photos_repository.by_client_id(session, derived_id(instance.instance_id, item, name))
        is not None
        for item, names in instance.attachments.items()
        for name in names
    )


def _record(
    session: Session,
    instance: Instance,
    visit_id: uuid.UUID,
    shopper: User,
    sha: str,
    now: dt.datetime,
) -> OpenRosaSubmission:
    return OpenRosaSubmission(
        instance_id=instance.instance_id,
        deprecated_id=instance.deprecated_id,
        visit_id=visit_id,
        user_id=shopper.id,
        form_id=instance.form_id,
        form_version=instance.version,
        xml_sha256=sha,
        state=SubmissionState.partial,
        received_at=now,
    )


def _finish(
    session: Session,
    row: OpenRosaSubmission,
    shopper: User,
    *,
    settings: Settings,
    now: dt.datetime,
) -> None:
    """Submit the visit for ``row``, unless its photos are still being processed."""
    visit = visits_service.get_visit(session, shopper, row.visit_id)
    if visit.status not in (VisitStatus.in_progress, VisitStatus.returned):
        return
    # Collect sends no submit time: the server's stands in, kept as neither the phone's time
    # nor a clock skew; the id, derived from the instance, tells a retry.
    request = SubmitRequest(client_id=derived_id(row.instance_id, "submit"), submitted_at=now)
    try:
        lifecycle.submit(
            session,
            visit,
            shopper,
            request,
            now=now,
            skew_warn_seconds=settings.limits.clock_skew_warn_seconds,
            device_clock=False,
        )
    except PhotosProcessing:
        return  # submitted by finish_waiting at the shopper's next Collect request
    row.state = SubmissionState.submitted
    row.submitted_at = now


def finish_waiting(session: Session, shopper: User, *, settings: Settings, now: dt.datetime) -> int:
    """Submit the visits whose forms were all in but whose photos were still processing.

    Collect asks (HEAD before sending, the form list on refresh) often enough that this is
    where a visit waiting for its photo jobs moves on. Returns how many were submitted.
    """
    done = 0
    for row in repository.waiting(session, shopper.id):
        try:
            _finish(session, row, shopper, settings=settings, now=now)
        except lifecycle.SubmissionIncomplete:
            continue  # a photo was rejected: the coordinator sees the visit in progress
        if row.state == SubmissionState.submitted:
            repository.add(session, row)
            done += 1
    return done
