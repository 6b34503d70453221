"""The rankings' query: satisfaction beside compliance per group, with the total row pooled
over every group, in one scan (``reports.rankings`` rounds, ranks and compares its rows)."""

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, Numeric, Row, and_, case, cast, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col

from service.answers.models import Answer
from service.reports.repository import execute, visits_from
from service.reports.schemas import RankBy, ReportFilters
from service.scoring.models import VisitScore
from service.standards.models import ServiceStandard
from service.visits.models import Visit

JUDGED_DEADLINES = ("on_time", "late", "overdue")
# The checklist item whose answer is the shopper's own 1-5 rating of the service (observable
# I1 in checklists/observables.yaml, on every channel): satisfaction, the measure of the 2018
# report's Tables 1-3. tests/reports/test_satisfaction.py checks every channel's template.
SATISFACTION_ITEM = "overall_rating"


def _shown(value: ColumnElement[Any]) -> ColumnElement[Any]:
    # Rank on the figure as shown (2 decimals): rows that look tied are ordered by the next
    # figure, not by a difference in the fifth decimal nobody can see.
    return func.round(cast(value, Numeric), 2)


class rating_value(FunctionElement[int]):
    """A current answer's value as the 1-5 rating it holds, else NULL (N/A, or not 1-5)."""

    type = Integer()
    name = "rating_value"
    inherit_cache = True


@compiles(rating_value, "sqlite")
def _rating_sqlite(element: rating_value, compiler: Any, **kw: Any) -> str:
    # A JSON column has NUMERIC affinity in SQLite: the JSON text 5 is stored as the integer 5
    # (a JSON string "5" stays text and null stays 'null'), so no JSON is parsed per visit.
    value = compiler.process(element.clauses, **kw)
    return f"CASE WHEN {value} IN (1, 2, 3, 4, 5) THEN {value} END"


@compiles(rating_value, "postgresql")
def _rating_postgresql(element: rating_value, compiler: Any, **kw: Any) -> str:
    # A JSON number's text (``#>> '{}'``; a JSON string "5" is no rating); only the five
    # digits are cast, so another kind of answer under the item's code never fails the cast.
    column = compiler.process(element.clauses, **kw)
    value = f"({column} #>> '{{}}')"
    return (
        f"CASE WHEN json_typeof({column}) = 'number' AND {value} IN ('1', '2', '3', '4', '5') "
        f"THEN CAST({value} AS INTEGER) END"
    )


def _counted(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def _figure_sums() -> dict[str, ColumnElement[Any]]:
    """Each figure of a group as a sum or count, so a total can pool them over visits."""
    rating = col(Answer.value)
    grade, status = col(VisitScore.grade), col(VisitScore.deadline_status)
    return {
        "visits": func.count(col(Visit.id)),
        "rated": func.count(rating_value(rating)),
        "rating_sum": func.sum(rating_value(rating)),
        "rating_5": _counted(rating_value(rating) == 5),
        "graded": func.count(grade),
        "scored": func.count(col(VisitScore.score)),
        "score_sum": func.sum(cast(col(VisitScore.score), Float)),
        "grade_sum": func.sum(grade),
        "grade_5": _counted(grade == 5),
        "findings_critical": func.sum(func.coalesce(col(VisitScore.findings_critical), 0)),
        "findings_major": func.sum(func.coalesce(col(VisitScore.findings_major), 0)),
        "findings_minor": func.sum(func.coalesce(col(VisitScore.findings_minor), 0)),
        "deadlines_judged": _counted(status.in_(JUDGED_DEADLINES)),
        "deadlines_met": _counted(status == "on_time"),
    }


def _mean(total: ColumnElement[Any], count: ColumnElement[Any]) -> ColumnElement[Any]:
    return cast(total, Float) / func.nullif(count, 0)


def _percent(part: ColumnElement[Any], count: ColumnElement[Any]) -> ColumnElement[Any]:
    return 100.0 * cast(part, Float) / func.nullif(count, 0)


def _order(sums: dict[str, ColumnElement[Any]], rank_by: RankBy) -> list[ColumnElement[Any]]:
    if rank_by is RankBy.satisfaction:
        mean, share = (
            _mean(sums["rating_sum"], sums["rated"]),
            _percent(sums["rating_5"], sums["rated"]),
        )
    else:
        mean, share = (
            _mean(sums["grade_sum"], sums["graded"]),
            _percent(sums["grade_5"], sums["graded"]),
        )
    return [_shown(mean).desc().nulls_last(), _shown(share).desc().nulls_last()]


def ranking_groups(
    session: Session,
    filters: ReportFilters,
    keys: Sequence[ColumnElement[Any]],
    shown: Sequence[ColumnElement[Any]] = (),
    *,
    rank_by: RankBy = RankBy.satisfaction,
) -> Sequence[Row[Any]]:
    """Both measures per group of ``keys``, best first by ``rank_by`` (mean, share of 5s, keys).

    Each row has the group's sums and counts (``_figure_sums``) and the same pooled over every
    group as ``total_<name>`` (a window over the grouped rows: the total row of the 2018
    report's tables, pooled over visits and not a mean of the rows, in the same scan).
    Satisfaction is the current answer to the overall 1-5 rating item; a visit without one
    counts in ``visits`` but not in ``rated``, and one without a score in no compliance sum.
    ``shown``: more columns, each one value per group: a subquery on a key
    (``service_name()``) or a column of the table whose primary key is the key (both
    databases accept those ungrouped).
    """
    columns = _ranking_columns(rank_by)
    query = (
        visits_from(select(*keys, *shown, *columns.figures), filters, reads=keys)
        .outerjoin(VisitScore, col(VisitScore.visit_id) == col(Visit.id))
        .outerjoin(Answer, columns.rated)
    )
    query = query.group_by(*keys).order_by(*columns.order, *keys)
    return execute(session, query)


@dataclass(frozen=True)
class _RankingColumns:
    figures: tuple[ColumnElement[Any], ...]
    rated: ColumnElement[bool]
    order: tuple[ColumnElement[Any], ...]


@functools.cache
def _ranking_columns(rank_by: RankBy) -> _RankingColumns:
    # Built once: the 28 figure and total expressions with their order took half the CPU a
    # ranking spends in Python, built again for every request. They have no parameters.
    sums = _figure_sums()
    figures = [value.label(name) for name, value in sums.items()]
    totals = [func.sum(value).over().label(f"total_{name}") for name, value in sums.items()]
    rated = and_(
        col(Answer.visit_id) == col(Visit.id),
        col(Answer.item_code) == SATISFACTION_ITEM,
        col(Answer.is_current),
        ~col(Answer.na),
    )
    return _RankingColumns(tuple(figures + totals), rated, tuple(_order(sums, rank_by)))


@functools.cache
def service_name() -> ColumnElement[Any]:
    """The Russian name of the newest standard of a group's service (``Visit.service_code``).

    Looked up once per group inside the ranking's query, rather than by a query of its own
    for every standard: one round trip less per report. Built once: aliasing the model took
    a tenth of the request's CPU, and the expression has no parameters.
    """
    newest = aliased(ServiceStandard)
    return (
        select(col(newest.name_ru))
        .where(col(newest.service_code) == col(Visit.service_code))
        .order_by(col(newest.version).desc())
        .limit(1)
        .scalar_subquery()
        .label("name_ru")
    )
