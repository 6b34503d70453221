"""Finishing direct uploads, deleting a visit's photos, and sweeping what was left behind."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import NoReturn

from sqlmodel import Session

from service import db
from service.config import UploadSettings
from service.errors import ServiceError
from service.observability import metrics
from service.photos import errors, jobs, repository
from service.photos import service as photos_service
from service.photos.models import Photo, PhotoStatus
from service.photos.schemas import CleanupReport
from service.photos.visit import PhotoVisit, VisitWriter
from service.storage.objects import ObjectStore, StoredObject


def _keys(photo: Photo) -> list[str]:
    return [k for k in (photo.original_key, photo.thumb_key, photo.display_key) if k]


def _discard(session: Session, store: ObjectStore, photo: Photo) -> None:
    store.delete_many(_keys(photo))
    repository.remove(session, [photo])


def _reject(session: Session, store: ObjectStore, photo: Photo, problem: ServiceError) -> NoReturn:
    """Raise ``problem``; the rejected upload is removed once the request has ended.

    The request's transaction rolls back with the error; the removal must last regardless, so
    the row goes in a transaction of its own, and only if the upload is still pending (a
    racing retry may have stored it meanwhile); its objects go after that commit, with no
    transaction held while the store answers.
    """
    photo_id, keys = photo.id, _keys(photo)
    removed: list[bool] = []

    def remove_row(own: Session) -> None:
        row = repository.get(own, photo_id)
        if row is not None and not _done(row):
            repository.remove(own, [row])
            removed.append(True)

    def remove_objects(own: Session) -> None:
        if removed:  # the row's removal committed: nothing points at the objects any more
            with db.released(own):
                store.delete_many(keys)

    metrics.UPLOADS.labels(problem.code).inc()
    db.after_request(session, remove_row)
    db.after_request(session, remove_objects)
    raise problem


def _done(photo: Photo) -> bool:
    """Completed: processing, ready or rejected (a direct upload is pending until then).

    A call, not an inline comparison: mypy keeps the status narrowed before a reload and
    would call the second check (after it) impossible."""
    return photo.status != PhotoStatus.pending


def on_step(name: str) -> None:
    """Called between the steps of ``complete``; does nothing.

    tests/faults/test_complete_crash.py replaces it in a served process to kill that process
    at each step and prove that the phone's retry of ``complete`` still finishes the upload.
    """


def _mismatch(photo: Photo, size: int, sha256: str | None) -> ServiceError | None:
    return errors.checksum_mismatch(
        ("sha256", photo.declared_sha256, sha256),
        ("size_bytes", photo.declared_size, size),
        retry="upload them again.",
    )


def _drop_duplicate(session: Session, store: ObjectStore, photo: Photo, same: Photo) -> Photo:
    """The same bytes for the same item: the earlier photo stands and this upload goes, its
    objects once the row's removal has committed. (The same bytes for another item become
    a photo of that item with its own objects.)"""
    keys = _keys(photo)
    repository.remove(session, [photo])
    db.after_commit(session, lambda: store.delete_many(keys))
    return same


def complete(
    session: Session,
    store: ObjectStore,
    photo: Photo,
    writer: VisitWriter,
    *,
    settings: UploadSettings,
    now: dt.datetime,
) -> Photo:
    """Check a directly uploaded photo and queue its processing.

    The phone PUT the original straight to its final key, with its size and sha256 bound
    into the URL (the store refused anything else); a HEAD confirms what arrived, and the
    photo becomes ``processing`` with its job in the same transaction (the job decodes it,
    makes its copies and marks it ready or rejected, as for a multipart upload). Every step
    can be repeated: the original is never moved or deleted on the way and the row changes
    last, so a retry after a crash at any step finishes the upload
    (tests/faults/test_complete_crash.py). No transaction is held while the store is called.

    Returns the photo (or the earlier photo of the same bytes for the same item).

    Raises:
        UploadMissing: nothing has arrived at the upload URL yet; PUT, then retry.
        PhotoTooLarge, ChecksumMismatch, TooManyPhotos: the upload is removed (row, then
            objects) once the request's transaction has rolled back.
        StorageUnavailable: nothing is removed; retry later.
    """
    (done,) = complete_many(session, store, [photo], writer, settings=settings, now=now)
    return done


def complete_many(
    session: Session,
    store: ObjectStore,
    photos: Sequence[Photo],
    writer: VisitWriter,
    *,
    settings: UploadSettings,
    now: dt.datetime,
) -> list[Photo]:
    """``complete`` for several direct uploads of one visit: their HEADs go to the store at
    once, then each is checked and queued as ``complete`` does, in one transaction.

    All or nothing, as the tickets were given: the first refusal refuses the request (its
    upload is removed, as by ``complete``) and the others stay pending, to be completed again.

    Raises:
        As ``complete``.
    """
    waiting = [p for p in photos if not _done(p)]
    if not waiting:
        return list(photos)
    writer.check_editable()
    with db.released(session):
        heads = store.head_many([p.original_key for p in waiting])
    found = dict(zip((p.id for p in waiting), heads, strict=True))
    state = _Completing(session, writer, waiting)
    done = [
        _complete_found(session, store, p, found[p.id], state, settings=settings, now=now)
        if p.id in found
        else p
        for p in photos
    ]
    if state.queued:
        # One UPDATE of the rows and one INSERT of their jobs, for however many photos.
        session.flush()
        jobs.enqueue_many(session, [p.id for p in state.queued], now)
        on_step("row-flushed")
        metrics.UPLOADS.labels("stored").inc(len(state.queued))
        metrics.UPLOAD_BYTES.inc(sum(p.size_bytes or 0 for p in state.queued))
    return done


@dataclass
class _Completing:
    """What one request completing uploads reads once, under the visit's lock: its photos as
    they are now, the stored photos with their bytes, and the photos each item may still take
    (then taken, and the stored ones added, as they complete)."""

    session: Session
    writer: VisitWriter
    waiting: Sequence[Photo]
    visit: PhotoVisit | None = None
    rows: dict[uuid.UUID, Photo] = field(default_factory=dict)
    stored: dict[tuple[str, str], Photo] = field(default_factory=dict)
    room: photos_service.ItemRoom | None = None
    queued: list[Photo] = field(default_factory=list)

    def locked(self) -> PhotoVisit:
        if self.visit is None:
            visit = self.visit = self.writer.lock()
            limits = partial(photos_service.max_photos, self.writer.checklist())
            self.room = photos_service.ItemRoom(self.session, visit, limits)
            ids = [p.id for p in self.waiting]
            self.rows = {p.id: p for p in repository.reload_many(self.session, ids)}
            shas = [p.declared_sha256 for p in self.waiting if p.declared_sha256]
            self.stored = {
                (p.item_code, p.sha256 or ""): p
                for p in repository.with_bytes(self.session, self.visit.id, shas)
            }
        return self.visit

    def current(self, photo_id: uuid.UUID) -> Photo | None:
        """The photo as it is under the lock (None: removed meanwhile)."""
        self.locked()
        return self.rows.get(photo_id)

    def same_bytes(self, item_code: str, sha: str) -> Photo | None:
        self.locked()
        return self.stored.get((item_code, sha))

    def take_room(self, photo: Photo, sha: str) -> bool:
        """Whether the photo's item takes one more photo (then counted as taken)."""
        self.locked()
        assert self.room is not None
        if not self.room.take(photo.item_code):
            return False
        self.stored[(photo.item_code, sha)] = photo
        return True


