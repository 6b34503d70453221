"""The monitoring programme's own norms and the МРП value table (pure: no web, DB or S3).

The standards in the 2018 report state no waiting norm, and a service time only where their
deadline is in minutes (S27, S48, S54). Where a standard is silent the programme applies its
own norm, read from ``checklists/programme.yaml``; every finding says whose norm it applied,
so a programme's choice is never presented as the law's. Tariffs written in МРП (the monthly
calculation index) are turned into tenge with ``checklists/mrp.yaml``.
"""

import datetime as dt
import functools
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator

from service import yaml_load
from service.isotime import IsoDate
from service.standards.catalogue import (
    CatalogueError,
    Cost,
    DeadlineUnit,
    FeeUnit,
    Payment,
    StandardBody,
)

DATA_DIR = Path(__file__).resolve().parents[2] / "checklists"
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProgrammeNorms(_Strict):
    """Norms the programme applies where the standard states none (the programme's choice)."""

    version: StrictInt = Field(default=1, ge=1)
    max_wait_minutes: StrictInt = Field(default=15, gt=0, le=1440)
    max_service_minutes: StrictInt = Field(default=15, gt=0, le=1440)
    # A 1414 caller put on hold during a transfer (report line 2608: 8 and 5 minutes, then cut).
    max_transfer_hold_minutes: StrictInt = Field(default=3, gt=0, le=120)
    # A 1414 caller waiting to reach a person (line 2608: a quick connection praised).
    max_call_connect_seconds: StrictInt = Field(default=120, gt=0, le=3600)
    # How far the queue system's record may fall short of the real wait (line 2625: the
    # system would show at most 20 minutes for a real wait of more than 35).
    recorded_wait_tolerance_minutes: StrictInt = Field(default=5, ge=0, le=240)
    # The report line each norm rests on, by field name: findings cite it as their source.
    lines: dict[str, Annotated[StrictInt, Field(ge=1)]] = {}
    why_ru: Text | None = None

    @model_validator(mode="after")
    def _lines_name_norms(self) -> "ProgrammeNorms":
        unknown = set(self.lines) - set(type(self).model_fields)
        if unknown:
            raise ValueError(f"lines for unknown norms: {sorted(unknown)}")
        return self


class MrpValue(_Strict):
    """The МРП in tenge from ``valid_from`` to ``valid_to`` (inclusive), and the law setting it."""

    valid_from: IsoDate
    valid_to: IsoDate
    tenge: StrictInt = Field(gt=0, le=1_000_000)
    source: Text

    @model_validator(mode="after")
    def _ordered(self) -> "MrpValue":
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class MrpTable(_Strict):
    values: list[MrpValue] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_overlap(self) -> "MrpTable":
        spans = sorted(self.values, key=lambda v: v.valid_from)
        for before, after in zip(spans, spans[1:], strict=False):
            if after.valid_from <= before.valid_to:
                raise ValueError(f"МРП periods overlap at {after.valid_from}")
        return self

    def on(self, day: dt.date) -> MrpValue | None:
        """The МРП in force on ``day``; None for a day the table does not cover (a gap is
        not filled from a neighbouring year: the value changes every year, sometimes twice)."""
        return next((v for v in self.values if v.valid_from <= day <= v.valid_to), None)


def _load(path: Path) -> Any:
    try:
        return yaml_load.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path}: cannot read YAML: {exc}") from exc


