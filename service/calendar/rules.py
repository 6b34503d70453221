"""Kazakhstan's working-day calendar: public holidays plus the government's yearly transfers.

Pure: plain dates in, plain values out. Public holidays, their observed (carried-over) days
and the transfers the ``holidays`` package already knows come from that package; each year's
decree can add days off and working days on top through ``CalendarOverrides``.
"""

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Annotated, Any

import holidays
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictInt,
    ValidationError,
    model_validator,
)

from service import yaml_load

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class CalendarError(ValueError):
    """An overrides file is broken, or a year is out of range; the message says which."""


# The years a calendar is shown for: from independence (1991, the first year of Kazakhstan's
# own holidays) to a bound far beyond any decree; ``GET /calendar/{year}`` and the CLI alike.
FIRST_YEAR, LAST_YEAR = 1991, 2100


def check_year(year: int) -> int:
    """``year`` itself, or CalendarError when a calendar is not shown for it."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CalendarError(f"year must be between {FIRST_YEAR} and {LAST_YEAR}, not {year}")
    return year


def _strict_date(value: object) -> dt.date:
    # YAML gives unquoted dates as ``date``; a quoted ISO string is fine too. Anything else
    # (an int would pass pydantic's lax mode as a Unix timestamp) is a typo, not a date.
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date without a time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("expected a date like 2026-01-02") from None
    raise ValueError("expected a date like 2026-01-02")


StrictDate = Annotated[dt.date, PlainValidator(_strict_date)]


class CalendarOverrides(BaseModel):
    """Days a decree moves: extra days off and extra working days (e.g. a working Saturday)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days_off: frozenset[StrictDate] = frozenset()
    working_days: frozenset[StrictDate] = frozenset()
    notes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _disjoint(self) -> "CalendarOverrides":
        both = sorted(self.days_off & self.working_days)
        if both:
            raise ValueError(f"dates both a day off and a working day: {_iso_list(both)}")
        return self


