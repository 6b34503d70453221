"""Days a government decree moves: the override table of the working calendar."""

import datetime as dt

from sqlalchemy import Date, String
from sqlmodel import Field

from service.base import SQLModel
from service.db_types import UtcDateTime


class CalendarOverride(SQLModel, table=True):
    __tablename__ = "calendar_overrides"

    day: dt.date = Field(sa_type=Date, primary_key=True)
    kind: str = Field(sa_type=String(16))  # "day_off" or "working_day"
    note: str | None = Field(default=None, sa_type=String(500))
    loaded_at: dt.datetime = Field(sa_type=UtcDateTime)
