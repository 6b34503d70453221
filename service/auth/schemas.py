"""API models of accounts and tokens."""

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from service.auth.roles import Role

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s.]{2,63}$"


def _lower(value: str) -> str:
    return value.strip().lower()


Email = Annotated[
    str, Field(min_length=3, max_length=254, pattern=EMAIL_PATTERN), AfterValidator(_lower)
]
Password = Annotated[str, Field(min_length=8, max_length=128)]


class UserBase(BaseModel):
    email: Email
    full_name: Annotated[str, Field(min_length=1, max_length=200)]
    phone: Annotated[str, Field(min_length=3, max_length=32, pattern=r"^\+?[0-9 ()-]+$")] | None = (
        None
    )
    role: Role


class UserCreate(UserBase):
    model_config = ConfigDict(extra="forbid")

    password: Password


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
