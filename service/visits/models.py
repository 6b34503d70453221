"""Visits and their audit trail."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlmodel import Field

from service.base import SQLModel, empty_dict
from service.db_types import UtcDateTime, enum_column
from service.visits.transitions import VisitStatus


class VisitBulk(SQLModel, table=True):
    """One bulk assignment (a CSV file or a JSON list), written in batches of rows.

    ``client_id`` is its idempotency key: the one the request gave, else derived from the
    account and the content, so the same file sent again by the same account is the same
    bulk. ``content_hash`` tells a retry from other content under the same key. The bulk's
    visits carry ``bulk_id`` and their row (``bulk_row``), unique together: a retry after a
    crash between batches finds the rows already written and writes only the rest.
    ``finished_at`` is set by the batch that writes the last row.
    """

    __tablename__ = "visit_bulks"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: uuid.UUID = Field(unique=True)
    content_hash: str = Field(sa_type=String(64))
    rows: int
    created_by_id: uuid.UUID = Field(foreign_key="users.id")
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)


class Visit(SQLModel, table=True):
    """One assignment: a shopper, a service, an office, a channel, a window, pinned versions."""

    __tablename__ = "visits"
    __table_args__ = (
        # Listings filter by these; shoppers always by their own id first.
        Index("ix_visits_shopper_status", "shopper_id", "status"),
        Index("ix_visits_service_window", "service_code", "window_start_at"),
        # Every report and export filters on status (approved by default) and most on a period
        # of window_start_at; exports also order by it. Status alone matches most of the table
        # once a wave is approved, so the period belongs in the key. Leading with status, it
        # also serves the listings that filter on status alone.
        Index("ix_visits_status_window", "status", "window_start_at"),
        # The agency and level filters start from the few matching standard versions.
        Index("ix_visits_standard_id", "standard_id"),
        # A bulk writes each of its rows once, whatever the retries (see VisitBulk).
        UniqueConstraint("bulk_id", "bulk_row"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    client_id: uuid.UUID | None = Field(default=None, unique=True)
    service_code: str = Field(
        sa_column=Column(String(8), ForeignKey("public_services.code"), nullable=False)
    )
    office_id: int = Field(foreign_key="offices.id", index=True)
    shopper_id: uuid.UUID = Field(foreign_key="users.id")
    channel: str = Field(sa_type=String(16))
    wave: str | None = Field(default=None, sa_type=String(64), index=True)
    window_start_at: dt.datetime = Field(sa_type=UtcDateTime)
    window_end_at: dt.datetime = Field(sa_type=UtcDateTime)
    notes: str | None = Field(default=None, sa_type=String(2000))
    status: VisitStatus = Field(sa_type=enum_column(VisitStatus, 16))
    checklist_id: int = Field(foreign_key="checklists.id")
    standard_id: int = Field(foreign_key="service_standards.id")
    deadline_case_index: int | None = None
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
    created_by_id: uuid.UUID = Field(foreign_key="users.id")
    started_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    submitted_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    device_submitted_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    submit_client_id: uuid.UUID | None = None
    clock_skew_seconds: float | None = None
    reviewed_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    reviewed_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    review_comment: str | None = Field(default=None, sa_type=String(2000))
    version: int = 1
    bulk_id: uuid.UUID | None = Field(default=None, foreign_key="visit_bulks.id")
    bulk_row: int | None = None
    # When the result was ready and received, as recorded after the visit (VisitResult);
    # the deadline is judged on them, over the visit's answers.
    result_ready_date: dt.date | None = Field(default=None, sa_type=Date)
    result_received_date: dt.date | None = Field(default=None, sa_type=Date)


class VisitResult(SQLModel, table=True):
    """One follow-up on a visit's result, recorded after the visit: never updated.

    The result often comes weeks after the visit, once it is approved; each follow-up is kept
    with who sent it, and ``client_id`` makes a retry store it once. The visit carries the
    dates in force (``Visit.result_ready_date``, ``result_received_date``).
    """

    __tablename__ = "visit_results"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: uuid.UUID = Field(foreign_key="visits.id", index=True)
    client_id: uuid.UUID = Field(unique=True)
    ready_date: dt.date | None = Field(default=None, sa_type=Date)
    received_date: dt.date | None = Field(default=None, sa_type=Date)
    recorded_by_id: uuid.UUID = Field(foreign_key="users.id")
    recorded_at: dt.datetime = Field(sa_type=UtcDateTime)
    # The deadline verdict before and after this follow-up (null: the visit was not scored).
    deadline_before: str | None = Field(default=None, sa_type=String(16))
    deadline_after: str | None = Field(default=None, sa_type=String(16))


class VisitEvent(SQLModel, table=True):
    """Who did what to which visit, when: never updated, never deleted.

    ``client_id`` is the idempotency key of a move a person asked for by request (review,
    cancel, reopen): a retry finds the event and changes nothing (``lifecycle``). Events the
    server makes on its own, or whose request is keyed elsewhere (a submit on the visit, a
    sync per answer), carry none.
    """

    __tablename__ = "visit_events"
    __table_args__ = (
        # Partial: the sync's own event (no key) adds nothing to the index on the hot path.
        Index(
            "uq_visit_events_client_id",
            "client_id",
            unique=True,
            sqlite_where=text("client_id IS NOT NULL"),
            postgresql_where=text("client_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    visit_id: uuid.UUID = Field(foreign_key="visits.id", index=True)
    actor_id: uuid.UUID = Field(foreign_key="users.id")
    action: str = Field(sa_type=String(16))
    from_status: VisitStatus | None = Field(default=None, sa_type=enum_column(VisitStatus, 16))
    to_status: VisitStatus | None = Field(default=None, sa_type=enum_column(VisitStatus, 16))
    detail: dict[str, Any] = Field(default_factory=empty_dict, sa_type=JSON)
    at: dt.datetime = Field(sa_type=UtcDateTime)
    client_id: uuid.UUID | None = None
