"""API models of app tokens."""

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class AppTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: uuid.UUID = Field(
        description="Makes a retried create answer the same token, not make a second one"
    )
    label: Annotated[str, Field(min_length=1, max_length=100, description="Which phone")] = (
        "Collect"
    )


class AppTokenPublic(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID | None
    user_id: uuid.UUID
    label: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class AppTokenCreated(AppTokenPublic):
    token: str = Field(description="Shown this once; only its hash is kept")
    server_url: str = Field(description="Collect's server URL: the OpenRosa server with the token")


class AppTokenList(BaseModel):
    items: list[AppTokenPublic]
