"""API models of analyst reports: the filters applied and one row per group."""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from service.checklists.format import ChecklistChannel
from service.checklists.vocabulary import Criterion
from service.languages import Language
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


class RankBy(StrEnum):
    """Which measure orders a ranking: satisfaction (the shoppers' own ratings, as the 2018
    report's Tables 1-3 do) or compliance with the standard (the grade)."""

    satisfaction = "satisfaction"
    compliance = "compliance"


class Figures(BaseModel):
    """Both measures of a group of visits, side by side, with their sample sizes.

    Satisfaction is what the 2018 report's Table 1 shows: the mean of the shoppers' own 1-5
    ratings of the service («Средний балл») and the share of 5s («%»). Compliance is the
    checklist's verdict against the standard: the score 0-100 and the grade it bands into.
    """

    visits: int = Field(description="n: visits matching the filters in this row")
    rated: int = Field(
        description="Of those, visits whose shopper gave the overall 1-5 rating: the n of "
        "mean_rating and share_rating_5"
    )
    mean_rating: float | None = Field(
        description="Satisfaction: mean of the shoppers' own 1-5 ratings (Table 1's «Средний балл»)"
    )
    share_rating_5: float | None = Field(
        description="Satisfaction: percent of those ratings that are 5 (Table 1's «%»)"
    )
    graded: int = Field(
        description="Of the visits, those with a compliance grade (scored, something applied)"
    )
    mean_score: float | None = Field(
        description="Compliance: mean score 0-100 of the visits with a score (a critical "
        "failure grades 1 and may leave the score empty)"
    )
    mean_grade: float | None = Field(description="Compliance: mean grade 1-5 of graded visits")
    share_grade_5: float | None = Field(description="Compliance: percent of graded visits graded 5")
    findings_critical: int
    findings_major: int
    findings_minor: int
    deadlines_judged: int = Field(description="Visits whose deadline was on time, late or overdue")
    deadlines_met: int = Field(description="Visits whose result came on time")
    share_deadlines_met: float | None = Field(
        description="Percent of judged deadlines met; null when none was judged"
    )


class ServiceRow(Figures):
    rank: int
    service_code: str
    name_ru: str | None


class Comparison(BaseModel):
    """The same group in the comparison period, and the change since (current - previous)."""

    previous_visits: int | None = None
    previous_rated: int | None = None
    previous_mean_rating: float | None = None
    previous_share_rating_5: float | None = None
    previous_mean_grade: float | None = None
    previous_share_grade_5: float | None = None
    change_mean_rating: float | None = None
    change_share_rating_5: float | None = Field(
        default=None, description="Change in percentage points"
    )
    change_mean_grade: float | None = None
    change_share_grade_5: float | None = Field(
        default=None, description="Change in percentage points"
    )


class TotalRow(Figures, Comparison):
    """Every visit of the report pooled (sums over visits, not a mean of the rows): the
    «Всего» row of the 2018 report's tables. The comparison fields are set only where the
    report takes a comparison period."""


class AgencyRow(Figures, Comparison):
    rank: int
    agency: str
    name_ru: str | None


class RegionRow(Figures, Comparison):
    rank: int
    region: Region
    name_ru: str


class OfficeRow(Figures):
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


class FindingSource(BaseModel):
    """The document a finding rests on, its clause and the 2018 report's line."""

    document: str = Field(
        description="A standard's service code (S33), `programme` for the monitoring "
        "programme's own norms, `checklist` for what only the monitoring's checklist asks"
    )
    line: int | None = Field(description="The line of the 2018 report, when known")
    clause: str = Field(description="The clause, in the report's language")


class FindingRow(BaseModel):
    """One kind of finding: its code, severity and the item it is about."""

    rank: int
    code: str
    severity: str
    item_code: str | None = Field(
        description="The checklist item (question) the findings are about; null for findings "
        "that name several items or none, and for findings stored before items were recorded"
    )
    message: str | None = Field(
        description="The message of the most recent such finding, in the report's language"
    )
    source: FindingSource | None = Field(
        description="What the most recent such finding rests on, in the report's language; "
        "null for findings stored before the report showed sources"
    )
    count: int = Field(description="Findings of this code (a visit may have several)")
    visits: int = Field(description="Visits with at least one such finding")
    example_visit_ids: list[uuid.UUID] = Field(description="Up to 3, the most recent first")


RowT = TypeVar("RowT", bound=BaseModel)
# Findings' messages are stored in each of ``Language`` (Kazakh since rules 2026.3; older
# findings fall back to Russian).


class Report(BaseModel, Generic[RowT]):
    filters: ReportFilters
    items: list[RowT]


class Ranking(Report[RowT], Generic[RowT]):
    """A ranking: its rows best first by ``rank_by``, and the total row of all its visits."""

    rank_by: RankBy
    total: TotalRow


class ComparedRanking(Ranking[RowT], Generic[RowT]):
    """A ranking with each row's change since a comparison period (Tables 2 and 3)."""

    compare_from: dt.date | None = None
    compare_to: dt.date | None = None


class FindingsReport(Report[FindingRow]):
    language: Language = Field(description="The language of the messages")
