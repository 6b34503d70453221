"""Rankings by service, agency, region and office: both measures, the total row, the change.

The 2018 report's Table 1 ranks services by the respondents' own 1-5 ratings (mean and share
of 5s) with a pooled «Всего» row; Table 2 ranks agencies and Table 3 the regions of local
services, each with the change since the year before. These reports give the same form,
with compliance beside satisfaction and the sample size on every row. The database does all
the aggregating (``repository_ranking.ranking_groups``); this module rounds, ranks and compares.
"""

import datetime as dt
from typing import Any

from sqlalchemy import Row
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from service.offices.models import Office
from service.offices.regions import REGION_NAMES_RU, Region
from service.offices.schemas import OfficeKind
from service.reports import repository_ranking
from service.reports.periods import check_comparison
from service.reports.schemas import (
    AgencyRow,
    ComparedRanking,
    Comparison,
    OfficeRow,
    RankBy,
    Ranking,
    RegionRow,
    ReportFilters,
    ServiceRow,
    TotalRow,
)
from service.standards import service as standards_service
from service.standards.models import ServiceStandard
from service.visits.models import Visit


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _mean(total: Any, count: int) -> float | None:
    return None if not count else _round(float(total) / count)


def _percent(part: Any, whole: int) -> float | None:
    return None if not whole else round(100 * int(part) / whole, 2)


def figures(row: Row[Any] | None, prefix: str = "") -> dict[str, Any]:
    """The ``Figures`` fields of one grouped row (``prefix="total_"``: of its total row);
    ``None``: of no visits."""
    sums = {name: 0 if row is None else getattr(row, prefix + name) or 0 for name in _SUMS}
    rated, graded = int(sums["rated"]), int(sums["graded"])
    return {
        "visits": int(sums["visits"]),
        "rated": rated,
        "mean_rating": _mean(sums["rating_sum"], rated),
        "share_rating_5": _percent(sums["rating_5"], rated),
        "graded": graded,
        "mean_score": _mean(sums["score_sum"], int(sums["scored"])),
        "mean_grade": _mean(sums["grade_sum"], graded),
        "share_grade_5": _percent(sums["grade_5"], graded),
        "findings_critical": int(sums["findings_critical"]),
        "findings_major": int(sums["findings_major"]),
        "findings_minor": int(sums["findings_minor"]),
        "deadlines_judged": int(sums["deadlines_judged"]),
        "deadlines_met": int(sums["deadlines_met"]),
        "share_deadlines_met": _percent(sums["deadlines_met"], int(sums["deadlines_judged"])),
    }


_SUMS = (
    "visits", "rated", "rating_sum", "rating_5", "graded", "scored", "score_sum", "grade_sum",
    "grade_5", "findings_critical", "findings_major", "findings_minor", "deadlines_judged",
    "deadlines_met",
)  # fmt: skip
_MEASURES = {
    RankBy.satisfaction: ("mean_rating", "share_rating_5"),
    RankBy.compliance: ("mean_grade", "share_grade_5"),
}


def _total(rows: list[Row[Any]]) -> dict[str, Any]:
    # Every row carries the pooled sums; no row, no visits.
    return figures(rows[0] if rows else None, "total_")


def _ranked(rows: list[Row[Any]], rank_by: RankBy) -> list[tuple[int, Row[Any], dict[str, Any]]]:
    """Rows in order with their rank and figures; rows that show the same mean and share of
    5s of the ranking's measure share a rank, and the next rank skips (1, 2, 2, 4)."""
    mean, share = _MEASURES[rank_by]
    ranked: list[tuple[int, Row[Any], dict[str, Any]]] = []
    shown_before: tuple[Any, Any] | None = None
    rank = 0
    for position, row in enumerate(rows, start=1):
        shown_figures = figures(row)
        shown = (shown_figures[mean], shown_figures[share])
        if shown != shown_before:
            rank, shown_before = position, shown
        ranked.append((rank, row, shown_figures))
    return ranked


def _groups(
    session: Session,
    filters: ReportFilters,
    rank_by: RankBy,
    keys: list[ColumnElement[Any]],
    shown: list[ColumnElement[Any]] | None = None,
) -> list[Row[Any]]:
    groups = repository_ranking.ranking_groups(session, filters, keys, shown or [], rank_by=rank_by)
    return list(groups)


def services_report(
    session: Session, filters: ReportFilters, rank_by: RankBy = RankBy.satisfaction
) -> Ranking[ServiceRow]:
    """Rank services like the 2018 report's Table 1: by ``rank_by``'s mean, then its share
    of 5s, then code, with the total row pooled over the visits.

    Names are those of each service's newest standard version.
    """
    rows = _groups(
        session,
        filters,
        rank_by,
        [col(Visit.service_code).label("service_code")],
        [repository_ranking.service_name()],
    )
    items = [
        ServiceRow(rank=rank, service_code=row.service_code, name_ru=row.name_ru, **shown)
        for rank, row, shown in _ranked(rows, rank_by)
    ]
    total = TotalRow(**_total(rows))
    return Ranking[ServiceRow](filters=filters, rank_by=rank_by, items=items, total=total)


def _agency_names(session: Session) -> dict[str, str]:
    names = standards_service.newest_names(session).agencies
    return {abbr: name.ru for abbr, name in names.items()}


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else _round(now - before)


