"""HTTP routes that move a visit: start, submit, review, cancel, reopen (tag ``workflow``)."""

from fastapi import APIRouter, status

from service.auth.deps import ROLE_CHECKED, ShopperUser, StaffUser
from service.clock import ClockDep
from service.db import SessionDep
from service.deps import SettingsDep
from service.errors import problem_responses
from service.photos.errors import PhotosProcessing
from service.visits import lifecycle
from service.visits import service as visits_service
from service.visits.deps import VISIT_ERRORS, VisitDep
from service.visits.schemas import ReasonRequest, ReviewRequest, SubmitRequest, VisitPublic
from service.visits.transitions import VisitAction

router = APIRouter()

# Every move needs a role and a visit, and is refused (409) where the visit cannot make it.
MOVE_ERRORS = problem_responses(*ROLE_CHECKED, *VISIT_ERRORS, visits_service.TransitionNotAllowed)
# A move keyed by a client id is also refused (409) when the id made another move.
KEYED_MOVE_ERRORS = problem_responses(
    *ROLE_CHECKED, *VISIT_ERRORS, visits_service.TransitionNotAllowed, visits_service.VisitConflict
)


@router.post(
    "/visits/{visit_id:uuid}/start",
    summary="Start a visit",
    response_model=VisitPublic,
    status_code=status.HTTP_200_OK,
    responses=MOVE_ERRORS,
)
def start_visit(
    session: SessionDep, clock: ClockDep, shopper: ShopperUser, visit: VisitDep
) -> VisitPublic:
    """Mark an assigned visit as in progress (the first answer sync does it too); starting
    one in progress answers it unchanged, so a retry is safe."""
    visit = lifecycle.start(session, visit, shopper, now=clock())
    return visits_service.one_public(session, visit, shopper)


@router.post(
    "/visits/{visit_id:uuid}/submit",
    summary="Submit a visit",
    response_model=VisitPublic,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(
        *ROLE_CHECKED,
        *VISIT_ERRORS,
        visits_service.TransitionNotAllowed,
        visits_service.VisitConflict,
        lifecycle.SubmissionIncomplete,
        PhotosProcessing,
    ),
)
def submit_visit(
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    shopper: ShopperUser,
    visit: VisitDep,
    body: SubmitRequest,
) -> VisitPublic:
    """Submit the visit for review once every required item is answered; safe to resend with
    the same `client_id` and `submitted_at` (the id with another time is 409)."""
    visit = lifecycle.submit(
        session,
        visit,
        shopper,
        body,
        now=clock(),
        skew_warn_seconds=settings.limits.clock_skew_warn_seconds,
    )
    return visits_service.one_public(session, visit, shopper)


@router.post(
    "/visits/{visit_id:uuid}/review",
    summary="Review a visit",
    response_model=VisitPublic,
    status_code=status.HTTP_200_OK,
    responses=KEYED_MOVE_ERRORS,
)
def review_visit(
    session: SessionDep, clock: ClockDep, staff: StaffUser, visit: VisitDep, body: ReviewRequest
) -> VisitPublic:
    """Approve, return to the shopper with a comment, or reject a submitted visit; safe to
    resend with the same client id."""
    visit = lifecycle.review(session, visit, staff, body, now=clock())
    return visits_service.one_public(session, visit, staff)


@router.post(
    "/visits/{visit_id:uuid}/cancel",
    summary="Cancel a visit",
    response_model=VisitPublic,
    status_code=status.HTTP_200_OK,
    responses=KEYED_MOVE_ERRORS,
)
def cancel_visit(
    session: SessionDep, clock: ClockDep, staff: StaffUser, visit: VisitDep, body: ReasonRequest
) -> VisitPublic:
    """Cancel a visit that is not yet approved, with a reason; safe to resend."""
    visit = lifecycle.with_reason(
        session,
        visit,
        staff,
        VisitAction.cancel,
        body.reason,
        client_id=body.client_id,
        now=clock(),
    )
    return visits_service.one_public(session, visit, staff)


@router.post(
    "/visits/{visit_id:uuid}/reopen",
    summary="Reopen a visit",
    response_model=VisitPublic,
    status_code=status.HTTP_200_OK,
    responses=KEYED_MOVE_ERRORS,
)
def reopen_visit(
    session: SessionDep, clock: ClockDep, staff: StaffUser, visit: VisitDep, body: ReasonRequest
) -> VisitPublic:
    """Put an approved or rejected visit back under review, with a reason; safe to resend."""
    visit = lifecycle.with_reason(
        session,
        visit,
        staff,
        VisitAction.reopen,
        body.reason,
        client_id=body.client_id,
        now=clock(),
    )
    return visits_service.one_public(session, visit, staff)
