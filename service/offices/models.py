"""Places shoppers visit or call: service centres, agency offices, call centres, the portal."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, String
from sqlmodel import Field

from service.base import SQLModel, empty_list
from service.db_types import UtcDateTime


class Office(SQLModel, table=True):
    __tablename__ = "offices"

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
