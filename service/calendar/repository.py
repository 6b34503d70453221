"""Every query on the calendar's decree overrides."""

import datetime as dt

from sqlmodel import Session, col, select

from service.calendar.models import CalendarOverride


def all_overrides(session: Session) -> list[CalendarOverride]:
    return list(session.exec(select(CalendarOverride)).all())


def overrides_in(session: Session, start: dt.date, end: dt.date) -> list[CalendarOverride]:
    """Overrides on days from ``start`` to ``end`` (both included), in date order."""
    rows = session.exec(
        select(CalendarOverride)
        .where(col(CalendarOverride.day) >= start, col(CalendarOverride.day) <= end)
        .order_by(col(CalendarOverride.day))
    ).all()
    return list(rows)


def put(session: Session, row: CalendarOverride) -> None:
    """Store ``row`` in place of any override already on its day."""
    session.merge(row)
