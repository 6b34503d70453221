"""API models of accounts and tokens."""

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from service.auth.emails import normalise_email
from service.auth.roles import Role
from service.plain_text import TypedText

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s.]{2,63}$"
# argon2 hashes any length, but a bound keeps one login from costing megabytes of hashing.
MAX_PASSWORD_LENGTH = 128


def _normalised(value: object) -> object:
    # Before the pattern and length checks, so fullwidth ``ａ＠ｂ．ｋｚ`` is read as a@b.kz.
    return normalise_email(value) if isinstance(value, str) else value


Email = Annotated[
    str,
    Field(min_length=3, max_length=254, pattern=EMAIL_PATTERN),
    BeforeValidator(_normalised),
]
# The minimum length is a setting (MSHOP_AUTH__PASSWORD_MIN_LENGTH), checked by the service so
# that a short password is always the same `password-too-short` problem.
Password = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_PASSWORD_LENGTH,
        description="At least MSHOP_AUTH__PASSWORD_MIN_LENGTH characters (default 8)",
    ),
]
FullName = Annotated[TypedText, Field(min_length=1, max_length=200)]
Phone = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^\+?[0-9 ()-]+$")]


class UserBase(BaseModel):
    email: Email
    full_name: FullName
    phone: Phone | None = None
    role: Role


class UserCreate(UserBase):
    model_config = ConfigDict(extra="forbid")

    password: Password
    client_id: uuid.UUID | None = Field(
        default=None,
        description="Makes a retry answer the same account; the same id with other content "
        "(a field or the password) is 409",
    )


def _not_nullable(schema: dict[str, Any]) -> None:
    # Omitted means "unchanged" and null is refused, so the document shows the plain type.
    branches = [b for b in schema.pop("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        schema.update(branches[0])
    schema.pop("default", None)


class UserUpdate(BaseModel):
    """Fields to change; absent fields stay as they are. Only `phone` may be null (removed)."""

    model_config = ConfigDict(extra="forbid")

    full_name: FullName | None = Field(default=None, json_schema_extra=_not_nullable)
    phone: Phone | None = None
    role: Role | None = Field(default=None, json_schema_extra=_not_nullable)
    is_active: bool | None = Field(default=None, json_schema_extra=_not_nullable)

    @field_validator("full_name", "role", "is_active")
    @classmethod
    def _present_means_a_value(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be left out, but not null")
        return value


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_password: Password
    old_password: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=MAX_PASSWORD_LENGTH,
            description="Required to change your own password; ignored for anyone else's",
        ),
    ] = None


class UserPublic(UserBase):
    id: uuid.UUID
    is_active: bool
    created_at: dt.datetime


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Annotated[str, Field(min_length=1, max_length=4096)]
