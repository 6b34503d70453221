"""Analyst reports: criteria, findings and the charts (the rankings are in rankings.py)."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from service import db
from service.checklists.vocabulary import Criterion
from service.reports import charts, rankings, repository
from service.reports.cache import LANGUAGE, ChartCache, DataVersion, chart_etag
from service.reports.schemas import (
    CriterionRow,
    FindingRow,
    FindingsReport,
    Language,
    Report,
    ReportFilters,
)

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
    session: Session,
    filters: ReportFilters,
    *,
    severity: str | None,
    limit: int,
    language: Language = "ru",
) -> FindingsReport:
    """The most frequent findings by code, severity and item (the question a finding is
    about), each with the message of its most recent visit in ``language`` and up to 3
    example visits (the most recent first)."""
    rows = repository.findings(session, filters, severity=severity, limit=limit)
    examples: dict[tuple[str, str, str | None], list[Row[Any]]] = {}
    codes = sorted({row.code for row in rows})
    for example in repository.finding_examples(session, filters, codes, language=language):
        group = (example.code, example.severity, example.item_code)
        examples.setdefault(group, []).append(example)
    items = []
    for rank, row in enumerate(rows, start=1):
        shown = examples.get((row.code, row.severity, row.item_code), [])
        items.append(
            FindingRow(
                rank=rank,
                code=row.code,
                severity=row.severity,
                item_code=row.item_code,
                message=shown[0].message if shown else None,
                count=row.count,
                visits=row.visits,
                example_visit_ids=[example.visit_id for example in shown],
            )
        )
    return FindingsReport(filters=filters, language=language, items=items)


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
    report = rankings.services_report(session, filters)
    total = report.total
    return [
        *(
            charts.Bar(
                label=f"{row.service_code} {row.name_ru or ''}".strip(),
                value=row.mean_rating,
                second=row.share_rating_5,
                n=row.rated,
            )
            for row in report.items
        ),
        charts.Bar(
            label="Всего", value=total.mean_rating, second=total.share_rating_5, n=total.rated
        ),
    ]


def _criterion_bars(session: Session, filters: ReportFilters) -> list[charts.Bar]:
    return [
        charts.Bar(
            label=row.name_ru, value=row.mean_percent, second=row.share_compliant, n=row.visits
        )
        for row in criteria_report(session, filters).items
    ]


CHARTS: dict[ChartKind, _Chart] = {
    # Table 1: services' mean satisfaction (the shoppers' own 1-5 ratings) as bars, the share
    # of 5s beside each, best at the top, the pooled total last; n beside every label.
    ChartKind.services: _Chart(
        bars=_service_bars,
        title="Рейтинг услуг: удовлетворённость (средний балл) и доля оценок «5»",
        value_label="Средний балл (1–5)",
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
