"""Photo evidence: checked, processed, stored, flagged; never lost half-way."""

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import BinaryIO

from sqlmodel import Session

from service import db
from service.auth.models import User
from service.checklists.format import ResolvedChecklist
from service.config import UploadSettings
from service.observability import metrics
from service.photos import errors, jobs, pipeline, repository
from service.photos.header import HeaderInfo
from service.photos.models import Photo, PhotoStatus
from service.photos.visit import PhotoVisit, VisitWriter
from service.storage.objects import ObjectStore, PendingPut, StorageUnavailable
from service.storage.streaming import StreamFailed, StreamingPut

log = logging.getLogger("mshop")


def _check_item(
    session: Session,
    visit: PhotoVisit,
    checklist: ResolvedChecklist,
    item_code: str,
    *,
    with_pending: bool = False,
) -> int:
    """The item's photo limit, once it is known the item takes one more photo."""
    limit = item_limit(checklist, item_code)
    _check_room(session, visit, item_code, limit, with_pending=with_pending)
    return limit


def item_limit(checklist: ResolvedChecklist, item_code: str) -> int:
    """The most photos ``item_code`` takes; refused if the checklist has no such item or it
    takes none."""
    try:
        item = checklist.item(item_code)
    except KeyError:
        raise errors.PhotoItemInvalid(f"The checklist has no item {item_code}.") from None
    bounds = item.photo_bounds()
    if bounds is None:
        raise errors.PhotoItemInvalid(f"Item {item_code} takes no photos.")
    return bounds[1]


def _check_room(
    session: Session, visit: PhotoVisit, item_code: str, limit: int, *, with_pending: bool = False
) -> None:
    taken = repository.count_for_item(session, visit.id, item_code, with_pending=with_pending)
    if taken >= limit:
        raise errors.TooManyPhotos(f"Item {item_code} already has its {limit} photos.")


class ItemRoom:
    """The photos each item of a visit held under its lock may still take: counted once an
    item in a request, then taken off as the request adds photos, flushed or not."""

    def __init__(
        self,
        session: Session,
        visit: PhotoVisit,
        limit_of: Callable[[str], int],
        *,
        with_pending: bool = False,
    ) -> None:
        self._session, self._visit, self._limit_of = session, visit, limit_of
        self._with_pending = with_pending
        self.limits: dict[str, int] = {}
        self._left: dict[str, int] = {}

    def take(self, item_code: str) -> bool:
        """Whether the item takes one more photo; if it does, that photo is counted."""
        if item_code not in self._left:
            limit = self.limits[item_code] = self._limit_of(item_code)
            taken = repository.count_for_item(
                self._session, self._visit.id, item_code, with_pending=self._with_pending
            )
            self._left[item_code] = limit - taken
        if self._left[item_code] <= 0:
            return False
        self._left[item_code] -= 1
        return True


def _same_photo(
    found: Photo, client_id: uuid.UUID, visit_id: uuid.UUID, item_code: str, sha: str
) -> Photo:
    """``found`` when it is this upload sent before; a client id sent with other bytes or for
    another item is a conflict."""
    if (found.visit_id, found.item_code, found.sha256) == (visit_id, item_code, sha):
        return found
    raise errors.PhotoConflict(
        f"client_id {client_id} was used for another photo; a new photo needs a new client_id."
    )


def _abandon(session: Session, store: ObjectStore, storing: PendingPut, key: str) -> None:
    """Let a put the request will not use finish, then delete its object after the request
    (a delete before the put ends could leave the object behind)."""
    with db.released(session):
        try:
            storing.wait()
        except StorageUnavailable:
            pass  # the object may or may not exist: the delete covers both
    pipeline.delete_after_request(session, store, [key])


def _start_put(store: ObjectStore, key: str, source: BinaryIO, header: HeaderInfo) -> PendingPut:
    source.seek(0)
    return store.start_put(
        key, source, content_type=header.mime, size=header.size_bytes, sha256=header.sha256
    )


def _put(store: ObjectStore, key: str, source: BinaryIO, header: HeaderInfo) -> None:
    _start_put(store, key, source, header).wait()


class _Streamed:
    """A stream as a ``PendingPut``: its failure is the store's (StorageUnavailable), or, given
    ``fallback``, the bytes are put again that way."""

    def __init__(self, stream: StreamingPut, fallback: Callable[[], None] | None = None) -> None:
        self._stream = stream
        self._fallback = fallback

    def wait(self) -> None:
        try:
            self._stream.wait()
        except StreamFailed as exc:
            if self._fallback is None or exc.timed_out:  # a store that hangs would again
                raise StorageUnavailable(str(exc)) from exc
            log.info("streamed put failed (%s); storing the received bytes", exc)
            self._fallback()


def max_photos(checklist: ResolvedChecklist, item_code: str) -> int:
    bounds = checklist.item(item_code).photo_bounds()
    return bounds[1] if bounds else 0


