"""HTTP routes of analyst reports: rankings, criteria, findings, and their charts."""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status

from service.auth.deps import ROLE_CHECKED
from service.errors import problem_responses
from service.languages import Language
from service.reports import rankings
from service.reports import service as reports_service
from service.reports.cache import matches
from service.reports.deps import (
    ChartCacheDep,
    CompareFrom,
    CompareTo,
    FiltersDep,
    LanguageDep,
    RankByQuery,
    RankingFiltersDep,
    ReportSession,
)
from service.reports.periods import ReportFiltersInvalid, check_comparison
from service.reports.schemas import (
    AgencyRow,
    ComparedRanking,
    CriterionRow,
    FindingsReport,
    OfficeRow,
    RankBy,
    Ranking,
    RegionRow,
    Report,
    ReportFilters,
    ServiceRow,
)
from service.scoring.results import Severity

router = APIRouter()

ERRORS: dict[int | str, dict[str, Any]] = problem_responses(*ROLE_CHECKED, ReportFiltersInvalid)
ETAG_HEADER = {"ETag": {"schema": {"type": "string"}}}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {
        "description": "The client's copy (`If-None-Match`) shows the data as it is now",
        "headers": ETAG_HEADER,
    }
}
# A JSON report: its ETag on the 200, and the 304 a current copy gets.
JSON_REPORT: dict[int | str, dict[str, Any]] = {
    200: {"description": "The report, with its `ETag`", "headers": ETAG_HEADER},
    **NOT_MODIFIED,
    **ERRORS,
}
PNG: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"image/png": {}},
        "description": "A PNG image, with its `ETag`",
        "headers": ETAG_HEADER,
    },
    **NOT_MODIFIED,
    **ERRORS,
}
# A report reader's copy (JSON or chart) must be checked each time (no-cache), and only by
# its own client.
REPORT_CACHE_CONTROL = "private, no-cache"
IfNoneMatch = Annotated[
    str | None, Header(description="ETag of the copy the client has; 304 when still current")
]


