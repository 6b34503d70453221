"""API models of the working calendar."""

import datetime as dt

from pydantic import BaseModel


class CalendarDayPublic(BaseModel):
    date: dt.date
    weekday: str
    working: bool
    reason: str | None


class CalendarYear(BaseModel):
    year: int
    working_days: int
    days_off: int
    days: list[CalendarDayPublic]


class OverrideLoadReport(BaseModel):
    days_off: int
    working_days: int
