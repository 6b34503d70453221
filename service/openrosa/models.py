"""App tokens (a phone's key to the OpenRosa server) and the submissions Collect sent."""

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import Index, String, UniqueConstraint
from sqlmodel import Field

from service.base import SQLModel
from service.db_types import UtcDateTime, enum_column


class AppToken(SQLModel, table=True):
    """One phone's key, as ODK Central's app users: in the server URL, revocable.

    Only the token's SHA-256 is stored (``tokens.hash_token`` says why not argon2).
    ``client_id`` makes a retried create answer this token again (``tokens.create``); tokens
    made before creates carried one have none.
    """

    __tablename__ = "app_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: uuid.UUID | None = Field(default=None, unique=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(sa_type=String(64), unique=True)
    label: str = Field(sa_type=String(100))
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
    created_by_id: uuid.UUID = Field(foreign_key="users.id")
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_used_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)


class SubmissionState(StrEnum):
    # Part of a split upload: more attachments are to come (``*isIncomplete*=yes``).
    partial = "partial"
    # All of it is in; the visit is submitted once its photos are processed.
    received = "received"
    # The visit was submitted (and scored) with this instance.
    submitted = "submitted"
    # An edit (``deprecatedID``) took its place.
    replaced = "replaced"


class OpenRosaSubmission(SQLModel, table=True):
    """One instance received from Collect: what makes a resend a no-op and an edit an edit."""

    __tablename__ = "openrosa_submissions"
    __table_args__ = (
        UniqueConstraint("instance_id"),
        # Each Collect request of a shopper looks for their submissions waiting to be submitted.
        Index("ix_openrosa_submissions_user_state", "user_id", "state"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # Collect's meta/instanceID ("uuid:..."), unique over all shoppers.
    instance_id: str = Field(sa_type=String(100))
    deprecated_id: str | None = Field(default=None, sa_type=String(100))
    visit_id: uuid.UUID = Field(foreign_key="visits.id", index=True, ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id")
    form_id: str = Field(sa_type=String(64))
    form_version: str = Field(sa_type=String(64))
    # SHA-256 of the exact instance XML: the same id with other bytes is a conflict.
    xml_sha256: str = Field(sa_type=String(64))
    state: SubmissionState = Field(sa_type=enum_column(SubmissionState, 16))
    received_at: dt.datetime = Field(sa_type=UtcDateTime)
    submitted_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
