"""Direct uploads' tickets: photos reserved under the visit's lock, each with a presigned PUT
to its final key (``photos.lifecycle.complete`` finishes them)."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlmodel import Session

from service.auth.models import User
from service.config import UploadSettings
from service.errors import ValidationFailed
from service.photos import errors, repository
from service.photos.models import Photo, PhotoStatus
from service.photos.schemas import UploadRequest, UploadTicket
from service.photos.service import ItemRoom, item_limit, keys_for
from service.photos.visit import PhotoVisit, VisitWriter
from service.storage.objects import ObjectStore


def request_uploads(
    session: Session,
    store: ObjectStore,
    visit: PhotoVisit,
    actor: User,
    writer: VisitWriter,
    requests: Sequence[UploadRequest],
    *,
    settings: UploadSettings,
    now: dt.datetime,
) -> list[UploadTicket]:
    """Reserve photos and return, for each, a presigned PUT to its final key (S3 only).

    All or nothing: any refused request refuses the batch. Each URL can create its object
    once, with the declared bytes only (see ``ObjectStore.presign_put``); asking again with
    the same ``client_id`` and bytes returns a fresh URL for the same reservation.

    Raises:
        ValidationFailed: more requests than ``max_tickets_per_request``.
        PhotoTooLarge, PhotoConflict, PhotoItemInvalid, TooManyPhotos (pending reservations
            count), DirectUploadUnavailable (a local store has no URLs).
    """
    if len(requests) > settings.max_tickets_per_request:
        raise ValidationFailed(
            f"uploads: at most {settings.max_tickets_per_request} photos a request; split them."
        )
    for request in requests:
        if request.size_bytes > settings.max_bytes:
            raise errors.PhotoTooLarge(f"A photo may be at most {settings.max_bytes} bytes.")
    photos: list[Photo | _Reservation] = []
    locked: PhotoVisit | None = None
    known: dict[uuid.UUID, Photo | _Reservation] = dict(
        repository.by_client_ids(session, [r.client_id for r in requests])
    )
    room: ItemRoom | None = None  # pending reservations count, this batch's own included
    new: list[_Reservation] = []
    for request in requests:
        photo = known.get(request.client_id)
        if photo is not None:
            same = (photo.visit_id, photo.item_code, photo.declared_sha256) == (
                visit.id,
                request.item_code,
                request.sha256,
            )
            if not same or photo.status != PhotoStatus.pending:
                raise errors.PhotoConflict(
                    f"client_id {request.client_id} is already used for another or finished upload."
                )
        else:
            if locked is None or room is None:
                locked = writer.lock()
                limits = partial(item_limit, writer.checklist())
                room = ItemRoom(session, locked, limits, with_pending=True)
            code = request.item_code
            if not room.take(code):
                limit = room.limits[code]
                raise errors.TooManyPhotos(f"Item {code} already has its {limit} photos.")
            photo = _reserve(locked, actor, request, settings=settings, now=now)
            known[request.client_id] = photo
            new.append(photo)
        photos.append(photo)
    repository.insert_rows(session, [reservation.row for reservation in new])
    tickets = []
    for photo, request in zip(photos, requests, strict=True):
        put = store.presign_put(
            photo.original_key,
            content_type=request.content_type,
            content_length=request.size_bytes,
            sha256=request.sha256,
            expires_seconds=settings.presign_seconds,
        )
        if put is None:
            raise errors.DirectUploadUnavailable(
                "This server stores photos locally; upload through POST /visits/{id}/photos."
            )
        tickets.append(
            UploadTicket(
                photo_id=photo.id,
                client_id=photo.client_id,
                upload_url=put.url,
                headers=put.headers,
                expires_at=now + dt.timedelta(seconds=settings.presign_seconds),
            )
        )
    return tickets


@dataclass(frozen=True, slots=True)
class _Reservation:
    """A photo this request reserves: what the batch's checks and its ticket read, and its
    row, inserted with the batch's others in one statement (an ORM ``Photo`` costs more to
    build and flush than the insert itself: about 0.3 ms each on the bench machine)."""

    id: uuid.UUID
    client_id: uuid.UUID
    visit_id: uuid.UUID
    item_code: str
    declared_sha256: str
    original_key: str
    row: dict[str, Any]
    status: PhotoStatus = PhotoStatus.pending


def _reserve(
    visit: PhotoVisit,
    actor: User,
    request: UploadRequest,
    *,
    settings: UploadSettings,
    now: dt.datetime,
) -> _Reservation:
    photo_id = uuid.uuid4()
    original, thumb, display = keys_for(visit.id, photo_id)
    row = {
        "id": photo_id,
        "client_id": request.client_id,
        "visit_id": visit.id,
        "item_code": request.item_code,
        "status": PhotoStatus.pending,
        "declared_sha256": request.sha256,
        "declared_size": request.size_bytes,
        "taken_at": request.taken_at.astimezone(dt.UTC),
        "original_key": original,
        "thumb_key": thumb,
        "display_key": display,
        "uploaded_by_id": actor.id,
        "created_at": now,
        "expires_at": now + dt.timedelta(seconds=settings.pending_ttl_seconds),
    }
    return _Reservation(
        id=photo_id,
        client_id=request.client_id,
        visit_id=visit.id,
        item_code=request.item_code,
        declared_sha256=request.sha256,
        original_key=original,
        row=row,
    )
