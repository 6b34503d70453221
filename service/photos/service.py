"""Photo evidence: checked, processed, stored, flagged; never lost half-way."""

import datetime as dt
import hashlib
import tempfile
import threading
import uuid
from typing import IO, BinaryIO

from sqlmodel import Session

from service import db
from service.auth.models import User
from service.checklists.pinned import checklist_for_visit
from service.config import UploadSettings
from service.isotime import LOCAL_OFFSET
from service.observability import metrics
from service.offices import service as offices_service
from service.photos import errors, repository
from service.photos.flags import Flag, PhotoFacts, bands, flags_for
from service.photos.imaging import (
    ImageLimits,
    ImageRejected,
    ProcessedImage,
    hamming,
    process_image,
)
from service.photos.models import Photo, PhotoStatus
from service.photos.schemas import UploadRequest, UploadTicket
from service.photos.visit import PhotoVisit, VisitWriter
from service.storage.objects import ObjectStore

CHUNK = 1024 * 1024


def limits_of(settings: UploadSettings) -> ImageLimits:
    return ImageLimits(
        max_bytes=settings.max_bytes,
        max_pixels=settings.max_pixels,
        max_pixels_per_byte=settings.max_pixels_per_byte,
        decode_budget_pixels=settings.decode_budget_megapixels * 1_000_000,
        decode_wait_seconds=settings.decode_wait_seconds,
        thumb_px=settings.thumb_px,
        display_px=settings.display_px,
    )


def _check_item(
    session: Session, visit: PhotoVisit, item_code: str, *, with_pending: bool = False
) -> int:
    checklist = checklist_for_visit(session, visit)
    try:
        item = checklist.item(item_code)
    except KeyError:
        raise errors.PhotoItemInvalid(f"The checklist has no item {item_code}.") from None
    bounds = item.photo_bounds()
    if bounds is None:
        raise errors.PhotoItemInvalid(f"Item {item_code} takes no photos.")
    taken = repository.count_for_item(session, visit.id, item_code, with_pending=with_pending)
    if taken >= bounds[1]:
        raise errors.TooManyPhotos(f"Item {item_code} already has its {bounds[1]} photos.")
    return bounds[1]


def max_photos(session: Session, visit: PhotoVisit, item_code: str) -> int:
    bounds = checklist_for_visit(session, visit).item(item_code).photo_bounds()
    return bounds[1] if bounds else 0


