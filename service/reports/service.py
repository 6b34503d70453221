"""Analyst reports: rankings by service, agency, region and office; criteria; findings; charts."""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import Row
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from service import db
from service.checklists.vocabulary import Criterion
from service.errors import ErrorCode, ValidationFailed
from service.offices.models import Office
from service.offices.regions import REGION_NAMES_RU, Region
from service.offices.schemas import OfficeKind
from service.reports import charts, repository
from service.reports.cache import LANGUAGE, ChartCache, DataVersion, chart_etag
from service.reports.schemas import (
    AgencyReport,
    AgencyRow,
    Comparison,
    CriterionRow,
    FindingRow,
    OfficeRow,
    RegionRow,
    Report,
    ReportFilters,
    ServiceRow,
)
from service.standards.models import ServiceStandard
from service.visits.models import Visit


class ReportFiltersInvalid(ValidationFailed):
    code: ClassVar[ErrorCode] = "report-filters-invalid"
    title = "Report filters invalid"


def check_period(start: dt.date | None, end: dt.date | None, names: tuple[str, str]) -> None:
    """Refuse a period that ends before it starts.

    Raises:
        ReportFiltersInvalid: ``end`` is before ``start``.
    """
    if start is not None and end is not None and end < start:
        detail = f"{names[1]} ({end}) is before {names[0]} ({start})."
        raise ReportFiltersInvalid(detail, errors=[{"loc": ["query", names[1]], "msg": detail}])


CRITERIA_RU: dict[Criterion, str] = {
    Criterion.information: "Информированность",
    Criterion.premises: "Помещение и удобства",
    Criterion.queue: "Очередь и ожидание",
    Criterion.staff: "Персонал",
    Criterion.documents: "Документы",
    Criterion.deadline: "Сроки",
    Criterion.integrity: "Честность",
    Criterion.technical: "Технические сбои",
    Criterion.call_centre: "Контакт-центр 1414",
    Criterion.portal: "Портал egov.kz",
    Criterion.overall: "Общая оценка",
}


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, 2)


def _figures(row: Row[Any]) -> dict[str, Any]:
    """The GradeFigures fields of one grouped row."""
    return {
        "visits": row.visits,
        "graded": row.graded,
        "mean_score": _round(row.mean_score),
        "mean_grade": _round(row.mean_grade),
        "share_grade_5": _percent(row.grade_5, row.graded),
        "findings_critical": int(row.findings_critical),
        "findings_major": int(row.findings_major),
        "findings_minor": int(row.findings_minor),
        "deadlines_judged": int(row.deadlines_judged),
        "deadlines_met": int(row.deadlines_met),
        "share_deadlines_met": _percent(row.deadlines_met, row.deadlines_judged),
    }


def _ranked(rows: Sequence[Row[Any]]) -> list[tuple[int, Row[Any], dict[str, Any]]]:
    """Rows in order with their rank and figures; rows that show the same mean grade and
    share of 5s share a rank, and the next rank skips (1, 2, 2, 4), as in a league table."""
    ranked: list[tuple[int, Row[Any], dict[str, Any]]] = []
    shown_before: tuple[Any, Any] | None = None
    rank = 0
    for position, row in enumerate(rows, start=1):
        figures = _figures(row)
        shown = (figures["mean_grade"], figures["share_grade_5"])
        if shown != shown_before:
            rank, shown_before = position, shown
        ranked.append((rank, row, figures))
    return ranked


def _groups(
    session: Session, filters: ReportFilters, *keys: ColumnElement[Any]
) -> Sequence[Row[Any]]:
    return repository.grade_groups(session, filters, keys)


def services_report(session: Session, filters: ReportFilters) -> Report[ServiceRow]:
    """Rank services like the 2018 report's Table 1: mean grade, then share of 5s, then code.

    Names are those of each service's newest standard version.
    """
    rows = repository.grade_groups(
        session,
        filters,
        [col(Visit.service_code).label("service_code")],
        shown=[repository.service_name()],
    )
    items = [
        ServiceRow(rank=rank, service_code=row.service_code, name_ru=row.name_ru, **figures)
        for rank, row, figures in _ranked(rows)
    ]
    return Report[ServiceRow](filters=filters, items=items)


def _agency_names(session: Session) -> dict[str, str]:
    newest: dict[str, tuple[dt.date, str]] = {}
    for row in repository.latest_standards(session):
        name = str(row.agency_name_ru or row.agency_abbr)
        seen = newest.get(row.agency_abbr)
        if seen is None or row.effective_from > seen[0]:
            newest[row.agency_abbr] = (row.effective_from, name)
    return {abbr: name for abbr, (_, name) in newest.items()}


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else _round(now - before)


