"""Photo jobs at work: decode a stored original, store its stripped copies, flag it, and mark
the photo ``ready`` or ``rejected``.

Runs outside requests (``runner.JobRunner`` in a server process, or ``mshop worker``), each
step in a transaction of its own and none held while the store is called or the image is
decoded. Every step can be repeated: the copies go to the photo's fixed keys and the photo
changes only while it is still ``processing``, so a job taken again after its worker died
leaves one result (tests/photos/test_jobs.py).
"""

import datetime as dt
import hashlib
import logging
import tempfile
import uuid
from collections.abc import Callable
from typing import IO

from sqlalchemy import Connection, Engine
from sqlmodel import Session

from service import db
from service.clock import Clock
from service.config import JobSettings, UploadSettings
from service.errors import ServiceError
from service.observability import metrics
from service.photos import jobs, pipeline
from service.photos.errors import ImageDecoderBusy
from service.photos.header import CHUNK
from service.photos.imaging import ProcessedImage
from service.photos.models import Photo, PhotoStatus
from service.photos.visit import PhotoVisit
from service.storage.objects import ObjectNotFound, ObjectStore

log = logging.getLogger("mshop")

LoadVisit = Callable[[Session, uuid.UUID], PhotoVisit | None]
Bind = Engine | Connection


class Processor:
    """What a worker needs to process photo jobs."""

    def __init__(
        self,
        bind: Bind,
        store: ObjectStore,
        *,
        upload: UploadSettings,
        settings: JobSettings,
        clock: Clock,
        load_visit: LoadVisit,
        worker: str,
    ) -> None:
        self.bind = bind
        self.store = store
        self.upload = upload
        self.settings = settings
        self.clock = clock
        self.load_visit = load_visit
        self.worker = worker

    def run_once(self, limit: int | None = None) -> int:
        """Process due jobs until none is left (or ``limit``); how many were taken."""
        taken = 0
        while limit is None or taken < limit:
            job = self.claim()
            if job is None:
                break
            self.process(job)
            taken += 1
        return taken

    def claim(self) -> jobs.Claim | None:
        return jobs.claim(
            self.bind, self.worker, now=self.clock(), lease_seconds=self.settings.lease_seconds
        )

    def process(self, job: jobs.Claim) -> str:
        """Run one claimed job; its outcome: ready, rejected, retry or skipped."""
        try:
            outcome = self._process(job)
        except Exception as exc:
            log.exception("photo job %s (photo %s) failed", job.job_id, job.photo_id)
            outcome = self._failed(job, f"{type(exc).__name__}: {exc}")
        metrics.PHOTO_JOBS.labels(outcome).inc()
        return outcome

    def _process(self, job: jobs.Claim) -> str:
        with db.transaction(self.bind, read=True) as own:
            photo = own.get(Photo, job.photo_id)
            if photo is not None:
                own.expunge(photo)
        if photo is None or photo.status != PhotoStatus.processing:
            with db.transaction(self.bind) as own:  # done by another worker, or deleted
                jobs.remove(own, job)
            return "skipped"
        expected = photo.sha256 or photo.declared_sha256
        try:
            source, sha = _download(self.store, photo.original_key, self.upload.max_bytes)
        except ObjectNotFound:
            return self._reject(job, photo, "upload-missing: the original is not in the store")
        with source:
            if expected is not None and sha != expected:
                return self._reject(
                    job, photo, f"checksum-mismatch: the stored bytes have sha256 {sha}"
                )
            try:
                done = pipeline.decode(source, self.upload)
            except ImageDecoderBusy:
                raise  # nothing wrong with the photo: tried again later
            except ServiceError as exc:
                return self._reject(job, photo, f"{exc.code}: {exc.detail}")
        pipeline.put_variants(self.store, photo, done)
        return self._ready(job, done)

    def _ready(self, job: jobs.Claim, done: ProcessedImage) -> str:
        now = self.clock()
        with db.transaction(self.bind) as own:
            db.write_lock(own)
            current = own.get(Photo, job.photo_id, with_for_update=True, populate_existing=True)
            jobs.remove(own, job)
            if current is None or current.status != PhotoStatus.processing:
                return "skipped"
            visit = self.load_visit(own, current.visit_id)
            assert visit is not None  # a visit's photos go before the visit does
            flags = pipeline.flags_for_photo(own, visit, current, done, self.upload)
            pipeline.fill(current, done, flags, now)
            own.add(current)
        return "ready"

    def _reject(self, job: jobs.Claim, photo: Photo, reason: str) -> str:
        now = self.clock()
        with db.transaction(self.bind) as own:
            db.write_lock(own)
            current = own.get(Photo, job.photo_id, with_for_update=True, populate_existing=True)
            jobs.remove(own, job)
            if current is None or current.status != PhotoStatus.processing:
                return "skipped"
            current.status = PhotoStatus.rejected
            current.rejected_reason = reason[:300]
            current.completed_at = now
            own.add(current)
        # Copies an earlier attempt may have stored: a rejected photo is never served, and
        # its original stays for staff to look at until the visit's photos are deleted.
        copies = [k for k in (photo.thumb_key, photo.display_key) if k]
        try:
            self.store.delete_many(copies)
        except Exception:
            log.exception("photo %s: its copies were not deleted (the sweep will)", photo.id)
        return "rejected"

    def _failed(self, job: jobs.Claim, error: str) -> str:
        if job.attempts >= self.settings.max_attempts:
            with db.transaction(self.bind, read=True) as own:
                photo = own.get(Photo, job.photo_id)
                if photo is not None:
                    own.expunge(photo)
            if photo is not None:
                return self._reject(job, photo, f"processing-failed: {error}")
        delay = self.settings.retry_seconds * 2 ** max(0, job.attempts - 1)
        jobs.release(
            self.bind, job, error=error, run_after=self.clock() + dt.timedelta(seconds=delay)
        )
        return "retry"


