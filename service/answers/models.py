"""Answers as phones sent them: the newest versions kept, one marked current per item."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Index, String, text
from sqlmodel import Field

from service.base import SQLModel
from service.db_types import UtcDateTime


class Answer(SQLModel, table=True):
    __tablename__ = "answers"
    __table_args__ = (
        # At most one current answer per item of a visit, enforced by the database itself.
        Index(
            "uq_answers_current",
            "visit_id",
            "item_code",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        Index("ix_answers_visit_item", "visit_id", "item_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: uuid.UUID = Field(unique=True)
    visit_id: uuid.UUID = Field(foreign_key="visits.id")
    item_code: str = Field(sa_type=String(64))
    value: Any = Field(default=None, sa_type=JSON)
    na: bool = False
    answered_at: dt.datetime = Field(sa_type=UtcDateTime)
    received_at: dt.datetime = Field(sa_type=UtcDateTime)
    content_hash: str = Field(sa_type=String(64))
    is_current: bool = False
    author_id: uuid.UUID = Field(foreign_key="users.id")


class DroppedAnswer(SQLModel, table=True):
    """A version no longer kept (``limits.answer_versions_per_item``): only what a late retry
    of its client id is judged by (same content: unchanged, other: 409), and what the history
    counts per item. A few dozen bytes where the version held up to a text answer's length."""

    __tablename__ = "dropped_answers"
    __table_args__ = (Index("ix_dropped_answers_visit_item", "visit_id", "item_code"),)

    client_id: uuid.UUID = Field(primary_key=True)
    visit_id: uuid.UUID = Field(foreign_key="visits.id")
    item_code: str = Field(sa_type=String(64))
    content_hash: str = Field(sa_type=String(64))
