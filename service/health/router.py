"""Liveness and readiness probes."""

from typing import Annotated

from fastapi import APIRouter, Depends, status
from sqlalchemy.exc import SQLAlchemyError

from service import __version__, db
from service.auth import callers as auth_callers
from service.auth.deps import AuthSettingsDep, oauth2_scheme, secret_key
from service.auth.roles import Role
from service.clock import ClockDep
from service.db import EngineDep, SessionDep
from service.deps import JobsDep, StoreDep
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
async def read_health() -> Health:
    """Answer while the process is up: on the event loop, never queued for a worker thread
    (a liveness probe must not fail because every worker is busy)."""
    return Health(version=__version__)


def _is_admin(
    session: SessionDep,
    clock: ClockDep,
    auth: AuthSettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> bool:
    """True for a valid admin token; anything else (none, bad, a database down) is anonymous.

    The token is checked in a read-only transaction of its own: a probe never takes SQLite's
    write lock, and a database that fails the check leaves the request's session untouched.
    """
    if not token:
        return False
    try:
        with db.own_transaction(session, read=True) as own:
            user = auth_callers.user_from_token(
                own, token, expected_type="access", secret=secret_key(auth), now=clock()
            )
            return bool(user.role == Role.admin)
    except (NotAuthenticated, SQLAlchemyError):
        return False


@router.get(
    "/readyz",
    summary="Check readiness",
    response_model=Readiness,
    response_model_exclude_none=True,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(ServiceUnavailable),
)
def read_readiness(
    engine: EngineDep,
    store: StoreDep,
    jobs: JobsDep,
    admin: Annotated[bool, Depends(_is_admin)],
) -> Readiness:
    """Answer 200 when the database and the object store are reachable and start-up is done.

    Else 503; while start-up work (the demo data) runs, the detail says how far it got.
    Admins (Bearer token) also get what was checked and, on failure, why.
    """
    checks = health_service.check_ready(engine, store, detailed=admin, jobs=jobs)
    return Readiness(checks=checks if admin else None)