class _YearBlock(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    year: StrictInt = Field(ge=1991, le=9999)
    days_off: list[StrictDate] = Field(default_factory=list)
    working_days: list[StrictDate] = Field(default_factory=list)
    note: str | None = None


def _iso_list(dates: list[dt.date]) -> str:
    return ", ".join(d.isoformat() for d in dates)


def _check_block(block: _YearBlock, where: str) -> None:
    for field in ("days_off", "working_days"):
        seen: set[dt.date] = set()
        for i, day in enumerate(getattr(block, field)):
            if day.year != block.year:
                raise CalendarError(
                    f"{where}{field}[{i}]: {day.isoformat()} is outside the declared year "
                    f"{block.year}"
                )
            if day in seen:
                raise CalendarError(f"{where}{field}[{i}]: {day.isoformat()} is listed twice")
            seen.add(day)
    both = sorted(set(block.days_off) & set(block.working_days))
    if both:
        raise CalendarError(
            f"{where}days_off, working_days: {_iso_list(both)} cannot be both a day off "
            "and a working day"
        )


def parse_overrides(text: str) -> CalendarOverrides:
    """Parse a decree file: one ``{year, days_off, working_days, note}`` block or a list of them.

    Args:
        text: YAML text of the file.

    Returns:
        The union of all blocks.

    Raises:
        CalendarError: bad YAML, wrong types, unknown keys, a date outside its block's year,
            a date listed twice, a date both off and working, or a year given twice.
    """
    try:
        raw: Any = yaml_load.safe_load(text)
    except yaml.YAMLError as exc:
        raise CalendarError(f"cannot read YAML: {exc}") from exc
    if raw is None:
        raise CalendarError("the file is empty")
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise CalendarError("the file has no year blocks")
    listed = isinstance(raw, list)
    days_off: set[dt.date] = set()
    working: set[dt.date] = set()
    notes: list[str] = []
    years: set[int] = set()
    for n, item in enumerate(items):
        where = f"[{n}]." if listed else ""
        if not isinstance(item, dict):
            raise CalendarError(
                f"{where.rstrip('.') or '(file)'}: expected a mapping, got {item!r}"
            )
        try:
            block = _YearBlock.model_validate(item)
        except ValidationError as exc:
            raise CalendarError(_describe(exc, where)) from None
        if block.year in years:
            raise CalendarError(f"{where}year: {block.year} is given twice")
        years.add(block.year)
        _check_block(block, where)
        days_off.update(block.days_off)
        working.update(block.working_days)
        if block.note:
            notes.append(f"{block.year}: {block.note}")
    return CalendarOverrides(
        days_off=frozenset(days_off), working_days=frozenset(working), notes=tuple(notes)
    )


def _describe(error: ValidationError, where: str) -> str:
    parts = []
    for item in error.errors():
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in item["loc"])
        field = f"{where}{loc.lstrip('.')}" or "(file)"
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{field}: {message} (got {item['input']!r})")
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One day of a printed year; ``reason`` says why it is (not) a working day."""

    date: dt.date
    weekday: str
    working: bool
    reason: str | None


@dataclass(frozen=True, slots=True)
class _PackageYear:
    holidays: dict[dt.date, str]
    weekend_workdays: frozenset[dt.date]


@functools.cache
def _package_year(year: int) -> _PackageYear:
    # Building a year in ``holidays`` costs about a millisecond; deadlines ask for the same
    # few years thousands of times, so every calendar shares this process-wide cache.
    found = holidays.country_holidays("KZ", years=year, language="en_US")
    days = {day: str(name) for day, name in found.items() if day.year == year}
    # Past decrees that made a Saturday a working day are listed here by the package.
    workdays = frozenset(d for d in found.weekend_workdays if d.year == year)
    return _PackageYear(holidays=days, weekend_workdays=workdays)


@dataclass(frozen=True, slots=True)
class _YearTable:
    first_ordinal: int
    working: tuple[bool, ...]
    # prefix[i]: working days among the first i + 1 days of the year.
    prefix: tuple[int, ...]


class WorkingCalendar:
    """Working days in Kazakhstan: Mon–Fri, minus public holidays, with overrides winning."""

    def __init__(self, overrides: CalendarOverrides | None = None) -> None:
        self.overrides = overrides or CalendarOverrides()
        self._tables: dict[int, _YearTable] = {}

    def _table(self, year: int) -> _YearTable:
        table = self._tables.get(year)
        if table is None:
            first = dt.date(year, 1, 1)
            size = (dt.date(year, 12, 31) - first).days + 1
            flags = tuple(self._reason(first + dt.timedelta(days=i))[0] for i in range(size))
            prefix, total = [], 0
            for flag in flags:
                total += flag
                prefix.append(total)
            table = _YearTable(first.toordinal(), flags, tuple(prefix))
            self._tables[year] = table
        return table

    def _reason(self, day: dt.date) -> tuple[bool, str | None]:
        if day in self.overrides.working_days:
            return True, "override: working day"
        if day in self.overrides.days_off:
            return False, "override: day off"
        package = _package_year(day.year)
        if day in package.weekend_workdays:
            return True, "transferred working day"
        name = package.holidays.get(day)
        if name is not None:
            return False, name
        if day.weekday() >= 5:
            return False, "weekend"
        return True, None

    def is_working_day(self, day: dt.date) -> bool:
        """Whether offices work on ``day``."""
        table = self._table(day.year)
        return table.working[day.toordinal() - table.first_ordinal]

    def holiday_name(self, day: dt.date) -> str | None:
        """The public holiday (or observed/transferred day off) on ``day``, in English."""
        return _package_year(day.year).holidays.get(day)

    def next_working_day(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``start`` (the start day itself never counts).

        Args:
            start: The day the count starts from, e.g. the day an application was filed.
            n: How many working days to count; 0 returns ``start`` unchanged.

        Raises:
            ValueError: ``n`` is negative.
        """
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        day = start
        while n:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days in ``(a, b]``; negative (the count in ``(b, a]``) when ``b < a``."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        for year in range(a.year, b.year):
            count += self._table(year).prefix[-1]
        start, end = self._table(a.year), self._table(b.year)
        count -= start.prefix[a.toordinal() - start.first_ordinal]
        count += end.prefix[b.toordinal() - end.first_ordinal]
        return count

    def days(self, year: int) -> list[CalendarDay]:
        """Every day of ``year`` with whether it is a working day and why not (or why yes)."""
        first = dt.date(year, 1, 1)
        out = []
        for i in range((dt.date(year, 12, 31) - first).days + 1):
            day = first + dt.timedelta(days=i)
            working, reason = self._reason(day)
            out.append(CalendarDay(day, _WEEKDAYS[day.weekday()], working, reason))
        return out
