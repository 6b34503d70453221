"""HTTP routes of grading policies (tag ``grading``): read them, publish a new version."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from service.auth.deps import AUTHENTICATED, ROLE_CHECKED, AdminUser, CurrentUser
from service.clock import ClockDep
from service.db import SessionDep
from service.errors import problem_responses
from service.scoring import service as scoring_service
from service.scoring.policy import GradingPolicy
from service.scoring.schemas import GradingPolicyPublic

router = APIRouter()
Version = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")]


@router.get(
    "/grading/policies",
    summary="List grading policies",
    response_model=list[GradingPolicyPublic],
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*AUTHENTICATED),
)
def list_policies(session: SessionDep, _user: CurrentUser) -> list[GradingPolicyPublic]:
    """Return every grading policy, newest first, the current one marked."""
    return scoring_service.list_policies(session)


@router.get(
    "/grading/policies/{version}",
    summary="Read a grading policy",
    response_model=GradingPolicyPublic,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*AUTHENTICATED, scoring_service.PolicyNotFound),
)
def read_policy(session: SessionDep, _user: CurrentUser, version: Version) -> GradingPolicyPublic:
    """Return one grading policy by the version scores name it by."""
    return scoring_service.read_policy(session, version)


@router.post(
    "/grading/policies",
    summary="Publish a grading policy",
    response_model=GradingPolicyPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "The same document was published before: the stored version"},
        **problem_responses(
            *ROLE_CHECKED, scoring_service.PolicyExists, scoring_service.PolicyInvalid
        ),
    },
)
def publish_policy(
    session: SessionDep,
    clock: ClockDep,
    admin: AdminUser,
    policy: GradingPolicy,
    response: Response,
) -> GradingPolicyPublic:
    """Publish a new policy version; scores made from now on (and rescores) use it.

    The version is the idempotency key: the same document again answers 200 with the stored
    version; another document under a published version is 409 `grading-policy-exists`.
    """
    body = policy.model_dump(mode="json")
    published, created = scoring_service.publish_policy(session, body, now=clock(), by=admin.id)
    if not created:
        response.status_code = status.HTTP_200_OK
    return published
