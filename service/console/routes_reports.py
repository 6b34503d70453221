"""Analyst screens: the services ranking with its chart and exports; the printable wave report.

The filters are the API's own dependencies (``reports.deps.RankingFiltersDep`` for the
rankings and their chart: one channel, in person unless another is asked for, as
``GET /reports/services``; ``FiltersDep`` for the export); the figures, the chart and the files come
from ``reports.service`` and ``exports.service``, read in a read-only transaction as the
API's reports are.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from service.checklists.format import ChecklistChannel
from service.clock import ClockDep
from service.console.deps import CleanQuery, ReportConsole
from service.console.pages import page
from service.db import ReadSessionDep
from service.exports import service as exports_service
from service.exports.router import attachment
from service.exports.schemas import ExportFormat
from service.languages import language_of
from service.offices.regions import Region
from service.reports import rankings
from service.reports import service as reports_service
from service.reports.cache import matches
from service.reports.deps import (
    ChartCacheDep,
    CompareFrom,
    CompareTo,
    FiltersDep,
    RankByQuery,
    RankingFiltersDep,
)
from service.reports.schemas import RankBy
from service.standards import service as standards_service
from service.standards.catalogue import Level
from service.visits.transitions import VisitStatus

router = APIRouter()


async def report_session(session: ReadSessionDep, _console: ReportConsole) -> Session:
    """The request's session, read-only, for a console allowed to read reports."""
    return session


ReportSession = Annotated[Session, Depends(report_session)]


@router.get(
    "/reports/services",
    response_class=HTMLResponse,
    name="console_services_report",
    dependencies=[CleanQuery],
)
def console_services_report(
    session: ReportSession, console: ReportConsole, filters: RankingFiltersDep
) -> Response:
    """The services ranking as a table, with sample sizes, the chart and export links."""
    report = rankings.services_report(session, filters)
    return page(
        console,
        "services.html",
        {
            "report": report,
            "names": standards_service.newest_names(session),
            "filters": filters,
            "query": str(console.request.url.query),
            "regions": list(Region),
            "levels": list(Level),
            "channels": list(ChecklistChannel),
            "statuses": list(VisitStatus),
            "formats": list(ExportFormat),
        },
    )


@router.get("/reports/services.png", name="console_services_chart", dependencies=[CleanQuery])
def console_services_chart(
    session: ReportSession,
    filters: RankingFiltersDep,
    cache: ChartCacheDep,
    console: ReportConsole,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The chart of ``GET /reports/services.png``, for the page's image, in the page's
    language (a new language, a new ``ETag``)."""
    kind = reports_service.ChartKind.services
    language = language_of(console.language)
    etag = reports_service.chart_tag(session, filters, kind, language)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Content-Language": language}
    if matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    png = reports_service.chart_png(session, filters, kind, language, etag, cache)
    return Response(content=png, media_type="image/png", headers=headers)


@router.get("/exports/visits", name="console_export_visits", dependencies=[CleanQuery])
def console_export_visits(
    session: ReportSession,
    clock: ClockDep,
    filters: FiltersDep,
    fmt: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.csv,
) -> Response:
    """The visits export of ``GET /exports/visits``; a CSV starts with a BOM, for Excel."""
    export = exports_service.export_visits(
        session, filters, fmt, now=clock(), bom=fmt is ExportFormat.csv
    )
    return attachment(export)


@router.get(
    "/reports/wave",
    response_class=HTMLResponse,
    name="console_wave_report",
    dependencies=[CleanQuery],
)
def console_wave_report(
    session: ReportSession,
    console: ReportConsole,
    filters: RankingFiltersDep,
    rank_by: RankByQuery = RankBy.satisfaction,
    compare_from: CompareFrom = None,
    compare_to: CompareTo = None,
) -> Response:
    """The report's Tables 1-3 on one printable page: services, agencies, local regions.

    The tables are ``GET /reports/services``, ``/reports/agencies`` and ``/reports/regions``
    with ``level=local``, for the same filters and comparison period.
    """
    period = {"compare_from": compare_from, "compare_to": compare_to}
    local = filters.model_copy(update={"level": Level.local})
    return page(
        console,
        "wave_report.html",
        {
            "services": rankings.services_report(session, filters, rank_by),
            "agencies": rankings.agencies_report(session, filters, rank_by, **period),
            "regions": rankings.regions_report(session, local, rank_by, **period),
            "names": standards_service.newest_names(session),
            "filters": filters,
            "rank_by": rank_by,
            "ranks": list(RankBy),
            "compare_from": compare_from,
            "compare_to": compare_to,
            "regions_list": list(Region),
            "levels": list(Level),
            "channels": list(ChecklistChannel),
        },
    )
