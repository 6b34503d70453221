"""HTTP routes of the services catalogue."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from service.auth.deps import CurrentUser
from service.clock import ClockDep
from service.db import SessionDep
from service.errors import NotAuthenticated, NotFound, ValidationFailed
from service.isotime import IsoDate, local_date
from service.pagination import Page, PageDep
from service.standards import service as standards_service
from service.standards.catalogue import ApplicationChannel, Level
from service.standards.schemas import ServiceCode, ServicePublic, StandardPublic

router = APIRouter()

OnDate = Annotated[
    IsoDate | None, Query(description="Date whose standard applies (default: today)")
]
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: NotAuthenticated.schema(),
    422: ValidationFailed.schema(),
}


@router.get(
    "/services",
    summary="List services",
    response_model=Page[StandardPublic],
    status_code=status.HTTP_200_OK,
    responses=AUTH_ERRORS,
)
def list_services(
    session: SessionDep,
    clock: ClockDep,
    _user: CurrentUser,
    page: PageDep,
    agency: Annotated[str | None, Query(max_length=32)] = None,
    level: Level | None = None,
    channel: ApplicationChannel | None = None,
    on: OnDate = None,
) -> Page[StandardPublic]:
    """List the services with the standard in force on a date."""
    items, total = standards_service.list_standards(
        session,
        on=on or local_date(clock()),
        agency=agency,
        level=level.value if level else None,
        channel=channel.value if channel else None,
        limit=page.limit,
        offset=page.offset,
    )
    return Page[StandardPublic].of(items, total, page)


@router.get(
    "/services/{code}",
    summary="Read a service",
    response_model=ServicePublic,
    status_code=status.HTTP_200_OK,
    responses={**AUTH_ERRORS, 404: NotFound.schema()},
)
def read_service(
    session: SessionDep, clock: ClockDep, _user: CurrentUser, code: ServiceCode, on: OnDate = None
) -> ServicePublic:
    """Return a service's standard in force on a date and its version history."""
    return standards_service.get_service(session, code, on or local_date(clock()))
