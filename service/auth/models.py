"""User accounts and their sign-in sessions (refresh token families)."""

import datetime as dt
import uuid

from sqlalchemy import Index, String
from sqlmodel import Field

from service.auth.roles import Role
from service.base import SQLModel
from service.db_types import UtcDateTime


class User(SQLModel, table=True):
    __tablename__ = "users"
    # An index, not a constraint: see migration 0023 (SQLite would rebuild the table).
    __table_args__ = (Index("uq_users_client_id", "client_id", unique=True),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(sa_type=String(254), unique=True, index=True)
    # SHA-256 of the e-mail's look-alike skeleton (auth/emails.py): unique, so no second
    # account can have an address that reads the same. Null only on accounts that already had
    # a look-alike when the column was added (the migration keeps the older one's).
    email_skeleton_hash: str | None = Field(default=None, sa_type=String(64), unique=True)
    full_name: str = Field(sa_type=String(200))
    phone: str | None = Field(default=None, sa_type=String(32))
    role: Role = Field(sa_type=String(16), index=True)
    is_active: bool = True
    hashed_password: str = Field(sa_type=String(255))
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
    # Carried in every token as `ver`; a password change bumps it, so older tokens stop working.
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Set by an unlock: login failures before it no longer count, in every API process.
    login_reset_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    # The create's idempotency key, when it gave one (``service.create_user_as``).
    client_id: uuid.UUID | None = None


class RefreshFamily(SQLModel, table=True):
    """One sign-in: the refresh tokens descended from one login, of which one is usable.

    Each refresh retires the token it was given and issues the next (``current_jti``);
    a retired token presented again means it was copied, so the whole family is revoked,
    unless it is the one just retired (``previous_jti``) sent again within the retry window.
    One row per login rather than per token: rotation is one compare-and-set on this row.
    """

    __tablename__ = "refresh_families"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    # The jti of the family's one refresh token that may still be used.
    current_jti: str = Field(sa_type=String(64))
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
    # The token the last exchange retired: presented again within the retry window
    # (AuthSettings.refresh_retry_seconds) it is a retry, answered as that exchange was.
    previous_jti: str | None = Field(default=None, sa_type=String(64))
    # When a token of the family was last exchanged (rotated).
    used_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    # The current token's expiry: past it the row is of no use and is swept.
    expires_at: dt.datetime = Field(sa_type=UtcDateTime, index=True)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Why: "reuse" (a retired token came back) or "logout".
    revoked_reason: str | None = Field(default=None, sa_type=String(16))
