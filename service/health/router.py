"""Liveness and readiness probes."""

from fastapi import APIRouter, status

from service import __version__
from service.db import EngineDep
from service.deps import StoreDep
from service.errors import ServiceUnavailable
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


@router.get(
    "/readyz",
    summary="Check readiness",
    response_model=Readiness,
    status_code=status.HTTP_200_OK,
    responses={503: ServiceUnavailable.schema()},
)
def read_readiness(engine: EngineDep, store: StoreDep) -> Readiness:
    """Answer 200 when the database and the object store are reachable, else 503."""
    checks = health_service.check_ready(engine, store)
    return Readiness(checks=checks)
