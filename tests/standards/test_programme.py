"""The programme's norms and the МРП table: whose norm applies, and tariffs in tenge."""

import datetime as dt
from pathlib import Path

import pytest

from service.standards.catalogue import CatalogueError, Cost, load_catalogue
from service.standards.programme import (
    NormSource,
    allowed_fee,
    default_mrp,
    default_programme,
    load_mrp,
    minutes_ru,
    service_norm,
    wait_norm,
)

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = {s.code: s for s in load_catalogue(ROOT / "checklists" / "standards")}
PROGRAMME = default_programme()


def test_no_standard_states_a_wait_norm() -> None:
    # Issue 16 item 4: the 15/15 every file carried is stated by no standard in the report.
    assert [c for c, s in CATALOGUE.items() if s.queue.max_wait_minutes is not None] == []
    assert {wait_norm(s, PROGRAMME).source for s in CATALOGUE.values()} == {NormSource.programme}


@pytest.mark.parametrize(
    ("code", "minutes", "source", "line"),
    [
        ("S27", 30, NormSource.standard, 2559),  # «Сроки оказания … – 30 минут»
        ("S48", 60, NormSource.standard, 3900),  # «не более 60 минут»
        ("S54", 30, NormSource.standard, 4303),  # «30 минут»
        ("S26", 15, NormSource.programme, None),
    ],
)
def test_service_norm(code: str, minutes: int, source: NormSource, line: int | None) -> None:
    norm = service_norm(CATALOGUE[code], PROGRAMME)
    assert (norm.minutes, norm.source, norm.line) == (minutes, source, line)


def test_norm_labels_say_whose() -> None:
    assert wait_norm(CATALOGUE["S26"], PROGRAMME).label("ru") == (
        "норма программы мониторинга: 15 минут"
    )
    assert service_norm(CATALOGUE["S48"], PROGRAMME).label("ru") == (
        "норма стандарта: 60 минут, строка 3900 отчёта"
    )


@pytest.mark.parametrize(
    ("n", "text"), [(1, "1 минута"), (3, "3 минуты"), (11, "11 минут"), (21, "21 минута")]
)
def test_minutes_plural(n: int, text: str) -> None:
    assert minutes_ru(n) == text


@pytest.mark.parametrize(
    ("day", "tenge"),
    [
        (dt.date(2018, 6, 1), 2405),  # the report's year
        (dt.date(2020, 3, 31), 2651),
        (dt.date(2020, 4, 1), 2778),  # raised in April 2020
        (dt.date(2026, 1, 1), 4325),  # budget law of 8 December 2025
        (dt.date(2023, 6, 1), None),  # not in the table: not guessed from a neighbour
    ],
)
def test_mrp_on(day: dt.date, tenge: int | None) -> None:
    value = default_mrp().on(day)
    assert (value and value.tenge) == tenge


def test_s23_tariff_in_2018_and_2026() -> None:
    # L2331 «за выдачу лицензии 10 МРП, за дубликат лицензии 1 МРП»
    cost = CATALOGUE["S23"].cost
    assert cost.line == 2331
    early, late = (
        allowed_fee(cost, d, default_mrp()) for d in (dt.date(2018, 5, 1), dt.date(2026, 5, 1))
    )
    assert early is not None
    assert late is not None
    assert (early.tenge, late.tenge) == (24050, 43250)


def test_paid_without_amounts_cannot_be_judged() -> None:
    assert allowed_fee(CATALOGUE["S16"].cost, dt.date(2026, 1, 1), default_mrp()) is None
    assert allowed_fee(Cost(), dt.date(2026, 1, 1), default_mrp()) is None


def test_overlapping_mrp_periods_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "mrp.yaml"
    path.write_text(
        "values:\n"
        "  - {valid_from: '2018-01-01', valid_to: '2018-12-31', tenge: 2405, source: a}\n"
        "  - {valid_from: '2018-06-01', valid_to: '2018-12-31', tenge: 2500, source: b}\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match="overlap"):
        load_mrp(path)
