"""Analyst reports: criteria, findings and the charts (the rankings are in rankings.py)."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from service import db
from service.checklists.vocabulary import Criterion
from service.languages import Language
from service.reports import charts, rankings, repository
from service.reports.cache import ChartCache, DataVersion, chart_etag, report_etag
from service.reports.schemas import (
    CriterionRow,
    FindingRow,
    FindingSource,
    FindingsReport,
    Report,
    ReportFilters,
    ServiceRow,
)
from service.reports.words import CRITERIA, CRITERIA_RU, TOTAL, WORDS
from service.standards import service as standards_service


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
                source=_source(shown[0]) if shown else None,
                count=row.count,
                visits=row.visits,
                example_visit_ids=[example.visit_id for example in shown],
            )
        )
    return FindingsReport(filters=filters, language=language, items=items)


def _source(example: Row[Any]) -> FindingSource | None:
    if example.document is None:
        return None
    return FindingSource(document=example.document, line=example.line, clause=example.clause)


class ChartKind(StrEnum):
    services = "services"
    criteria = "criteria"


@dataclass(frozen=True)
class _Texts:
    """What a chart says, in one language."""

    title: str
    value_label: str
    second_label: str


@dataclass(frozen=True)
class _Chart:
    """What a chart shows: its rows, read from the database, and how they are drawn."""

    bars: Callable[[Session, ReportFilters, Language], list[charts.Bar]]
    texts: dict[Language, _Texts]
    value_max: float


def _service_bars(session: Session, filters: ReportFilters, language: Language) -> list[charts.Bar]:
    report = rankings.services_report(session, filters)
    names = standards_service.newest_names(session).services
    total = report.total

    def name(row: ServiceRow) -> str:
        found = names.get(row.service_code)
        return found.in_language(language) if found else row.name_ru or ""

    return [
        *(
            charts.Bar(
                label=f"{row.service_code} {name(row)}".strip(),
                value=row.mean_rating,
                second=row.share_rating_5,
                n=row.rated,
            )
            for row in report.items
        ),
        charts.Bar(
            label=TOTAL[language],
            value=total.mean_rating,
            second=total.share_rating_5,
            n=total.rated,
        ),
    ]


def _criterion_bars(
    session: Session, filters: ReportFilters, language: Language
) -> list[charts.Bar]:
    return [
        charts.Bar(
            label=CRITERIA[language][row.criterion],
            value=row.mean_percent,
            second=row.share_compliant,
            n=row.visits,
        )
        for row in criteria_report(session, filters).items
    ]


CHARTS: dict[ChartKind, _Chart] = {
    # Table 1: services' mean satisfaction (the shoppers' own 1-5 ratings) as bars, the share
    # of 5s beside each, best at the top, the pooled total last; n beside every label.
    ChartKind.services: _Chart(
        bars=_service_bars,
        texts={
            "ru": _Texts(
                "Рейтинг услуг: удовлетворённость (средний балл) и доля оценок «5»",
                "Средний балл (1–5)",
                "Доля пятёрок, %",
            ),
            "kk": _Texts(
                "Қызметтер рейтингі: қанағаттану (орташа балл) және 5 деген бағалардың үлесі",
                "Орташа балл (1–5)",
                "5 деген бағалардың үлесі, %",
            ),
            "en": _Texts(
                "Services ranking: satisfaction (mean rating) and share of 5s",
                "Mean rating (1–5)",
                "Share of 5s, %",
            ),
        },
        value_max=5,
    ),
    # Each criterion's mean percent of points as bars, the share fully met beside.
    ChartKind.criteria: _Chart(
        bars=_criterion_bars,
        texts={
            "ru": _Texts(
                "Критерии качества: доля набранных баллов и полного соответствия",
                "Набрано баллов, %",
                "Полное соответствие, %",
            ),
            "kk": _Texts(
                "Сапа өлшемдері: жиналған ұпай үлесі және толық сәйкестік",
                "Жиналған ұпай, %",
                "Толық сәйкестік, %",
            ),
            "en": _Texts(
                "Quality criteria: share of points earned and full compliance",
                "Points earned, %",
                "Full compliance, %",
            ),
        },
        value_max=100,
    ),
}


def report_tag(
    session: Session, kind: str, filters: ReportFilters, language: str, **options: object
) -> str:
    """The ETag of JSON report ``kind`` for ``filters`` and ``options`` in ``language`` on
    the data as it is now (one small query), read before the report in its transaction."""
    epoch, version = repository.data_version(session)
    return report_etag(kind, filters, DataVersion(epoch, version), language, **options)


def chart_tag(session: Session, filters: ReportFilters, kind: ChartKind, language: Language) -> str:
    """The ETag of chart ``kind`` in ``language`` for ``filters`` on the data as it is now
    (one small query).

    Call it before ``chart_png`` in the same transaction: the version is read first.
    """
    epoch, version = repository.data_version(session)
    return chart_etag(kind.value, filters, DataVersion(epoch, version), language)


def chart_png(
    session: Session,
    filters: ReportFilters,
    kind: ChartKind,
    language: Language,
    etag: str,
    cache: ChartCache,
) -> bytes:
    """Chart ``kind`` in ``language`` tagged ``etag`` (from ``chart_tag``): kept in
    ``cache``, or drawn.

    On a miss the rows are read, then the transaction ends before matplotlib draws (about a
    second for 60 bars): no pooled connection waits on a drawing.
    """
    png = cache.get(etag)
    if png is not None:
        return png
    chart = CHARTS[kind]
    texts = chart.texts[language]
    bars = chart.bars(session, filters, language)
    with db.released(session):
        return cache.get_or_draw(
            etag,
            lambda: charts.bar_chart_png(
                bars,
                title=texts.title,
                value_label=texts.value_label,
                value_max=chart.value_max,
                second_label=texts.second_label,
                words=WORDS[language],
            ),
        )
