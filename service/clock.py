"""The one source of "now", so tests can pin time."""

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

Clock = Callable[[], dt.datetime]


# Kazakhstan keeps one time zone, UTC+5; a visit's "day" and "today" are days there.
LOCAL_OFFSET = dt.timezone(dt.timedelta(hours=5))


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar day of ``moment`` in Kazakhstan."""
    return moment.astimezone(LOCAL_OFFSET).date()


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


ClockDep = Annotated[Clock, Depends(get_clock)]
