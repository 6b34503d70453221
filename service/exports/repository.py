"""Every export query: the report filters over visits, rows streamed in batches."""

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlmodel import Session, col

from service.answers.models import Answer
from service.offices.models import Office
from service.reports import repository as reports_repository
from service.reports.schemas import ReportFilters
from service.scoring.models import VisitScore
from service.standards.models import ServiceStandard
from service.visits.models import Visit

BATCH = 1000


def visit_batches(session: Session, filters: ReportFilters) -> Iterator[Sequence[Row[Any]]]:
    """One row per visit in ``VISIT_COLUMNS`` order, by window start then id."""
    query = reports_repository.visits_from(
        select(
            col(Visit.id),
            col(Visit.service_code),
            col(ServiceStandard.name_ru),
            col(ServiceStandard.agency_abbr),
            col(ServiceStandard.level),
            col(Office.region),
            col(Office.id),
            col(Office.name),
            col(Office.kind),
            col(Visit.channel),
            col(Visit.wave),
            col(Visit.window_start_at),
            col(Visit.window_end_at),
            col(Visit.status),
            col(Visit.shopper_id),
            col(Visit.started_at),
            col(Visit.submitted_at),
            col(Visit.reviewed_at),
            col(VisitScore.rules_version),
            col(VisitScore.score),
            col(VisitScore.grade),
            col(VisitScore.critical_failed),
            col(VisitScore.deadline_status),
            col(VisitScore.deadline_due_on),
            col(VisitScore.late_working_days),
            col(VisitScore.wait_minutes),
            col(VisitScore.service_minutes),
            col(VisitScore.call_connect_seconds),
            col(VisitScore.findings_critical),
            col(VisitScore.findings_major),
            col(VisitScore.findings_minor),
            col(VisitScore.computed_at),
        ),
        filters,
    )
    query = query.outerjoin(VisitScore, col(VisitScore.visit_id) == col(Visit.id)).order_by(
        col(Visit.window_start_at), col(Visit.id)
    )
    return reports_repository.stream(session, query, batch=BATCH)


def answer_batches(session: Session, filters: ReportFilters) -> Iterator[Sequence[Row[Any]]]:
    """One row per current answer of the filtered visits, by visit then item code."""
    query = reports_repository.visits_from(
        select(
            col(Answer.visit_id),
            col(Visit.service_code),
            col(Answer.item_code),
            col(Answer.value),
            col(Answer.na),
            col(Answer.answered_at),
            col(Answer.received_at),
            col(Visit.checklist_id),
        ),
        filters,
    )
    query = (
        query.join(Answer, col(Answer.visit_id) == col(Visit.id))
        .where(col(Answer.is_current))
        .order_by(col(Answer.visit_id), col(Answer.item_code))
    )
    return reports_repository.stream(session, query, batch=BATCH)
