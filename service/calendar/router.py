"""HTTP routes of the working calendar."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from service.auth.deps import AUTHENTICATED, CurrentUser
from service.calendar import service as calendar_service
from service.calendar.rules import FIRST_YEAR, LAST_YEAR
from service.calendar.schemas import CalendarYear
from service.db import SessionDep
from service.errors import problem_responses

router = APIRouter()


@router.get(
    "/calendar/{year}",
    summary="Read the working calendar",
    response_model=CalendarYear,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*AUTHENTICATED),
)
def read_calendar(
    session: SessionDep, _user: CurrentUser, year: Annotated[int, Path(ge=FIRST_YEAR, le=LAST_YEAR)]
) -> CalendarYear:
    """Return every day of a year: working or not, and why (weekend, holiday, decree)."""
    return calendar_service.year_view(session, year)
