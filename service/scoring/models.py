"""A stored score's explanation as rows for reports: its findings and points per criterion.

The score row itself (``VisitScore``) is part of the visit, in ``visits/models.py``.
"""

import uuid

from sqlalchemy import Index, String
from sqlmodel import Field

from service.base import SQLModel


class VisitFinding(SQLModel, table=True):
    __tablename__ = "visit_findings"
    __table_args__ = (Index("ix_visit_findings_code_severity", "code", "severity"),)

    id: int | None = Field(default=None, primary_key=True)
    visit_id: uuid.UUID = Field(foreign_key="visits.id", index=True)
    code: str = Field(sa_type=String(48))
    severity: str = Field(sa_type=String(16))
    message_en: str = Field(sa_type=String(2000))
    message_ru: str = Field(sa_type=String(2000))
    clause: str = Field(sa_type=String(500))


class VisitCriterion(SQLModel, table=True):
    """Points per quality criterion (information, queue, staff...), for criteria reports."""

    __tablename__ = "visit_criteria"

    visit_id: uuid.UUID = Field(foreign_key="visits.id", primary_key=True)
    criterion: str = Field(sa_type=String(32), primary_key=True)
    earned: float
    applicable: float