def keys_for(visit_id: uuid.UUID, photo_id: uuid.UUID) -> tuple[str, str, str]:
    """Object keys of one photo row. Keys are never shared between rows, even when two rows hold
    the same bytes (one picture as evidence for two items): retention, expired-upload discard and
    the orphan sweep then each delete a row's own keys without reference counting, at the cost of
    a duplicate object in that rare case (bounded by the items' photo limits)."""
    base = f"photos/{visit_id}/{photo_id}"
    return f"{base}/original", f"{base}/thumb.jpg", f"{base}/display.jpg"


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
    sha256: str | None = None,
    photo_id: uuid.UUID | None = None,
    stream: StreamingPut | None = None,
) -> tuple[Photo, bool]:
    """Store a photo sent through the API, to be processed; a retry, or the same bytes again,
    is one photo.

    Only what the header tells is checked here (format, size, pixels, compression ratio,
    EXIF; ``sha256`` when the caller hashed the bytes as they arrived) and the original
    stored, its sha256 the store's checksum: the photo is answered ``processing``, and a photo job,
    queued in the same transaction as its row, decodes it, makes its copies and marks it
    ``ready`` or ``rejected`` (``processing.Processor``).

    ``stream``, when the bytes were stored as they arrived (to ``photo_id``'s original), is
    waited for instead of a put, and its object deleted when the upload is a retry or refused.

    A photo is (visit, item, bytes): the same bytes for another item of the visit are a new
    photo of that item, with objects of its own (see ``keys_for``), so deleting one row's
    objects can never take away another row's evidence.

    Raises:
        PhotoConflict: the client id was used for other bytes or another item.
        PhotoItemInvalid, TooManyPhotos, and the header's rejections (413, 415, 422).
    """
    photo_id = photo_id or uuid.uuid4()
    original, thumb, display = keys_for(visit.id, photo_id)
    if stream is not None and stream.key != original:
        raise ValueError(f"the stream stored {stream.key}, not the photo's {original}")
    try:
        header = pipeline.check_header(source, settings, sha256=sha256)
        existing = repository.by_client_id(session, client_id)  # a retry costs no store call
    except BaseException:
        if stream is not None:
            _abandon(session, store, _Streamed(stream), original)
        raise
    sha = header.sha256
    if existing is not None:
        if stream is not None:
            _abandon(session, store, _Streamed(stream), original)
        return _same_photo(existing, client_id, visit.id, item_code, sha), False
    storing: PendingPut
    if stream is not None:
        # Stored while it arrived (see photo_form); put again from memory if that failed.
        storing = _Streamed(stream, lambda: _put(store, original, source, header))
        # An upload given up on waits for the stream only to delete after it: never put.
        abandoned: PendingPut = _Streamed(stream)
    else:
        # The bytes travel to the store (~30 ms for a phone's photo, its deadline when it
        # hangs) while the checks below read the database; the wait for them holds no
        # transaction, connection or SQLite lock. A refused photo's object goes once the
        # request has ended.
        with db.released(session):
            try:
                storing = abandoned = _start_put(store, original, source, header)
            except BaseException:
                pipeline.delete_after_request(session, store, [original])
                raise
    try:
        same = repository.same_bytes(session, visit.id, item_code, sha)
        if same is None:
            writer.check_editable()
            limit = _check_item(session, visit, writer.checklist(), item_code)
    except BaseException:
        _abandon(session, store, abandoned, original)
        raise
    if same is not None:
        _abandon(session, store, abandoned, original)
        return same, False
    # Built while the store still receives: after the wait, only what needs the lock.
    photo = Photo(
        id=photo_id,
        client_id=client_id,
        visit_id=visit.id,
        item_code=item_code,
        status=PhotoStatus.processing,
        taken_at=taken_at.astimezone(dt.UTC),
        original_key=original,
        thumb_key=thumb,
        display_key=display,
        uploaded_by_id=actor.id,
        created_at=now,
    )
    pipeline.fill_header(photo, header)
    with db.released(session):
        try:
            storing.wait()
        except BaseException:
            pipeline.delete_after_request(session, store, [original])
            raise
    try:
        visit = writer.lock()
        # Checked again under the visit's lock: a parallel retry may have stored it first.
        raced = repository.same_client_id_or_bytes(session, client_id, visit.id, item_code, sha)
        if raced is None:
            _check_room(session, visit, item_code, limit)
            repository.add(session, photo)
            jobs.enqueue(session, photo.id, now)
    except BaseException:
        # Whatever failed, the object goes once the request's transaction has rolled back.
        pipeline.delete_after_request(session, store, [original])
        raise
    if raced is not None:
        pipeline.delete_after_request(session, store, [original])
        return _same_photo(raced, client_id, visit.id, item_code, sha), False
    metrics.UPLOADS.labels("stored").inc()
    metrics.UPLOAD_BYTES.inc(header.size_bytes)
    return photo, True
