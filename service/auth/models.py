"""User accounts."""

import datetime as dt
import uuid

from sqlalchemy import String
from sqlmodel import Field

from service.auth.roles import Role
from service.base import SQLModel
from service.db_types import UtcDateTime


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(sa_type=String(254), unique=True, index=True)
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
