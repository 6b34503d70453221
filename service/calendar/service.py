"""The working calendar in use: Kazakhstan's public holidays plus the loaded decree overrides."""

import datetime as dt

from sqlmodel import Session

from service.calendar import repository
from service.calendar.models import CalendarOverride
from service.calendar.rules import CalendarOverrides, WorkingCalendar, parse_overrides
from service.calendar.schemas import CalendarDayPublic, CalendarYear, OverrideLoadReport

DAY_OFF = "day_off"
WORKING_DAY = "working_day"


def working_calendar(session: Session) -> WorkingCalendar:
    """Build the calendar from the package's holidays and every stored override."""
    rows = repository.all_overrides(session)
    overrides = CalendarOverrides(
        days_off=frozenset(r.day for r in rows if r.kind == DAY_OFF),
        working_days=frozenset(r.day for r in rows if r.kind == WORKING_DAY),
    )
    return WorkingCalendar(overrides)


def load_overrides(session: Session, text: str, *, now: dt.datetime) -> OverrideLoadReport:
    """Store a decree file's days; a day loaded again takes the new kind and note.

    Raises:
        CalendarError: the file is broken (the message names the field and value).
    """
    overrides = parse_overrides(text)
    note = "; ".join(overrides.notes)[:500] or None
    for kind, days in ((DAY_OFF, overrides.days_off), (WORKING_DAY, overrides.working_days)):
        for day in days:
            repository.put(session, CalendarOverride(day=day, kind=kind, note=note, loaded_at=now))
    session.flush()
    return OverrideLoadReport(
        days_off=len(overrides.days_off), working_days=len(overrides.working_days)
    )


def year_view(session: Session, year: int) -> CalendarYear:
    days = working_calendar(session).days(year)
    public = [
        CalendarDayPublic(date=d.date, weekday=d.weekday, working=d.working, reason=d.reason)
        for d in days
    ]
    working = sum(d.working for d in public)
    return CalendarYear(
        year=year, working_days=working, days_off=len(public) - working, days=public
    )


def stored_overrides(session: Session, year: int) -> list[CalendarOverride]:
    return repository.overrides_in(session, dt.date(year, 1, 1), dt.date(year, 12, 31))