def _unchanged(
    session: ReportSession,
    response: Response,
    if_none_match: str | None,
    kind: str,
    filters: ReportFilters,
    options: Mapping[str, object],
    language: Language | None = None,
) -> Response | None:
    """The 304 when the client's copy of report ``kind`` (for ``filters``, ``options`` and
    ``language``) is current; else None, with the report's ETag set on ``response``: the
    route then reads the report in the same transaction, after the version its tag is of."""
    etag = reports_service.report_tag(session, kind, filters, language or "", **options)
    headers = {"ETag": etag, "Cache-Control": REPORT_CACHE_CONTROL}
    if language is not None:
        # Without ?lang the language is the Accept-Language header's choice.
        headers |= {"Content-Language": language, "Vary": "Accept-Language"}
    if matches(if_none_match, etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    response.headers.update(headers)
    return None


def _chart(
    session: ReportSession,
    filters: FiltersDep,
    cache: ChartCacheDep,
    if_none_match: str | None,
    kind: reports_service.ChartKind,
    language: Language,
) -> Response:
    etag = reports_service.chart_tag(session, filters, kind, language)
    headers = {
        "ETag": etag,
        "Cache-Control": REPORT_CACHE_CONTROL,
        "Content-Language": language,
        # Without ?lang the language is the Accept-Language header's choice.
        "Vary": "Accept-Language",
    }
    if matches(if_none_match, etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    png = reports_service.chart_png(session, filters, kind, language, etag, cache)
    return Response(content=png, media_type="image/png", headers=headers)


@router.get(
    "/reports/services",
    summary="Rank services",
    response_model=Ranking[ServiceRow],
    status_code=status.HTTP_200_OK,
    responses=JSON_REPORT,
)
def rank_services(
    session: ReportSession,
    filters: RankingFiltersDep,
    response: Response,
    rank_by: RankByQuery = RankBy.satisfaction,
    if_none_match: IfNoneMatch = None,
) -> Ranking[ServiceRow] | Response:
    """Rank services as Table 1 does: satisfaction and compliance, n, and the total row."""
    tagged = (session, response, if_none_match, "services", filters)
    if (unchanged := _unchanged(*tagged, {"rank_by": rank_by})) is not None:
        return unchanged
    return rankings.services_report(session, filters, rank_by)


@router.get(
    "/reports/agencies",
    summary="Rank agencies",
    response_model=ComparedRanking[AgencyRow],
    status_code=status.HTTP_200_OK,
    responses=JSON_REPORT,
)
def rank_agencies(
    session: ReportSession,
    filters: RankingFiltersDep,
    response: Response,
    rank_by: RankByQuery = RankBy.satisfaction,
    compare_from: CompareFrom = None,
    compare_to: CompareTo = None,
    if_none_match: IfNoneMatch = None,
) -> ComparedRanking[AgencyRow] | Response:
    """Rank agencies as Table 2 does, with the change since a comparison period if given."""
    # Before the tag: a bad period is a 422 even to a client that holds a copy (``*``).
    check_comparison(filters, compare_from, compare_to)
    tagged = (session, response, if_none_match, "agencies", filters)
    compared: dict[str, object] = {
        "rank_by": rank_by,
        "compare_from": compare_from,
        "compare_to": compare_to,
    }
    if (unchanged := _unchanged(*tagged, compared)) is not None:
        return unchanged
    return rankings.agencies_report(
        session, filters, rank_by, compare_from=compare_from, compare_to=compare_to
    )


@router.get(
    "/reports/regions",
    summary="Rank regions",
    response_model=ComparedRanking[RegionRow],
    status_code=status.HTTP_200_OK,
    responses=JSON_REPORT,
)
def rank_regions(
    session: ReportSession,
    filters: RankingFiltersDep,
    response: Response,
    rank_by: RankByQuery = RankBy.satisfaction,
    compare_from: CompareFrom = None,
    compare_to: CompareTo = None,
    if_none_match: IfNoneMatch = None,
) -> ComparedRanking[RegionRow] | Response:
    """Rank regions by their offices' visits (`level=local`: Table 3), with the change."""
    check_comparison(filters, compare_from, compare_to)
    tagged = (session, response, if_none_match, "regions", filters)
    compared: dict[str, object] = {
        "rank_by": rank_by,
        "compare_from": compare_from,
        "compare_to": compare_to,
    }
    if (unchanged := _unchanged(*tagged, compared)) is not None:
        return unchanged
    return rankings.regions_report(
        session, filters, rank_by, compare_from=compare_from, compare_to=compare_to
    )


@router.get(
    "/reports/offices",
    summary="Rank offices",
    response_model=Ranking[OfficeRow],
    status_code=status.HTTP_200_OK,
    responses=JSON_REPORT,
)
def rank_offices(
    session: ReportSession,
    filters: RankingFiltersDep,
    response: Response,
    rank_by: RankByQuery = RankBy.satisfaction,
    if_none_match: IfNoneMatch = None,
) -> Ranking[OfficeRow] | Response:
    """Rank offices by their visits, with the total row."""
    tagged = (session, response, if_none_match, "offices", filters)
    if (unchanged := _unchanged(*tagged, {"rank_by": rank_by})) is not None:
        return unchanged
    return rankings.offices_report(session, filters, rank_by)


@router.get(
    "/reports/criteria",
    summary="Summarise quality criteria",
    response_model=Report[CriterionRow],
    status_code=status.HTTP_200_OK,
    responses=JSON_REPORT,
)
def summarise_criteria(
    session: ReportSession,
    filters: FiltersDep,
    response: Response,
    if_none_match: IfNoneMatch = None,
) -> Report[CriterionRow] | Response:
    """Summarise each quality criterion: mean percent of points and share fully met."""
    if (
        unchanged := _unchanged(session, response, if_none_match, "criteria", filters, {})
    ) is not None:
        return unchanged
    return reports_service.criteria_report(session, filters)


@router.get(
    "/reports/findings",
    summary="List the most frequent findings",
    response_model=FindingsReport,
    status_code=status.HTTP_200_OK,
    responses=JSON_REPORT,
)
def list_findings(
    session: ReportSession,
    filters: FiltersDep,
    language: LanguageDep,
    response: Response,
    severity: Severity | None = None,
    limit: Annotated[int, Query(ge=1, le=100, description="How many findings")] = 20,
    if_none_match: IfNoneMatch = None,
) -> FindingsReport | Response:
    """List the most frequent findings by code and item, with a message and example visits."""
    tagged = (session, response, if_none_match, "findings", filters)
    shown = {"severity": severity, "limit": limit}
    if (unchanged := _unchanged(*tagged, shown, language)) is not None:
        return unchanged
    return reports_service.findings_report(
        session,
        filters,
        severity=severity.value if severity else None,
        limit=limit,
        language=language,
    )


@router.get(
    "/reports/services.png",
    summary="Chart the services ranking",
    response_class=Response,
    status_code=status.HTTP_200_OK,
    responses=PNG,
)
def chart_services(
    session: ReportSession,
    filters: RankingFiltersDep,
    cache: ChartCacheDep,
    language: LanguageDep,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Draw Table 1 as a bar chart: mean satisfaction, the share of 5s, n, and the total.

    Its texts are in `lang`, else the `Accept-Language` header's choice, else Russian. The
    same chart is drawn once per change of the data (its `ETag`, one per language);
    `If-None-Match` with the current `ETag` is answered 304.
    """
    kind = reports_service.ChartKind.services
    return _chart(session, filters, cache, if_none_match, kind, language)


@router.get(
    "/reports/criteria.png",
    summary="Chart the quality criteria",
    response_class=Response,
    status_code=status.HTTP_200_OK,
    responses=PNG,
)
def chart_criteria(
    session: ReportSession,
    filters: FiltersDep,
    cache: ChartCacheDep,
    language: LanguageDep,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Draw the criteria as a bar chart of mean percent with the share fully met.

    Its texts are in `lang`, else the `Accept-Language` header's choice, else Russian. The
    same chart is drawn once per change of the data (its `ETag`, one per language);
    `If-None-Match` with the current `ETag` is answered 304.
    """
    kind = reports_service.ChartKind.criteria
    return _chart(session, filters, cache, if_none_match, kind, language)
