"""HTTP routes of scores (tag ``scores``): served by visits, which decides when to score."""

from fastapi import APIRouter, status

from service.auth.deps import ROLE_CHECKED, CurrentUser, StaffUser
from service.auth.roles import reads_free_text
from service.clock import ClockDep
from service.db import SessionDep
from service.errors import problem_responses
from service.scoring import service as scoring_service
from service.scoring.schemas import VisitScorePublic
from service.visits import lifecycle
from service.visits.deps import VISIT_ERRORS, VisitDep

router = APIRouter()


@router.get(
    "/visits/{visit_id:uuid}/score",
    summary="Read a visit's score",
    response_model=VisitScorePublic,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*VISIT_ERRORS, scoring_service.ScoreNotFound),
)
def read_score(session: SessionDep, user: CurrentUser, visit: VisitDep) -> VisitScorePublic:
    """Return the visit's score against the standard, with findings and their reasons."""
    return scoring_service.get_public(session, visit, free_text=reads_free_text(user.role))


@router.post(
    "/visits/{visit_id:uuid}/rescore",
    summary="Score a visit again",
    response_model=VisitScorePublic,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(
        *ROLE_CHECKED, *VISIT_ERRORS, scoring_service.ScoreNotFound, scoring_service.ScoreLocked
    ),
)
def rescore_visit(
    session: SessionDep, clock: ClockDep, _staff: StaffUser, visit: VisitDep
) -> VisitScorePublic:
    """Score the visit again with the current rules and calendar (not once it is approved)."""
    lifecycle.rescore(session, visit, now=clock())
    return scoring_service.get_public(session, visit)
