"""Finishing direct uploads, deleting a visit's photos, and sweeping what was left behind."""

import datetime as dt
import hashlib
import tempfile
from typing import IO, NoReturn

from sqlmodel import Session

from service import db
from service.config import UploadSettings
from service.errors import ServiceError
from service.observability import metrics
from service.photos import errors, pipeline, repository
from service.photos import service as photos_service
from service.photos.models import Photo, PhotoStatus
from service.photos.schemas import CleanupReport
from service.photos.visit import PhotoVisit, VisitWriter
from service.storage.objects import ObjectStore


def _download(store: ObjectStore, key: str, limit: int) -> tuple[IO[bytes], str, int]:
    """Copy an object into a spooled file (bounded), returning it with its sha256 and size."""
    spool = tempfile.SpooledTemporaryFile(max_size=pipeline.CHUNK)
    digest, size = hashlib.sha256(), 0
    with store.open(key) as body:
        while chunk := body.read(pipeline.CHUNK):
            size += len(chunk)
            if size > limit:
                break
            digest.update(chunk)
            spool.write(chunk)
    spool.seek(0)
    return spool, digest.hexdigest(), size


def _keys(photo: Photo) -> list[str]:
    keys = (
        photo.original_key,
        photo.thumb_key,
        photo.display_key,
        photos_service.staging_key(photo),
    )
    return [k for k in keys if k]


def _discard(session: Session, store: ObjectStore, photo: Photo) -> None:
    store.delete_many(_keys(photo))
    repository.remove(session, [photo])


def _reject(session: Session, store: ObjectStore, photo: Photo, problem: ServiceError) -> NoReturn:
    """Raise ``problem``; the rejected upload is removed in a transaction of its own.

    The request's transaction rolls back with the error; the removal must last regardless, so
    it is committed after, and only if the upload is still pending (a racing retry may have
    stored it meanwhile).
    """
    photo_id = photo.id

    def remove(own: Session) -> None:
        row = repository.get(own, photo_id)
        if row is not None and not _stored(row):
            _discard(own, store, row)

    metrics.UPLOADS.labels(problem.code).inc()
    db.after_request(session, remove)
    raise problem


def _stored(photo: Photo) -> bool:
    # A call, not an inline comparison: mypy keeps the status narrowed before session.refresh
    # and would call the second check (after the refresh) impossible.
    return photo.status == PhotoStatus.stored


def complete(
    session: Session,
    store: ObjectStore,
    photo: Photo,
    visit: PhotoVisit,
    writer: VisitWriter,
    *,
    settings: UploadSettings,
    now: dt.datetime,
) -> Photo:
    """Check and process a directly uploaded photo.

    Returns the stored photo (or the earlier photo of the same bytes for the same item).

    Raises:
        UploadMissing: nothing has arrived at the upload URL yet; PUT, then retry.
        PhotoTooLarge, ChecksumMismatch, TooManyPhotos, and the image rejections: the upload
            is removed (object and row) once the request's transaction has rolled back.
    """
    if _stored(photo):
        return photo
    writer.check_editable()
    staged = photos_service.staging_key(photo)
    size = store.size(staged)
    if size is None:
        raise errors.UploadMissing("Nothing was uploaded yet; PUT the file to its URL first.")
    # Copying and decoding are slow; hold no connection meanwhile, lock the visit after.
    with db.released(session):
        source, sha, received = _download(store, staged, settings.max_bytes)
    visit = writer.lock()
    session.refresh(photo)
    if _stored(photo):
        # A retry that raced the first complete: that one stored it.
        source.close()
        return photo
    with source:
        problem: ServiceError | None = None
        if received > settings.max_bytes:
            problem = errors.PhotoTooLarge(f"A photo may be at most {settings.max_bytes} bytes.")
        elif sha != photo.declared_sha256 or received != photo.declared_size:
            problem = errors.ChecksumMismatch(
                f"The uploaded bytes (sha256 {sha}, {received} bytes) are not the declared "
                f"ones (sha256 {photo.declared_sha256}, {photo.declared_size} bytes)."
            )
        elif (same := repository.same_bytes(session, visit.id, photo.item_code, sha)) is not None:
            # The same bytes for the same item: the earlier photo stands. The same bytes for
            # another item fall through and become a photo of this item with its own objects.
            _discard(session, store, photo)
            return same
        elif repository.count_for_item(session, visit.id, photo.item_code) >= (
            photos_service.max_photos(session, visit, photo.item_code)
        ):
            problem = errors.TooManyPhotos(f"Item {photo.item_code} already has all its photos.")
        if problem is None:
            try:
                done = pipeline.decode(source, settings)
            except ServiceError as exc:
                problem = exc
        if problem is not None:
            _reject(session, store, photo, problem)
        flags = pipeline.flags_for_photo(session, visit, photo, done, settings)
        pipeline.fill(photo, done, flags, now)
        photo.expires_at = None
        source.seek(0)
        store.put(photo.original_key, source, content_type=done.info.mime)  # type: ignore[arg-type]
        pipeline.put_variants(store, photo, done)
        store.delete(staged)
        session.add(photo)
        session.flush()
    metrics.UPLOADS.labels("stored").inc()
    metrics.UPLOAD_BYTES.inc(received)
    return photo


def delete_for_visit(session: Session, store: ObjectStore, visit: PhotoVisit) -> int:
    """Remove every photo of the visit: rows, originals and derivatives.

    The objects go once the rows' removal has committed: a failed commit leaves every row with
    its objects, and objects left by a failed deletion are orphans `mshop photos cleanup`
    sweeps.
    """
    photos = repository.all_for_visit(session, visit.id)
    keys = [k for p in photos for k in (p.original_key, p.thumb_key, p.display_key) if k]
    repository.remove(session, photos)
    db.after_commit(session, lambda: store.delete_many(keys))
    return len(photos)


def cleanup(
    session: Session, store: ObjectStore, *, now: dt.datetime, grace: dt.timedelta
) -> CleanupReport:
    """Drop direct uploads never completed, and objects no photo row points at.

    An object younger than ``grace`` may belong to an upload still being committed, so it
    is left for the next run.
    """
    expired = repository.expired_pending(session, now)
    for photo in expired:
        _discard(session, store, photo)
    known = repository.known_keys(session)
    orphans = []
    for key in store.list_keys("photos/"):
        if key in known:
            continue
        modified = store.modified_at(key)
        if modified is not None and now - modified >= grace:
            orphans.append(key)
    store.delete_many(orphans)
    partials = store.remove_partials(now - grace)
    return CleanupReport(
        expired_uploads=len(expired), orphan_objects=len(orphans), partial_files=partials
    )