def _compare(current: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any]:
    if before is None:
        return Comparison().model_dump()
    return Comparison(
        previous_visits=before["visits"],
        previous_rated=before["rated"],
        previous_mean_rating=before["mean_rating"],
        previous_share_rating_5=before["share_rating_5"],
        previous_mean_grade=before["mean_grade"],
        previous_share_grade_5=before["share_grade_5"],
        change_mean_rating=_change(current["mean_rating"], before["mean_rating"]),
        change_share_rating_5=_change(current["share_rating_5"], before["share_rating_5"]),
        change_mean_grade=_change(current["mean_grade"], before["mean_grade"]),
        change_share_grade_5=_change(current["share_grade_5"], before["share_grade_5"]),
    ).model_dump()


def _compared(
    session: Session,
    filters: ReportFilters,
    rank_by: RankBy,
    key: ColumnElement[Any],
    period: tuple[dt.date | None, dt.date | None],
) -> tuple[list[tuple[int, Row[Any], dict[str, Any]]], TotalRow]:
    """Ranked rows of ``key`` with each row's comparison, and the total row with its own."""
    check_comparison(filters, *period)
    rows = _groups(session, filters, rank_by, [key])
    ranked = _ranked(rows, rank_by)
    total = _total(rows)
    if period == (None, None):
        return [(rank, row, shown | _compare(shown, None)) for rank, row, shown in ranked], (
            TotalRow(**total)
        )
    # The comparison keeps every filter but the period and the wave (a wave is itself a
    # period).
    before = filters.model_copy(update={"date_from": period[0], "date_to": period[1], "wave": None})
    previous_rows = _groups(session, before, rank_by, [key])
    previous = {row.key: figures(row) for row in previous_rows}
    compared = [
        (rank, row, shown | _compare(shown, previous.get(row.key))) for rank, row, shown in ranked
    ]
    total_before = _total(previous_rows) if previous_rows else None
    return compared, TotalRow(**total, **_compare(total, total_before))


def agencies_report(
    session: Session,
    filters: ReportFilters,
    rank_by: RankBy = RankBy.satisfaction,
    *,
    compare_from: dt.date | None = None,
    compare_to: dt.date | None = None,
) -> ComparedRanking[AgencyRow]:
    """Rank agencies like the 2018 report's Table 2, with the change since a previous period.

    Args:
        session: the request's session.
        filters: the visits of the current period.
        rank_by: the measure that orders the rows.
        compare_from: first day of the comparison period; given with ``compare_to``.
        compare_to: last day of the comparison period.

    Returns:
        One row per agency with visits in the current period, and the total row; the
        comparison fields are null when no period is given or the group had no visits then.

    Raises:
        ReportFiltersInvalid: only one end of the comparison period is given, it ends before
            it starts, or it overlaps the current period.
    """
    key: ColumnElement[Any] = col(ServiceStandard.agency_abbr).label("key")
    ranked, total = _compared(session, filters, rank_by, key, (compare_from, compare_to))
    names = _agency_names(session)
    items = [
        AgencyRow(rank=rank, agency=row.key, name_ru=names.get(row.key), **shown)
        for rank, row, shown in ranked
    ]
    return ComparedRanking[AgencyRow](
        filters=filters,
        rank_by=rank_by,
        items=items,
        total=total,
        compare_from=compare_from,
        compare_to=compare_to,
    )


def regions_report(
    session: Session,
    filters: ReportFilters,
    rank_by: RankBy = RankBy.satisfaction,
    *,
    compare_from: dt.date | None = None,
    compare_to: dt.date | None = None,
) -> ComparedRanking[RegionRow]:
    """Rank regions by their offices' visits, with the change since a previous period; with
    ``level=local`` the 2018 report's Table 3.

    Raises:
        ReportFiltersInvalid: as ``agencies_report``.
    """
    key: ColumnElement[Any] = col(Office.region).label("key")
    ranked, total = _compared(session, filters, rank_by, key, (compare_from, compare_to))
    items = [
        RegionRow(
            rank=rank, region=Region(row.key), name_ru=REGION_NAMES_RU[Region(row.key)], **shown
        )
        for rank, row, shown in ranked
    ]
    return ComparedRanking[RegionRow](
        filters=filters,
        rank_by=rank_by,
        items=items,
        total=total,
        compare_from=compare_from,
        compare_to=compare_to,
    )


def offices_report(
    session: Session, filters: ReportFilters, rank_by: RankBy = RankBy.satisfaction
) -> Ranking[OfficeRow]:
    """Rank offices by their visits, with the total row."""
    # Grouped by the office's key alone: its name, region and kind follow from it, and
    # grouping 50,000 visits by four columns cost more than by one.
    rows = _groups(
        session,
        filters,
        rank_by,
        [col(Office.id).label("office_id")],
        [
            col(Office.name).label("name"),
            col(Office.region).label("region"),
            col(Office.kind).label("kind"),
        ],
    )
    items = [
        OfficeRow(
            rank=rank,
            office_id=row.office_id,
            name=row.name,
            region=Region(row.region),
            kind=OfficeKind(row.kind),
            **shown,
        )
        for rank, row, shown in _ranked(rows, rank_by)
    ]
    return Ranking[OfficeRow](
        filters=filters, rank_by=rank_by, items=items, total=TotalRow(**_total(rows))
    )
