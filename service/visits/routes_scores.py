"""HTTP routes of scores (tag ``scores``): served by visits, which decides when to score."""

from typing import Any

from fastapi import APIRouter, status

from service.auth.deps import CurrentUser, StaffUser
from service.clock import ClockDep
from service.db import SessionDep
from service.errors import Conflict, Forbidden, NotAuthenticated, NotFound, ValidationFailed
from service.scoring import service as scoring_service
from service.scoring.schemas import VisitScorePublic
from service.visits import lifecycle
from service.visits.deps import VisitDep

router = APIRouter()

ERRORS: dict[int | str, dict[str, Any]] = {
    401: NotAuthenticated.schema(),
    404: NotFound.schema(),
    422: ValidationFailed.schema(),
}


@router.get(
    "/visits/{visit_id:uuid}/score",
    summary="Read a visit's score",
    response_model=VisitScorePublic,
    status_code=status.HTTP_200_OK,
    responses=ERRORS,
)
def read_score(session: SessionDep, _user: CurrentUser, visit: VisitDep) -> VisitScorePublic:
    """Return the visit's score against the standard, with findings and their reasons."""
    return scoring_service.get_public(session, visit)


@router.post(
    "/visits/{visit_id:uuid}/rescore",
    summary="Score a visit again",
    response_model=VisitScorePublic,
    status_code=status.HTTP_200_OK,
    responses={**ERRORS, 403: Forbidden.schema(), 409: Conflict.schema()},
)
def rescore_visit(
    session: SessionDep, clock: ClockDep, _staff: StaffUser, visit: VisitDep
) -> VisitScorePublic:
    """Score the visit again with the current rules and calendar (not once it is approved)."""
    lifecycle.rescore(session, visit, now=clock())
    return scoring_service.get_public(session, visit)