def _complete_found(
    session: Session,
    store: ObjectStore,
    photo: Photo,
    found: StoredObject | None,
    state: "_Completing",
    *,
    settings: UploadSettings,
    now: dt.datetime,
) -> Photo:
    """The rest of ``complete`` once the HEAD has told what arrived (``found``)."""
    if found is None:
        raise errors.UploadMissing(
            f"Nothing was uploaded yet for photo {photo.id}; PUT the file to its URL first."
        )
    if found.size > settings.max_bytes:
        too_large = errors.PhotoTooLarge(f"A photo may be at most {settings.max_bytes} bytes.")
        _reject(session, store, photo, too_large)
    if (problem := _mismatch(photo, found.size, found.sha256)) is not None:
        _reject(session, store, photo, problem)
    sha = photo.declared_sha256
    assert sha is not None  # a reservation always declares it
    on_step("object-checked")
    visit = state.locked()
    current = state.current(photo.id)
    if current is None or _done(current):
        # A retry racing this one completed the photo, or found it a duplicate and removed it.
        answer = current or repository.same_bytes(session, visit.id, photo.item_code, sha)
        if answer is None:
            raise errors.PhotoNotFound(f"There is no photo {photo.id}.")
        return answer
    photo = current
    if (same := state.same_bytes(photo.item_code, sha)) is not None:
        return _drop_duplicate(session, store, photo, same)
    if not state.take_room(photo, sha):
        full = errors.TooManyPhotos(f"Item {photo.item_code} already has all its photos.")
        _reject(session, store, photo, full)
    # The store checked the bytes against the declared sha256 (or the job does, reading them).
    photo.status = PhotoStatus.processing
    photo.sha256, photo.size_bytes = sha, found.size
    photo.expires_at = None
    session.add(photo)
    state.queued.append(photo)  # flushed, with its job, once every photo is checked
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
