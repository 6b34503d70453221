"""Dates and times as the API speaks them: ISO 8601 text only.

Pure Pydantic types. Pydantic alone would read ``0`` or ``"1700000000"`` as a Unix time, which
no phone or coordinator means; such input is refused.
"""

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

# Kazakhstan keeps one time zone, UTC+5 (since March 2024): a visit's day, "today", report
# periods and photo times taken without an offset are all read on this clock.
LOCAL_OFFSET = dt.timezone(dt.timedelta(hours=5))
LOCAL_OFFSET_MINUTES = int(LOCAL_OFFSET.utcoffset(None).total_seconds()) // 60


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar day of ``moment`` in Kazakhstan."""
    return moment.astimezone(LOCAL_OFFSET).date()


def _iso_only(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("expected an ISO 8601 date or date-time, not a number")
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "").isdigit():
        raise ValueError("expected an ISO 8601 date or date-time, not a number")
    return value


def _plausible(value: Any) -> Any:
    # Far-off years overflow date arithmetic (deadlines, offsets) for no real use.
    if not 1990 <= value.year <= 2100:
        raise ValueError("expected a year between 1990 and 2100")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_only), AfterValidator(_plausible)]
IsoDatetime = Annotated[dt.datetime, BeforeValidator(_iso_only), AfterValidator(_plausible)]
AwareIsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_only), AfterValidator(_plausible)]