def sha256_of(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def staging_key(photo: Photo) -> str:
    """Where a direct upload lands; the verified copy is written to ``original_key``, a key no
    URL was ever issued for, so a reused upload URL cannot replace checked evidence."""
    return photo.original_key.rsplit("/", 1)[0] + "/upload"


def keys_for(visit_id: uuid.UUID, photo_id: uuid.UUID) -> tuple[str, str, str]:
    """Object keys of one photo row. Keys are never shared between rows, even when two rows hold
    the same bytes (one picture as evidence for two items): retention, expired-upload discard and
    the orphan sweep then each delete a row's own keys without reference counting, at the cost of
    a duplicate object in that rare case (bounded by the items' photo limits)."""
    base = f"photos/{visit_id}/{photo_id}"
    return f"{base}/original", f"{base}/thumb.jpg", f"{base}/display.jpg"


_SLOTS: dict[int, threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


def _slots(count: int) -> threading.BoundedSemaphore:
    with _SLOTS_LOCK:
        return _SLOTS.setdefault(count, threading.BoundedSemaphore(count))


def _process(source: IO[bytes], settings: UploadSettings) -> ProcessedImage:
    try:
        with _slots(settings.max_concurrent_processing):
            return process_image(source, limits_of(settings))
    except ImageRejected as exc:
        metrics.UPLOADS.labels(exc.code).inc()
        raise errors.from_rejection(exc) from exc


def _flags(
    session: Session,
    visit: PhotoVisit,
    photo: Photo,
    done: ProcessedImage,
    settings: UploadSettings,
) -> list[str]:
    info = done.info
    office = offices_service.get_office(session, visit.office_id)
    where = (office.latitude, office.longitude)
    found = flags_for(
        PhotoFacts(
            exif_taken_at=info.taken_at,
            exif_offset_known=info.taken_at_offset_known,
            claimed_taken_at=photo.taken_at,
            gps=(info.gps.latitude, info.gps.longitude) if info.gps else None,
            has_exif=bool(info.taken_at or info.gps or info.device),
        ),
        window=(visit.window_start_at, visit.window_end_at),
        office=None if None in where else (float(where[0] or 0), float(where[1] or 0)),
        tolerance=dt.timedelta(minutes=settings.time_tolerance_minutes),
        radius_m=settings.gps_radius_m,
        local_offset=LOCAL_OFFSET,
    )
    candidates = repository.lookalike_candidates(session, visit.id, bands(info.phash))
    if any(c.phash and hamming(c.phash, info.phash) <= settings.phash_distance for c in candidates):
        found.append(Flag.reused_image)
    return [f.value for f in found]


def _fill(photo: Photo, done: ProcessedImage, flags: list[str], now: dt.datetime) -> None:
    info = done.info
    taken = info.taken_at
    if taken is not None and not info.taken_at_offset_known:
        taken = taken.replace(tzinfo=LOCAL_OFFSET)
    photo.sha256, photo.phash, photo.mime = info.sha256, info.phash, info.mime
    photo.phash_band0, photo.phash_band1, photo.phash_band2, photo.phash_band3 = bands(info.phash)
    photo.size_bytes, photo.width, photo.height = info.size_bytes, info.width, info.height
    photo.exif_taken_at = taken.astimezone(dt.UTC) if taken else None
    if info.gps is not None:
        photo.gps_latitude, photo.gps_longitude = info.gps.latitude, info.gps.longitude
    if info.device is not None:
        photo.device = " ".join(p for p in (info.device.make, info.device.model) if p)[:200]
    photo.flags = flags
    photo.status = PhotoStatus.stored
    photo.completed_at = now


def _store_variants(store: ObjectStore, photo: Photo, done: ProcessedImage) -> None:
    for key, name in ((photo.thumb_key, "thumb"), (photo.display_key, "display")):
        assert key is not None
        with tempfile.SpooledTemporaryFile(max_size=CHUNK) as data:
            data.write(done.variants[name])
            data.seek(0)
            store.put(key, data, content_type="image/jpeg")  # type: ignore[arg-type]


def upload(
    session: Session,
    store: ObjectStore,
    visit: PhotoVisit,
    actor: User,
    writer: VisitWriter,
    *,
    source: BinaryIO,
    item_code: str,
    taken_at: dt.datetime,
    client_id: uuid.UUID,
    settings: UploadSettings,
    now: dt.datetime,
) -> tuple[Photo, bool]:
    """Store a photo sent through the API; a retry, or the same bytes again, is one photo.

    A photo is (visit, item, bytes): the same bytes for another item of the visit are a new
    photo of that item, with objects of its own (see ``keys_for``), so deleting one row's
    objects can never take away another row's evidence.

    Raises:
        PhotoConflict: the client id was used for other bytes or another item.
        PhotoItemInvalid, TooManyPhotos, and the image rejections (413, 415, 422).
    """
    sha = sha256_of(source)
    existing = repository.by_client_id(session, client_id)
    if existing is not None:
        if (existing.visit_id, existing.item_code, existing.sha256) == (visit.id, item_code, sha):
            return existing, False
        raise errors.PhotoConflict(
            f"client_id {client_id} was used for another photo; a new photo needs a new client_id."
        )
    same = repository.same_bytes(session, visit.id, item_code, sha)
    if same is not None:
        return same, False
    writer.check_editable()
    _check_item(session, visit, item_code)
    # Decoding and storing take seconds under load; no connection is held meanwhile.
    with db.released(session):
        done = _process(source, settings)
    photo_id = uuid.uuid4()
    original, thumb, display = keys_for(visit.id, photo_id)
    photo = Photo(
        id=photo_id,
        client_id=client_id,
        visit_id=visit.id,
        item_code=item_code,
        status=PhotoStatus.pending,
        taken_at=taken_at.astimezone(dt.UTC),
        original_key=original,
        thumb_key=thumb,
        display_key=display,
        uploaded_by_id=actor.id,
        created_at=now,
    )
    keys = [original, thumb, display]
    try:
        source.seek(0)
        store.put(original, source, content_type=done.info.mime)
        _store_variants(store, photo, done)
        visit = writer.lock()
        # Checked again under the visit's lock: a parallel retry may have stored it first.
        raced = repository.by_client_id(session, client_id) or repository.same_bytes(
            session, visit.id, item_code, sha
        )
        if raced is not None:
            store.delete_many(keys)
            if (raced.visit_id, raced.item_code, raced.sha256) != (visit.id, item_code, sha):
                raise errors.PhotoConflict(
                    f"client_id {client_id} was used for another photo; "
                    "a new photo needs a new client_id."
                )
            return raced, False
        _check_item(session, visit, item_code)
        _fill(photo, done, _flags(session, visit, photo, done, settings), now)
        repository.add(session, photo)
    except BaseException:
        store.delete_many(keys)
        raise
    metrics.UPLOADS.labels("stored").inc()
    metrics.UPLOAD_BYTES.inc(done.info.size_bytes)
    return photo, True


def request_upload(
    session: Session,
    store: ObjectStore,
    visit: PhotoVisit,
    actor: User,
    writer: VisitWriter,
    request: UploadRequest,
    *,
    settings: UploadSettings,
    now: dt.datetime,
) -> UploadTicket:
    """Reserve a photo and return a presigned PUT bound to its size and type (S3 only)."""
    if request.size_bytes > settings.max_bytes:
        raise errors.PhotoTooLarge(f"A photo may be at most {settings.max_bytes} bytes.")
    photo = repository.by_client_id(session, request.client_id)
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
        visit = writer.lock()
        _check_item(session, visit, request.item_code, with_pending=True)
        photo_id = uuid.uuid4()
        original, thumb, display = keys_for(visit.id, photo_id)
        photo = Photo(
            id=photo_id,
            client_id=request.client_id,
            visit_id=visit.id,
            item_code=request.item_code,
            status=PhotoStatus.pending,
            declared_sha256=request.sha256,
            declared_size=request.size_bytes,
            taken_at=request.taken_at.astimezone(dt.UTC),
            original_key=original,
            thumb_key=thumb,
            display_key=display,
            uploaded_by_id=actor.id,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.pending_ttl_seconds),
        )
        repository.add(session, photo)
    url = store.presign_put(
        staging_key(photo),
        content_type=request.content_type,
        content_length=request.size_bytes,
        expires_seconds=settings.presign_seconds,
    )
    if url is None:
        raise errors.DirectUploadUnavailable(
            "This server stores photos locally; upload through POST /visits/{id}/photos."
        )
    return UploadTicket(
        photo_id=photo.id,
        upload_url=url,
        headers={"Content-Type": request.content_type, "Content-Length": str(request.size_bytes)},
        expires_at=now + dt.timedelta(seconds=settings.presign_seconds),
    )
