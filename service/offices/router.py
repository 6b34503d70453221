"""HTTP routes of offices."""

from typing import Any

from fastapi import APIRouter, status

from service.auth.deps import CurrentUser, StaffUser
from service.clock import ClockDep
from service.db import SessionDep
from service.errors import Forbidden, NotAuthenticated, NotFound, ValidationFailed
from service.offices import repository
from service.offices import service as offices_service
from service.offices.regions import Region
from service.offices.schemas import OfficeCreate, OfficeKind, OfficePublic
from service.pagination import Page, PageDep
from service.params import RowId

router = APIRouter()

ERRORS: dict[int | str, dict[str, Any]] = {
    401: NotAuthenticated.schema(),
    422: ValidationFailed.schema(),
}


@router.post(
    "/offices",
    summary="Create an office",
    response_model=OfficePublic,
    status_code=status.HTTP_201_CREATED,
    responses={**ERRORS, 403: Forbidden.schema(), 404: NotFound.schema()},
)
def create_office(
    session: SessionDep, clock: ClockDep, _staff: StaffUser, office_in: OfficeCreate
) -> OfficePublic:
    """Register a service centre, agency office, call centre or portal."""
    office = offices_service.create_office(session, office_in, now=clock())
    return OfficePublic.model_validate(office, from_attributes=True)


@router.get(
    "/offices",
    summary="List offices",
    response_model=Page[OfficePublic],
    status_code=status.HTTP_200_OK,
    responses=ERRORS,
)
def list_offices(
    session: SessionDep,
    _user: CurrentUser,
    page: PageDep,
    region: Region | None = None,
    kind: OfficeKind | None = None,
) -> Page[OfficePublic]:
    """List offices, by region and kind."""
    rows, total = repository.list_offices(
        session,
        region=region.value if region else None,
        kind=kind.value if kind else None,
        limit=page.limit,
        offset=page.offset,
    )
    return Page[OfficePublic].of(
        [OfficePublic.model_validate(o, from_attributes=True) for o in rows], total, page
    )


@router.get(
    "/offices/{office_id}",
    summary="Read an office",
    response_model=OfficePublic,
    status_code=status.HTTP_200_OK,
    responses={**ERRORS, 404: NotFound.schema()},
)
def read_office(session: SessionDep, _user: CurrentUser, office_id: RowId) -> OfficePublic:
    """Return one office."""
    office = offices_service.get_office(session, office_id)
    return OfficePublic.model_validate(office, from_attributes=True)
