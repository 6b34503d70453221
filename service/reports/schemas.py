"""API models of analyst reports: the filters applied and one row per group."""

import datetime as dt
import uuid
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from service.checklists.format import ChecklistChannel
from service.checklists.vocabulary import Criterion
from service.offices.regions import Region
from service.offices.schemas import OfficeKind
from service.standards.catalogue import Level
from service.visits.transitions import VisitStatus


class ReportFilters(BaseModel):
    """Which visits a report or export covers; every field narrows, none widens."""

    model_config = ConfigDict(frozen=True)

    statuses: list[VisitStatus] = Field(
        default=[VisitStatus.approved], description="Visit statuses counted (default: approved)"
    )
    date_from: dt.date | None = Field(
        default=None, description="First day (Kazakhstan time, UTC+5) of the visit window start"
    )
    date_to: dt.date | None = Field(
        default=None, description="Last day (Kazakhstan time, UTC+5) of the visit window start"
    )
    wave: str | None = None
    service_code: str | None = None
    agency: str | None = Field(default=None, description="Agency abbreviation of the standard")
    level: Level | None = None
    region: Region | None = None
    office_id: int | None = None
    channel: ChecklistChannel | None = None


class GradeFigures(BaseModel):
    """The figures every ranking shows for a group of visits."""

    visits: int = Field(description="Visits matching the filters")
    graded: int = Field(description="Of those, visits with a grade (scored, something applied)")
    mean_score: float | None = Field(
        description="Mean score 0-100 of the visits with a score (a critical failure grades 1 "
        "and may leave the score empty)"
    )
    mean_grade: float | None = Field(description="Mean grade 1-5 of graded visits")
    share_grade_5: float | None = Field(description="Percent of graded visits graded 5")
    findings_critical: int
    findings_major: int
    findings_minor: int
    deadlines_judged: int = Field(description="Visits whose deadline was on time, late or overdue")
    deadlines_met: int = Field(description="Visits whose result came on time")
    share_deadlines_met: float | None = Field(
        description="Percent of judged deadlines met; null when none was judged"
    )


class ServiceRow(GradeFigures):
    rank: int
    service_code: str
    name_ru: str | None


class Comparison(BaseModel):
    """The same group in the comparison period, and the change since (current - previous)."""

    previous_visits: int | None = None
    previous_mean_grade: float | None = None
    previous_share_grade_5: float | None = None
    change_mean_grade: float | None = None
    change_share_grade_5: float | None = Field(
        default=None, description="Change in percentage points"
    )


class AgencyRow(GradeFigures, Comparison):
    rank: int
    agency: str
    name_ru: str | None


class RegionRow(GradeFigures):
    rank: int
    region: Region
    name_ru: str


class OfficeRow(GradeFigures):
    rank: int
    office_id: int
    name: str
    region: Region
    kind: OfficeKind


class CriterionRow(BaseModel):
    criterion: Criterion
    name_ru: str
    visits: int = Field(description="Visits where the criterion had applicable points")
    mean_percent: float | None = Field(description="Mean percent of applicable points earned")
    compliant: int = Field(description="Visits that earned every applicable point")
    share_compliant: float | None = Field(description="Percent of those visits fully compliant")


class FindingRow(BaseModel):
    rank: int
    code: str
    severity: str
    count: int = Field(description="Findings of this code (a visit may have several)")
    visits: int = Field(description="Visits with at least one such finding")
    example_visit_ids: list[uuid.UUID] = Field(description="Up to 3, the most recent first")


RowT = TypeVar("RowT", bound=BaseModel)


class Report(BaseModel, Generic[RowT]):
    filters: ReportFilters
    items: list[RowT]


class AgencyReport(Report[AgencyRow]):
    compare_from: dt.date | None = None
    compare_to: dt.date | None = None
