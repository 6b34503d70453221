"""Photo evidence: one row per photo, with where its original and derivatives are stored."""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlmodel import Field

from service.base import SQLModel, empty_list
from service.db_types import UtcDateTime, enum_column


class PhotoStatus(StrEnum):
    """A photo's way from upload to evidence.

    ``pending``: a direct-upload ticket, bytes not confirmed yet. ``processing``: the original
    is stored and its header checked; a photo job (``PhotoJob``) decodes it and makes its
    stripped copies. ``ready``: evidence, its copies served. ``rejected``: the job found it
    undecodable (``rejected_reason`` says why); never served, never counted.
    """

    pending = "pending"
    processing = "processing"
    ready = "ready"
    rejected = "rejected"


class Photo(SQLModel, table=True):
    __tablename__ = "photos"
    __table_args__ = (
        Index("ix_photos_visit_item", "visit_id", "item_code"),
        Index("ix_photos_visit_sha256", "visit_id", "sha256"),
        # Four 16-bit bands of the perceptual hash: images within a few bits share a band,
        # so look-alikes are found by index, not by scanning every photo.
        Index("ix_photos_band0", "phash_band0"),
        Index("ix_photos_band1", "phash_band1"),
        Index("ix_photos_band2", "phash_band2"),
        Index("ix_photos_band3", "phash_band3"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: uuid.UUID = Field(unique=True)
    visit_id: uuid.UUID = Field(foreign_key="visits.id")
    item_code: str = Field(sa_type=String(64))
    status: PhotoStatus = Field(sa_type=enum_column(PhotoStatus, 16), index=True)
    declared_sha256: str | None = Field(default=None, sa_type=String(64))
    declared_size: int | None = None
    sha256: str | None = Field(default=None, sa_type=String(64))
    phash: str | None = Field(default=None, sa_type=String(16))
    phash_band0: int | None = None
    phash_band1: int | None = None
    phash_band2: int | None = None
    phash_band3: int | None = None
    mime: str | None = Field(default=None, sa_type=String(32))
    size_bytes: int | None = None
    width: int | None = None
    height: int | None = None
    taken_at: dt.datetime = Field(sa_type=UtcDateTime)
    exif_taken_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    gps_latitude: float | None = None
    gps_longitude: float | None = None
    device: str | None = Field(default=None, sa_type=String(200))
    flags: list[Any] = Field(default_factory=empty_list, sa_type=JSON)
    original_key: str = Field(sa_type=String(300))
    thumb_key: str | None = Field(default=None, sa_type=String(300))
    display_key: str | None = Field(default=None, sa_type=String(300))
    uploaded_by_id: uuid.UUID = Field(foreign_key="users.id")
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
    completed_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    expires_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    rejected_reason: str | None = Field(default=None, sa_type=String(300))


class PhotoJob(SQLModel, table=True):
    """A durable request to process one photo (``service/photos/jobs.py``).

    A worker claims it by setting ``locked_by`` and a lease (``locked_until``); a lease that
    passes (the worker died) lets another worker take it again. The row goes in the same
    transaction that marks its photo ready or rejected.
    """

    __tablename__ = "photo_jobs"
    __table_args__ = (Index("ix_photo_jobs_run_after", "run_after"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(default="process-photo", sa_type=String(32))
    photo_id: uuid.UUID = Field(foreign_key="photos.id", unique=True, ondelete="CASCADE")
    attempts: int = 0
    run_after: dt.datetime = Field(sa_type=UtcDateTime)
    locked_until: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    locked_by: str | None = Field(default=None, sa_type=String(64))
    last_error: str | None = Field(default=None, sa_type=String(500))
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
