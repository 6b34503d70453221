"""HTTP routes of offices."""

from fastapi import APIRouter, Response, status

from service.auth.deps import AUTHENTICATED, ROLE_CHECKED, CurrentUser, StaffUser
from service.clock import ClockDep
from service.db import SessionDep
from service.errors import problem_responses
from service.offices import repository
from service.offices import service as offices_service
from service.offices.regions import Region
from service.offices.schemas import OfficeCreate, OfficeKind, OfficePublic, OfficeUpdate
from service.pagination import Page, PageDep
from service.params import RowId
from service.standards import service as standards_service

router = APIRouter()


@router.post(
    "/offices",
    summary="Create an office",
    response_model=OfficePublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(
        *ROLE_CHECKED, standards_service.ServiceNotFound, offices_service.OfficeConflict
    ),
)
def create_office(
    session: SessionDep,
    clock: ClockDep,
    _staff: StaffUser,
    office_in: OfficeCreate,
    response: Response,
) -> OfficePublic:
    """Register a service centre, agency office, call centre or portal; with a
    ``client_id`` a retry answers the same office (200)."""
    office, created = offices_service.create_office(session, office_in, now=clock())
    if not created:
        response.status_code = status.HTTP_200_OK
    return OfficePublic.model_validate(office, from_attributes=True)


@router.get(
    "/offices",
    summary="List offices",
    response_model=Page[OfficePublic],
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*AUTHENTICATED),
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
    responses=problem_responses(*AUTHENTICATED, offices_service.OfficeNotFound),
)
def read_office(session: SessionDep, _user: CurrentUser, office_id: RowId) -> OfficePublic:
    """Return one office."""
    office = offices_service.get_office(session, office_id)
    return OfficePublic.model_validate(office, from_attributes=True)


@router.patch(
    "/offices/{office_id}",
    summary="Edit an office",
    response_model=OfficePublic,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(
        *ROLE_CHECKED, offices_service.OfficeNotFound, standards_service.ServiceNotFound
    ),
)
def update_office(
    session: SessionDep, _staff: StaffUser, office_id: RowId, changes: OfficeUpdate
) -> OfficePublic:
    """Change an office's name, place or the services it offers; absent fields stay."""
    office = offices_service.get_office(session, office_id)
    offices_service.update_office(session, office, changes)
    return OfficePublic.model_validate(office, from_attributes=True)