def _compare(current: dict[str, Any], previous: Row[Any] | None) -> Comparison:
    if previous is None:
        return Comparison()
    before = _figures(previous)
    return Comparison(
        previous_visits=before["visits"],
        previous_mean_grade=before["mean_grade"],
        previous_share_grade_5=before["share_grade_5"],
        change_mean_grade=_change(current["mean_grade"], before["mean_grade"]),
        change_share_grade_5=_change(current["share_grade_5"], before["share_grade_5"]),
    )


def _check_comparison(filters: ReportFilters, start: dt.date | None, end: dt.date | None) -> None:
    if (start is None) != (end is None):
        given, missing = (
            ("compare_from", "compare_to") if end is None else ("compare_to", "compare_from")
        )
        detail = f"{given} needs {missing}: a comparison period has both ends."
        raise ReportFiltersInvalid(detail, errors=[{"loc": ["query", missing], "msg": detail}])
    check_period(start, end, ("compare_from", "compare_to"))
    if start is None or end is None or (filters.date_from is None and filters.date_to is None):
        # Without dates the current visits are a wave's or all of them: nothing to overlap.
        return
    now_from, now_to = filters.date_from or dt.date.min, filters.date_to or dt.date.max
    if start <= now_to and now_from <= end:
        detail = (
            f"The comparison period {start}..{end} overlaps the current period "
            f"{filters.date_from or '…'}..{filters.date_to or '…'}; compare with an earlier one."
        )
        raise ReportFiltersInvalid(
            detail, errors=[{"loc": ["query", "compare_from"], "msg": detail}]
        )


def agencies_report(
    session: Session,
    filters: ReportFilters,
    *,
    compare_from: dt.date | None = None,
    compare_to: dt.date | None = None,
) -> AgencyReport:
    """Rank agencies like the 2018 report's Table 2, with the change since a previous period.

    Args:
        session: the request's session.
        filters: the visits of the current period.
        compare_from: first day of the comparison period; given with ``compare_to``.
        compare_to: last day of the comparison period.

    Returns:
        One row per agency with visits in the current period; the comparison fields are
        null when no period is given or the agency had no visits then. The comparison keeps
        every filter but the period and the wave (a wave is itself a period).

    Raises:
        ReportFiltersInvalid: only one end of the comparison period is given, it ends before
            it starts, or it overlaps the current period.
    """
    _check_comparison(filters, compare_from, compare_to)
    key: ColumnElement[Any] = col(ServiceStandard.agency_abbr).label("agency")
    rows = _groups(session, filters, key)
    previous: dict[str, Row[Any]] = {}
    if compare_from is not None or compare_to is not None:
        before = filters.model_copy(
            update={"date_from": compare_from, "date_to": compare_to, "wave": None}
        )
        previous = {row.agency: row for row in _groups(session, before, key)}
    names = _agency_names(session)
    items = []
    for rank, row, figures in _ranked(rows):
        comparison = _compare(figures, previous.get(row.agency))
        items.append(
            AgencyRow(
                rank=rank,
                agency=row.agency,
                name_ru=names.get(row.agency),
                **figures,
                **comparison.model_dump(),
            )
        )
    return AgencyReport(
        filters=filters, items=items, compare_from=compare_from, compare_to=compare_to
    )


def regions_report(session: Session, filters: ReportFilters) -> Report[RegionRow]:
    """Rank regions by mean grade, then share of 5s, then region code."""
    rows = _groups(session, filters, col(Office.region).label("region"))
    items = [
        RegionRow(
            rank=rank,
            region=Region(row.region),
            name_ru=REGION_NAMES_RU[Region(row.region)],
            **figures,
        )
        for rank, row, figures in _ranked(rows)
    ]
    return Report[RegionRow](filters=filters, items=items)


def offices_report(session: Session, filters: ReportFilters) -> Report[OfficeRow]:
    """Rank offices by mean grade, then share of 5s, then office id."""
    # Grouped by the office's key alone: its name, region and kind follow from it, and
    # grouping 50,000 visits by four columns cost more than by one.
    rows = repository.grade_groups(
        session,
        filters,
        [col(Office.id).label("office_id")],
        shown=[
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
            **figures,
        )
        for rank, row, figures in _ranked(rows)
    ]
    return Report[OfficeRow](filters=filters, items=items)


