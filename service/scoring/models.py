"""A visit's stored score, and its explanation as rows for reports: findings and points per
criterion."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Date, Index, String
from sqlmodel import Field

from service.base import SQLModel
from service.db_types import UtcDateTime


class VisitScore(SQLModel, table=True):
    """The latest result of scoring a visit; ``result`` is the whole explanation.

    Every view of a visit shows its score and grade: ``visits`` reads this table (visits sits
    above scoring, since submitting and reviewing a visit score it).
    """

    __tablename__ = "visit_scores"

    visit_id: uuid.UUID = Field(foreign_key="visits.id", primary_key=True)
    rules_version: str = Field(sa_type=String(16))
    # The grading policy version that graded it; None for scores made before policies.
    policy_version: str | None = Field(default=None, sa_type=String(32))
    score: float | None = None
    grade: int | None = Field(default=None, index=True)
    critical_failed: bool = False
    deadline_status: str | None = Field(default=None, sa_type=String(16))
    deadline_due_on: dt.date | None = Field(default=None, sa_type=Date)
    late_working_days: int | None = None
    wait_minutes: float | None = None
    service_minutes: float | None = None
    call_connect_seconds: float | None = None
    findings_critical: int = 0
    findings_major: int = 0
    findings_minor: int = 0
    result: dict[str, Any] = Field(sa_type=JSON)
    computed_at: dt.datetime = Field(sa_type=UtcDateTime)


class VisitFinding(SQLModel, table=True):
    __tablename__ = "visit_findings"
    __table_args__ = (
        Index("ix_visit_findings_code_severity", "code", "severity"),
        # The findings report's keys, read from the index: the rows are mostly their texts.
        Index("ix_visit_findings_visit_code", "visit_id", "code", "severity", "item_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    visit_id: uuid.UUID = Field(foreign_key="visits.id")
    code: str = Field(sa_type=String(48))
    severity: str = Field(sa_type=String(16))
    # The one checklist item the finding is about, so the findings report can tell which
    # question a generic ``non-compliant-item`` was; null when it names several or none.
    item_code: str | None = Field(default=None, sa_type=String(64))
    message_en: str = Field(sa_type=String(2000))
    message_ru: str = Field(sa_type=String(2000))
    # Null for findings stored before scoring wrote Kazakh (rules before 2026.3).
    message_kk: str | None = Field(default=None, sa_type=String(2000))
    clause: str = Field(sa_type=String(500))
    # What it rests on, for the findings report: the document (a service code, `programme`,
    # `checklist`), the 2018 report's line and the clause in Russian and Kazakh (``clause`` is
    # the English). Null in rows stored before the report showed sources.
    source_document: str | None = Field(default=None, sa_type=String(16))
    source_line: int | None = None
    clause_ru: str | None = Field(default=None, sa_type=String(500))
    clause_kk: str | None = Field(default=None, sa_type=String(500))


class VisitCriterion(SQLModel, table=True):
    """Points per quality criterion (information, queue, staff...), for criteria reports."""

    __tablename__ = "visit_criteria"

    visit_id: uuid.UUID = Field(foreign_key="visits.id", primary_key=True)
    criterion: str = Field(sa_type=String(32), primary_key=True)
    earned: float
    applicable: float


class GradingPolicyVersion(SQLModel, table=True):
    """One published grading policy; never updated, so every score can name the one it used.

    The newest by ``published_at`` is current; with none published, the shipped
    ``checklists/grading.yaml`` is.
    """

    __tablename__ = "grading_policies"

    version: str = Field(sa_type=String(32), primary_key=True)
    body: dict[str, Any] = Field(sa_type=JSON)
    published_at: dt.datetime = Field(sa_type=UtcDateTime, index=True)
    published_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
