"""Places shoppers visit or call: service centres, agency offices, call centres, the portal."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlmodel import Field

from service.base import SQLModel, empty_list
from service.db_types import UtcDateTime


class Office(SQLModel, table=True):
    __tablename__ = "offices"
    # An index, not a constraint: see migration 0023 (SQLite would rebuild the table).
    __table_args__ = (Index("uq_offices_client_id", "client_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(300))
    kind: str = Field(sa_type=String(16))
    # Reports group and filter visits by region.
    region: str = Field(sa_type=String(32), index=True)
    city: str = Field(sa_type=String(120))
    address: str | None = Field(default=None, sa_type=String(500))
    latitude: float | None = None
    longitude: float | None = None
    services: list[Any] = Field(default_factory=empty_list, sa_type=JSON)
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
    # The create's idempotency key, when it gave one (``service.create_office``).
    client_id: uuid.UUID | None = None