def load_programme(path: Path) -> ProgrammeNorms:
    """Read a programme's norms, or raise ``CatalogueError`` naming the file and field."""
    try:
        return ProgrammeNorms.model_validate(_load(path))
    except ValidationError as exc:
        raise CatalogueError(f"{path}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from exc


def load_mrp(path: Path) -> MrpTable:
    """Read the МРП table, or raise ``CatalogueError`` naming the file and field."""
    try:
        return MrpTable.model_validate(_load(path))
    except ValidationError as exc:
        raise CatalogueError(f"{path}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from exc


@functools.cache
def default_programme() -> ProgrammeNorms:
    """The programme's norms as published in ``checklists/programme.yaml``."""
    return load_programme(DATA_DIR / "programme.yaml")


@functools.cache
def default_mrp() -> MrpTable:
    """The МРП values as published in ``checklists/mrp.yaml``."""
    return load_mrp(DATA_DIR / "mrp.yaml")


class NormSource(StrEnum):
    standard = "standard"
    programme = "programme"


class AppliedNorm(_Strict):
    """A norm in minutes and whose it is: the standard's (with its report line) or the
    programme's."""

    minutes: int
    source: NormSource
    line: int | None = None

    def label(self, lang: str) -> str:
        """Whose norm, as a finding says it: «норма программы мониторинга: 15 минут»."""
        amount = {"ru": minutes_ru, "kk": minutes_kk}.get(lang, minutes_en)(self.minutes)
        if self.source is NormSource.programme:
            if lang == "ru":
                return f"норма программы мониторинга: {amount}"
            if lang == "kk":
                return f"мониторинг бағдарламасының нормасы: {amount}"
            return f"the monitoring programme's norm: {amount}"
        if lang == "ru":
            where = f", строка {self.line} отчёта" if self.line else ""
            return f"норма стандарта: {amount}{where}"
        if lang == "kk":
            where = f", есептің {self.line}-жолы" if self.line else ""
            return f"стандарт нормасы: {amount}{where}"
        where = f", report line {self.line}" if self.line else ""
        return f"the standard's norm: {amount}{where}"


def minutes_ru(n: int) -> str:
    """``n`` минута/минуты/минут, by Russian plural rules (CLDR: one, few, many)."""
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} минута"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return f"{n} минуты"
    return f"{n} минут"


def minutes_kk(n: int) -> str:
    return f"{n} минут"


def minutes_en(n: int) -> str:
    return f"{n} minute" if n == 1 else f"{n} minutes"


def wait_norm(standard: StandardBody, programme: ProgrammeNorms) -> AppliedNorm:
    """The waiting norm: the standard's when it states one, else the programme's."""
    if standard.queue.max_wait_minutes is not None:
        return AppliedNorm(
            minutes=standard.queue.max_wait_minutes,
            source=NormSource.standard,
            line=standard.queue.line,
        )
    return AppliedNorm(minutes=programme.max_wait_minutes, source=NormSource.programme)


def service_in_deadline(standard: StandardBody) -> bool:
    """True when the standard's deadline is in minutes or hours: its service time is that
    deadline (S27 line 2559 "30 минут", S48 line 3900 "не более 60 минут", S54 line 4303), so
    the deadline judge measures it and no other service-time norm applies."""
    units = {DeadlineUnit.minutes, DeadlineUnit.hours}
    return any(d.unit in units for d in standard.deadlines)


def service_norm(standard: StandardBody, programme: ProgrammeNorms) -> AppliedNorm:
    """The service-time norm: the standard's (its own field, else its deadline in minutes or
    hours), else the programme's."""
    if standard.queue.max_service_minutes is not None:
        return AppliedNorm(
            minutes=standard.queue.max_service_minutes,
            source=NormSource.standard,
            line=standard.queue.line,
        )
    timed = [d for d in standard.deadlines if d.unit in (DeadlineUnit.minutes, DeadlineUnit.hours)]
    if timed:
        longest = max(d.amount * (60 if d.unit is DeadlineUnit.hours else 1) for d in timed)
        line = standard.source.deadline_line if standard.source else None
        return AppliedNorm(minutes=longest, source=NormSource.standard, line=line)
    return AppliedNorm(minutes=programme.max_service_minutes, source=NormSource.programme)


class Allowed(_Strict):
    """The most the standard allows to be charged on a day, in tenge, and how it was reached."""

    tenge: float
    explanation_ru: str
    explanation_en: str
    explanation_kk: str


def allowed_fee(cost: Cost, day: dt.date, mrp: MrpTable) -> Allowed | None:
    """The highest charge the standard allows on ``day``; None when it cannot be known.

    Free: 0. Paid with tariffs: the largest tariff, МРП at ``day``'s value (the visit cannot
    be tied to one case of several, so only a charge above every tariff is a breach). Paid
    without amounts, conditional without tariffs, unknown, or МРП for a day the table does
    not cover: None.
    """
    if cost.payment is Payment.free:
        return Allowed(
            tenge=0,
            explanation_ru="услуга бесплатна",
            explanation_en="the service is free",
            explanation_kk="қызмет тегін",
        )
    if not cost.tariffs:
        return None
    # The tariffs' case texts are the standard's own, in Russian (and English when given);
    # Kazakh quotes the Russian with Kazakh units (теңге, АЕК: the МРП).
    prices: list[tuple[float, str, str, str]] = []
    for tariff in cost.tariffs:
        case_ru, case_en = tariff.case_ru or "тариф", tariff.case_en or tariff.case_ru or "tariff"
        if tariff.unit is FeeUnit.tenge:
            prices.append(
                (
                    tariff.amount,
                    f"{case_ru}: {tariff.amount:g} тг",
                    f"{case_en}: {tariff.amount:g} KZT",
                    f"{case_ru}: {tariff.amount:g} теңге",
                )
            )
            continue
        value = mrp.on(day)
        if value is None:
            return None
        tenge = round(tariff.amount * value.tenge, 2)
        ru = f"{case_ru}: {tariff.amount:g} МРП × {value.tenge} = {tenge:g} тг"
        en = f"{case_en}: {tariff.amount:g} MRP × {value.tenge} = {tenge:g} KZT"
        kk = f"{case_ru}: {tariff.amount:g} АЕК × {value.tenge} = {tenge:g} теңге"
        prices.append((tenge, ru, en, kk))
    top = max(p[0] for p in prices)
    return Allowed(
        tenge=top,
        explanation_ru="; ".join(p[1] for p in prices),
        explanation_en="; ".join(p[2] for p in prices),
        explanation_kk="; ".join(p[3] for p in prices),
    )
