"""Published checklist templates and the per-service checklists resolved from them."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, String, UniqueConstraint
from sqlmodel import Field

from service.base import SQLModel
from service.db_types import UtcDateTime


class ChecklistTemplateRow(SQLModel, table=True):
    """One immutable version of a channel's common checklist."""

    __tablename__ = "checklist_templates"
    __table_args__ = (UniqueConstraint("channel", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(sa_type=String(16), index=True)
    version: int
    content_hash: str = Field(sa_type=String(64))
    body: dict[str, Any] = Field(sa_type=JSON)
    published_at: dt.datetime = Field(sa_type=UtcDateTime)
    published_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")


class Checklist(SQLModel, table=True):
    """A template resolved for one service's standard version: what phones download.

    Rows are written once, the first time the pair is asked for, and never change, so a visit
    that pins one keeps exactly the questions its shopper answered.
    """

    __tablename__ = "checklists"
    __table_args__ = (UniqueConstraint("template_id", "standard_id"),)

    id: int | None = Field(default=None, primary_key=True)
    service_code: str = Field(
        sa_column=Column(String(8), ForeignKey("public_services.code"), nullable=False, index=True)
    )
    channel: str = Field(sa_type=String(16))
    template_id: int = Field(foreign_key="checklist_templates.id")
    standard_id: int = Field(foreign_key="service_standards.id")
    content_hash: str = Field(sa_type=String(64))
    body: dict[str, Any] = Field(sa_type=JSON)
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
