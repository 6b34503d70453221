"""HTTP route of a result's follow-up after the visit (tag ``workflow``)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from service.auth.deps import ROLE_CHECKED, require_role
from service.auth.models import User
from service.auth.roles import Role
from service.clock import ClockDep
from service.db import SessionDep
from service.errors import problem_responses
from service.visits import follow_up
from service.visits import service as visits_service
from service.visits.deps import VISIT_ERRORS, VisitDep
from service.visits.schemas import ResultRequest, VisitResultPublic

router = APIRouter()

# Staff for any visit; a shopper for their own while it is open (checked with the visit).
ResultRecorder = Annotated[User, Depends(require_role(Role.admin, Role.coordinator, Role.shopper))]


@router.post(
    "/visits/{visit_id:uuid}/result",
    summary="Record when the result was ready and received",
    response_model=VisitResultPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        **problem_responses(
            *ROLE_CHECKED,
            *VISIT_ERRORS,
            visits_service.VisitNotEditable,
            follow_up.ResultConflict,
            follow_up.ResultDatesInvalid,
        ),
        200: {"model": VisitResultPublic, "description": "A retry: the follow-up recorded"},
    },
)
def record_visit_result(
    session: SessionDep,
    clock: ClockDep,
    user: ResultRecorder,
    visit: VisitDep,
    body: ResultRequest,
    response: Response,
) -> VisitResultPublic:
    """Record the result's dates and judge the deadline again, approved visits included."""
    row, created = follow_up.record_result(session, visit, user, body, now=clock())
    if not created:
        response.status_code = status.HTTP_200_OK
    return VisitResultPublic(
        id=row.id or 0,
        visit_id=row.visit_id,
        client_id=row.client_id,
        ready_on=row.ready_date,
        received_on=row.received_date,
        recorded_by_id=row.recorded_by_id,
        recorded_at=row.recorded_at,
        deadline_before=row.deadline_before,
        deadline_after=row.deadline_after,
    )
