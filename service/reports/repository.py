"""Every report query: filters as SQL conditions and GROUP BY aggregations, on either database.

Rows are aggregated by the database; Python only shapes the few grouped rows it returns.
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import (
    Float,
    Row,
    Select,
    case,
    cast,
    distinct,
    func,
    inspect,
    select,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.util import find_tables
from sqlmodel import Session, col

from service.isotime import LOCAL_OFFSET
from service.offices.models import Office
from service.reports.models import VERSION_ROW, ReportDataVersion
from service.reports.schemas import ReportFilters
from service.scoring.models import VisitCriterion, VisitFinding
from service.standards.models import ServiceStandard
from service.visits.models import Visit

# Points are floats; a criterion counts as fully met when earned is within this of applicable.
EPSILON = 1e-6

AnySelect = Select[*tuple[Any, ...]]


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), LOCAL_OFFSET)


def conditions(filters: ReportFilters) -> list[ColumnElement[bool]]:
    """The WHERE clauses of ``filters`` over visits joined with their standard and office."""
    where: list[ColumnElement[bool]] = [col(Visit.status).in_(filters.statuses)]
    if filters.date_from is not None:
        where.append(col(Visit.window_start_at) >= _day_start(filters.date_from))
    if filters.date_to is not None:
        # Half-open at the next local midnight, so the whole last day counts.
        next_day = filters.date_to + dt.timedelta(days=1)
        where.append(col(Visit.window_start_at) < _day_start(next_day))
    if filters.wave is not None:
        where.append(col(Visit.wave) == filters.wave)
    if filters.service_code is not None:
        where.append(col(Visit.service_code) == filters.service_code)
    if filters.agency is not None:
        where.append(col(ServiceStandard.agency_abbr) == filters.agency)
    if filters.level is not None:
        where.append(col(ServiceStandard.level) == filters.level.value)
    if filters.region is not None:
        where.append(col(Office.region) == filters.region.value)
    if filters.office_id is not None:
        where.append(col(Visit.office_id) == filters.office_id)
    if filters.channel is not None:
        where.append(col(Visit.channel) == filters.channel.value)
    return where


def visits_from(
    query: AnySelect, filters: ReportFilters, *, reads: Sequence[ColumnElement[Any]] | None = None
) -> AnySelect:
    """``query`` over the filtered visits, joined with their standard and office when
    ``reads`` (default: the selected columns) or the filters use them.

    A join nobody reads is left out: joining 400,000 criteria rows with standards and offices
    for nothing made the criteria report 1.5x its bare SQL on PostgreSQL.
    """
    where = conditions(filters)
    columns = query.selected_columns if reads is None else reads
    used = {
        table for clause in (*columns, *where) for table in find_tables(clause, check_columns=True)
    }
    query = query.select_from(Visit)
    if inspect(ServiceStandard).local_table in used:
        query = query.join(ServiceStandard, col(ServiceStandard.id) == col(Visit.standard_id))
    if inspect(Office).local_table in used:
        query = query.join(Office, col(Office.id) == col(Visit.office_id))
    return query.where(*where)


def data_version(session: Session) -> tuple[str, int]:
    """The report data's ``epoch`` and ``version`` (bumped by triggers, see reports/models.py).

    Read it before the figures: on PostgreSQL each statement sees the commits made before it,
    so figures read after the version are at least as new as it, and a chart kept under this
    version is never older than the version says.
    """
    query = select(col(ReportDataVersion.epoch), col(ReportDataVersion.version)).where(
        col(ReportDataVersion.id) == VERSION_ROW
    )
    epoch, version = session.connection().execute(query).one()
    return epoch, version


# session.info key: the transaction whose plans are already made per run (see execute).
_CUSTOM_PLANS = "mshop_report_custom_plans"


def execute(session: Session, query: AnySelect) -> Sequence[Row[Any]]:
    connection = session.connection()
    transaction = session.get_transaction()
    if connection.dialect.name == "postgresql" and session.info.get(_CUSTOM_PLANS) is not (
        transaction
    ):
        # psycopg prepares a statement run 5 times on a connection, and PostgreSQL then plans
        # it once for any parameters: a period filter is guessed at 0.5% of the visits, and
        # the plan (nested loops over 18,000 visits) took 143 ms where the plan for the actual
        # dates took 59. Planning a report costs ~1 ms; plan every run for its values. Once
        # per transaction: SET LOCAL lasts until it ends.
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
        session.info[_CUSTOM_PLANS] = transaction
    return connection.execute(query).all()


def criteria(session: Session, filters: ReportFilters) -> Sequence[Row[Any]]:
    """Per criterion: visits where it applied, mean fraction earned, fully compliant visits."""
    earned, applicable = col(VisitCriterion.earned), col(VisitCriterion.applicable)
    query = visits_from(
        select(
            col(VisitCriterion.criterion).label("criterion"),
            func.count().label("visits"),
            func.avg(cast(earned, Float) / cast(applicable, Float)).label("mean_fraction"),
            func.sum(case((earned >= applicable - EPSILON, 1), else_=0)).label("compliant"),
        ),
        filters,
    )
    query = (
        query.join(VisitCriterion, col(VisitCriterion.visit_id) == col(Visit.id))
        .where(applicable > 0)
        .group_by(col(VisitCriterion.criterion))
    )
    return execute(session, query)


def findings(
    session: Session, filters: ReportFilters, *, severity: str | None, limit: int
) -> Sequence[Row[Any]]:
    """The most frequent findings per code, severity and item: how many, in how many visits."""
    code, sev, item = (
        col(VisitFinding.code),
        col(VisitFinding.severity),
        col(VisitFinding.item_code),
    )
    count = func.count().label("count")
    query = visits_from(
        select(
            code.label("code"),
            sev.label("severity"),
            item.label("item_code"),
            count,
            func.count(distinct(col(VisitFinding.visit_id))).label("visits"),
        ),
        filters,
    ).join(VisitFinding, col(VisitFinding.visit_id) == col(Visit.id))
    if severity is not None:
        query = query.where(sev == severity)
    query = (
        query.group_by(code, sev, item)
        .order_by(count.desc(), code, sev, item.nulls_first())
        .limit(limit)
    )
    return execute(session, query)


def finding_examples(
    session: Session,
    filters: ReportFilters,
    codes: Sequence[str],
    *,
    language: str,
    per_group: int = 3,
) -> Sequence[Row[Any]]:
    """Up to ``per_group`` visits per (code, severity, item), the most recent first, each with
    its finding's message in ``language`` ("ru", "kk" or "en"; a finding stored before
    Kazakh gives its Russian)."""
    if not codes:
        return []
    plain = col(VisitFinding.message_en if language == "en" else VisitFinding.message_ru)
    kazakh = func.coalesce(col(VisitFinding.message_kk), plain)
    message = kazakh if language == "kk" else plain
    # The clause: English in ``clause``; Russian and Kazakh null in rows stored before them.
    clause_by = {"en": col(VisitFinding.clause), "ru": col(VisitFinding.clause_ru)}
    russian = func.coalesce(clause_by["ru"], clause_by["en"])
    clause = {"en": clause_by["en"], "ru": russian}.get(
        language, func.coalesce(col(VisitFinding.clause_kk), russian)
    )
    # One row per visit and group first: a visit with two extra documents is one example.
    keys: tuple[ColumnElement[Any], ...] = (
        col(VisitFinding.code).label("code"),
        col(VisitFinding.severity).label("severity"),
        col(VisitFinding.item_code).label("item_code"),
        col(Visit.id).label("visit_id"),
        col(Visit.window_start_at).label("window_start_at"),
    )
    said = (
        func.min(message).label("message"),
        func.min(clause).label("clause"),
        func.min(col(VisitFinding.source_document)).label("document"),
        func.min(col(VisitFinding.source_line)).label("line"),
    )
    pairs = (
        visits_from(select(*keys, *said), filters)
        .join(VisitFinding, col(VisitFinding.visit_id) == col(Visit.id))
        .where(col(VisitFinding.code).in_(list(codes)))
        .group_by(*keys)
        .subquery()
    )
    position = (
        func.row_number()
        .over(
            partition_by=(pairs.c.code, pairs.c.severity, pairs.c.item_code),
            order_by=(pairs.c.window_start_at.desc(), pairs.c.visit_id),
        )
        .label("position")
    )
    group = (pairs.c.code, pairs.c.severity, pairs.c.item_code)
    told = (pairs.c.message, pairs.c.clause, pairs.c.document, pairs.c.line)
    ranked = select(*group, pairs.c.visit_id, *told, position).subquery()
    query = (
        select(ranked.c.code, ranked.c.severity, ranked.c.item_code, ranked.c.visit_id)
        .add_columns(ranked.c.message, ranked.c.clause, ranked.c.document, ranked.c.line)
        .where(ranked.c.position <= per_group)
        .order_by(ranked.c.code, ranked.c.severity, ranked.c.item_code, ranked.c.position)
    )
    return execute(session, query)


def stream(
    session: Session, query: AnySelect, *, batch: int = 1000
) -> Iterator[Sequence[Row[Any]]]:
    """Run ``query`` with a server-side cursor where the driver has one, in batches of rows."""
    result = session.connection().execute(query.execution_options(yield_per=batch))
    try:
        yield from result.partitions()
    finally:
        result.close()
