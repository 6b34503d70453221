"""The coordinator's dashboard: how a wave stands, with links into the filtered visits list.

The figures are ``visits.service.summarise``'s, the same as ``GET /visits/summary``.
"""

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse, Response

from service.console.deps import Console, StaffConsole
from service.console.pages import page
from service.db import SessionDep
from service.visits import service as visits_service
from service.visits.transitions import VisitStatus

router = APIRouter()


def dashboard(session: SessionDep, console: Console, *, wave: str | None) -> Response:
    """The dashboard of ``wave`` (of every visit when None), and the waves to pick from."""
    assert console.user is not None
    summary = visits_service.summarise(session, console.user, wave, now=console.now)
    scope = {"wave": wave} if wave else {}
    return page(
        console,
        "dashboard.html",
        {
            "summary": summary,
            "wave": wave,
            "waves": visits_service.waves(session),
            "scope": scope,
            "statuses": list(VisitStatus),
        },
    )


@router.get("/waves/{wave}", response_class=HTMLResponse, name="console_wave")
def console_wave(
    session: SessionDep,
    console: StaffConsole,
    wave: Annotated[str, Path(min_length=1, max_length=64)],
) -> Response:
    """One wave's dashboard: visits by state, overdue, flagged photos, awaiting review."""
    return dashboard(session, console, wave=wave)
