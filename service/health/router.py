"""Liveness and readiness probes."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from sqlalchemy.exc import SQLAlchemyError

from service import __version__
from service.auth import sessions as auth_sessions
from service.auth.deps import oauth2_scheme, secret_key
from service.auth.roles import Role
from service.clock import ClockDep
from service.db import SessionDep
from service.errors import NotAuthenticated, ServiceUnavailable, problem_responses
from service.health import service as health_service
from service.health.schemas import Health, Readiness

router = APIRouter()


@router.get(
    "/healthz",
    summary="Check liveness",
    response_model=Health,
    status_code=status.HTTP_200_OK,
)
def read_health() -> Health:
    """Answer while the process is up."""
    return Health(version=__version__)


def _is_admin(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> bool:
    """True for a valid admin token; anything else (none, bad, a database down) is anonymous."""
    if not token:
        return False
    try:
        user = auth_sessions.user_from_token(
            session, token, expected_type="access", secret=secret_key(request), now=clock()
        )
    except (NotAuthenticated, SQLAlchemyError):
        session.rollback()
        return False
    return bool(user.role == Role.admin)


@router.get(
    "/readyz",
    summary="Check readiness",
    response_model=Readiness,
    response_model_exclude_none=True,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(ServiceUnavailable),
)
def read_readiness(request: Request, admin: Annotated[bool, Depends(_is_admin)]) -> Readiness:
    """Answer 200 when the database and the object store are reachable, else 503.

    Admins (Bearer token) also get what was checked and, on failure, why.
    """
    checks = health_service.check_ready(
        request.app.state.engine, request.app.state.store, detailed=admin
    )
    return Readiness(checks=checks if admin else None)
