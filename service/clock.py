"""The one source of "now", so tests can pin time."""

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

Clock = Callable[[], dt.datetime]


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


ClockDep = Annotated[Clock, Depends(get_clock)]