def _download(store: ObjectStore, key: str, limit: int) -> tuple[IO[bytes], str]:
    """Copy an object into a spooled file (at most one byte over ``limit``), with its sha256."""
    spool = tempfile.SpooledTemporaryFile(max_size=CHUNK * 8)
    digest, size = hashlib.sha256(), 0
    try:
        with store.open(key) as body:
            while chunk := body.read(CHUNK):
                size += len(chunk)
                digest.update(chunk)
                spool.write(chunk)
                if size > limit:
                    break
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, digest.hexdigest()


def queue_probe(bind: Bind, clock: Clock) -> Callable[[], None]:
    """Set the queue's gauges from the database (called by ``/metrics`` at each scrape)."""

    def probe() -> None:
        with db.transaction(bind, read=True) as own:
            found = jobs.stats(own, clock())
        metrics.PHOTO_JOB_QUEUE.set(found.depth)
        metrics.PHOTO_JOB_OLDEST.set(found.oldest_age_seconds)

    return probe


def process_inline(
    session: Session,
    store: ObjectStore,
    photo: Photo,
    visit: PhotoVisit,
    source: IO[bytes],
    *,
    upload: UploadSettings,
    now: dt.datetime,
) -> None:
    """Do a photo's job at once, in the caller's transaction, from the bytes at hand.

    For the demo generator, which submits visits right after their uploads inside one
    transaction (a runner could not see them before the commit). Holds the transaction
    through the decode and the puts: never for requests.
    """
    if photo.status != PhotoStatus.processing:
        return
    source.seek(0)
    done = pipeline.decode(source, upload)
    pipeline.put_variants(store, photo, done)
    pipeline.fill(photo, done, pipeline.flags_for_photo(session, visit, photo, done, upload), now)
    session.add(photo)
    jobs.remove_photo(session, photo.id)
    session.flush()