def criteria_report(session: Session, filters: ReportFilters) -> Report[CriterionRow]:
    """Per quality criterion: mean percent of points earned and share of fully met visits.

    Criteria come in the vocabulary's order; one no visit applied to is left out.
    """
    found = {row.criterion: row for row in repository.criteria(session, filters)}
    items = []
    for criterion in Criterion:
        row = found.get(criterion.value)
        if row is None:
            continue
        mean = None if row.mean_fraction is None else 100 * float(row.mean_fraction)
        items.append(
            CriterionRow(
                criterion=criterion,
                name_ru=CRITERIA_RU[criterion],
                visits=row.visits,
                mean_percent=_round(mean),
                compliant=int(row.compliant),
                share_compliant=_percent(int(row.compliant), row.visits),
            )
        )
    return Report[CriterionRow](filters=filters, items=items)


def findings_report(
    session: Session, filters: ReportFilters, *, severity: str | None, limit: int
) -> Report[FindingRow]:
    """The most frequent findings, each with up to 3 example visits (the most recent)."""
    rows = repository.findings(session, filters, severity=severity, limit=limit)
    examples: dict[tuple[str, str], list[Any]] = {}
    codes = sorted({row.code for row in rows})
    for example in repository.finding_examples(session, filters, codes):
        examples.setdefault((example.code, example.severity), []).append(example.visit_id)
    items = [
        FindingRow(
            rank=rank,
            code=row.code,
            severity=row.severity,
            count=row.count,
            visits=row.visits,
            example_visit_ids=examples.get((row.code, row.severity), []),
        )
        for rank, row in enumerate(rows, start=1)
    ]
    return Report[FindingRow](filters=filters, items=items)


class ChartKind(StrEnum):
    services = "services"
    criteria = "criteria"


@dataclass(frozen=True)
class _Chart:
    """What a chart shows: its rows, read from the database, and how they are drawn."""

    bars: Callable[[Session, ReportFilters], list[charts.Bar]]
    title: str
    value_label: str
    value_max: float
    second_label: str


def _service_bars(session: Session, filters: ReportFilters) -> list[charts.Bar]:
    return [
        charts.Bar(
            label=f"{row.service_code} {row.name_ru or ''}".strip(),
            value=row.mean_grade,
            second=row.share_grade_5,
        )
        for row in services_report(session, filters).items
    ]


def _criterion_bars(session: Session, filters: ReportFilters) -> list[charts.Bar]:
    return [
        charts.Bar(label=row.name_ru, value=row.mean_percent, second=row.share_compliant)
        for row in criteria_report(session, filters).items
    ]


CHARTS: dict[ChartKind, _Chart] = {
    # Services' mean grade as bars, the share of 5s beside each, best at the top.
    ChartKind.services: _Chart(
        bars=_service_bars,
        title="Рейтинг услуг: средняя оценка и доля оценок «5»",
        value_label="Средняя оценка (1–5)",
        value_max=5,
        second_label="Доля «5», %",
    ),
    # Each criterion's mean percent of points as bars, the share fully met beside.
    ChartKind.criteria: _Chart(
        bars=_criterion_bars,
        title="Критерии качества: доля набранных баллов и полного соответствия",
        value_label="Набрано баллов, %",
        value_max=100,
        second_label="Полное соответствие, %",
    ),
}


def chart_tag(session: Session, filters: ReportFilters, kind: ChartKind) -> str:
    """The ETag of chart ``kind`` for ``filters`` on the data as it is now (one small query).

    Call it before ``chart_png`` in the same transaction: the version is read first.
    """
    epoch, version = repository.data_version(session)
    return chart_etag(kind.value, filters, DataVersion(epoch, version), LANGUAGE)


def chart_png(
    session: Session, filters: ReportFilters, kind: ChartKind, etag: str, cache: ChartCache
) -> bytes:
    """Chart ``kind`` tagged ``etag`` (from ``chart_tag``): kept in ``cache``, or drawn.

    On a miss the rows are read, then the transaction ends before matplotlib draws (about a
    second for 60 bars): no pooled connection waits on a drawing.
    """
    png = cache.get(etag)
    if png is not None:
        return png
    chart = CHARTS[kind]
    bars = chart.bars(session, filters)
    with db.released(session):
        return cache.get_or_draw(
            etag,
            lambda: charts.bar_chart_png(
                bars,
                title=chart.title,
                value_label=chart.value_label,
                value_max=chart.value_max,
                second_label=chart.second_label,
            ),
        )
