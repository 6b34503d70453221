"""Public services and the versions of their standards."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, String, UniqueConstraint
from sqlmodel import Field

from service.base import SQLModel
from service.db_types import UtcDateTime


class PublicService(SQLModel, table=True):
    __tablename__ = "public_services"

    code: str = Field(sa_type=String(8), primary_key=True)
    section_no: int
    created_at: dt.datetime = Field(sa_type=UtcDateTime)


class ServiceStandard(SQLModel, table=True):
    """One immutable version of a service's standard; the newest in force on a date applies."""

    __tablename__ = "service_standards"
    # No unique (service_code, effective_from): a correction of the extraction (a shipped file
    # fixed, e.g. a deadline misread) is a new version with the same effective_from that
    # ``supersedes_version``; the highest version of a date is the one in force.
    __table_args__ = (UniqueConstraint("service_code", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    service_code: str = Field(
        sa_column=Column(String(8), ForeignKey("public_services.code"), nullable=False, index=True)
    )
    version: int
    effective_from: dt.date = Field(sa_type=Date)
    supersedes_version: int | None = None
    # Filterable copies of fields of ``body``; ``body`` is the canonical content.
    name_ru: str = Field(sa_type=String(2000))
    agency_abbr: str = Field(sa_type=String(32), index=True)
    level: str = Field(sa_type=String(16), index=True)
    body: dict[str, Any] = Field(sa_type=JSON)
    content_hash: str = Field(sa_type=String(64))
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")


class StandardChannel(SQLModel, table=True):
    """Where a standard version accepts applications; a table so lists can filter in SQL."""

    __tablename__ = "standard_channels"

    standard_id: int = Field(foreign_key="service_standards.id", primary_key=True)
    channel: str = Field(sa_type=String(32), primary_key=True, index=True)
