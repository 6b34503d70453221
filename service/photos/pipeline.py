"""The photo pipeline: one path from received bytes to a stored, flagged photo.

A multipart upload (``service.upload``) checks the header (``check_header``), stores the
original and leaves the photo ``processing``; a direct upload completed later
(``lifecycle.complete``) does the same after a HEAD. The photo job (``processing``) then
decodes, flags, fills and stores the copies through these functions, whichever way the photo
arrived.
"""

import datetime as dt
import hashlib
import io
import threading
from typing import IO, BinaryIO

from sqlmodel import Session

from service import db
from service.config import UploadSettings
from service.isotime import LOCAL_OFFSET
from service.observability import metrics
from service.offices import service as offices_service
from service.photos import errors, repository
from service.photos.flags import Flag, PhotoFacts, bands, flags_for
from service.photos.header import CHUNK, HeaderInfo, ImageLimits, ImageRejected, inspect_header
from service.photos.imaging import ProcessedImage, hamming, process_image
from service.photos.models import Photo, PhotoStatus
from service.photos.visit import PhotoVisit
from service.storage.objects import ObjectStore


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


def sha256_of(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


_SLOTS: dict[int, threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


def _slots(count: int) -> threading.BoundedSemaphore:
    with _SLOTS_LOCK:
        return _SLOTS.setdefault(count, threading.BoundedSemaphore(count))


def check_header(
    source: IO[bytes], settings: UploadSettings, *, sha256: str | None = None
) -> HeaderInfo:
    """What the upload's header tells (format, size, pixel cap, compression ratio, EXIF) and
    its sha256 (``sha256`` when the caller hashed the bytes as they arrived), without
    decoding a pixel.

    Raises:
        The image rejections (413, 415, 422) the header alone can prove.
    """
    try:
        return inspect_header(source, limits_of(settings), sha256=sha256)
    except ImageRejected as exc:
        metrics.UPLOADS.labels(exc.code).inc()
        raise errors.from_rejection(exc) from exc


def fill_header(photo: Photo, info: HeaderInfo) -> None:
    """Record what the header told; the photo job adds the hash, the flags and the copies."""
    taken = info.taken_at
    if taken is not None and not info.taken_at_offset_known:
        taken = taken.replace(tzinfo=LOCAL_OFFSET)
    photo.sha256, photo.mime = info.sha256, info.mime
    photo.size_bytes, photo.width, photo.height = info.size_bytes, info.width, info.height
    photo.exif_taken_at = taken.astimezone(dt.UTC) if taken else None
    if info.gps is not None:
        photo.gps_latitude, photo.gps_longitude = info.gps.latitude, info.gps.longitude
    if info.device is not None:
        photo.device = " ".join(p for p in (info.device.make, info.device.model) if p)[:200]


def decode(source: IO[bytes], settings: UploadSettings) -> ProcessedImage:
    """Check and decode a photo, within the per-process budget, into its copies and facts."""
    try:
        with _slots(settings.max_concurrent_processing):
            return process_image(source, limits_of(settings))
    except ImageRejected as exc:
        metrics.UPLOADS.labels(exc.code).inc()
        raise errors.from_rejection(exc) from exc


def flags_for_photo(
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


def fill(photo: Photo, done: ProcessedImage, flags: list[str], now: dt.datetime) -> None:
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
    photo.status = PhotoStatus.ready
    photo.completed_at = now


def put_variants(store: ObjectStore, photo: Photo, done: ProcessedImage) -> None:
    for key, name in ((photo.thumb_key, "thumb"), (photo.display_key, "display")):
        assert key is not None
        data = done.variants[name]
        store.put(
            key,
            io.BytesIO(data),
            content_type="image/jpeg",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )


def delete_after_request(session: Session, store: ObjectStore, keys: list[str]) -> None:
    """Delete objects no row will point at, once the request's transaction has ended.

    For objects put before a failure (or before a parallel retry turned out to have won):
    whatever the request's outcome, and never while it holds a transaction (on SQLite the
    write lock): the store may take seconds to answer, or its deadline to pass. A failed
    deletion is logged by ``db.finish_request``; the orphan sweep gets what it left.
    """

    def drop(own: Session) -> None:
        with db.released(own):
            store.delete_many(keys)

    db.after_request(session, drop)
