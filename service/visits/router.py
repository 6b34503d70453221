"""HTTP routes of visits: assignment, listing, reading, history."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Response, UploadFile, status

from service.auth.deps import AUTHENTICATED, ROLE_CHECKED, CurrentUser, StaffUser
from service.clock import ClockDep
from service.db import ReadSessionDep, SessionDep
from service.deps import SettingsDep
from service.errors import (
    PayloadTooLarge,
    problem_responses,
)
from service.isotime import AwareIsoDatetime
from service.offices.regions import Region
from service.pagination import Page, PageDep
from service.params import RowIdQuery
from service.standards.catalogue import CODE_PATTERN
from service.visits import assignments, bulk_write, repository_lists
from service.visits import service as visits_service
from service.visits.bulk import BulkCellTooLong, BulkFileError, parse_csv
from service.visits.deps import VISIT_ERRORS, VisitDep
from service.visits.schemas import (
    BulkResult,
    VisitCreate,
    VisitEventPublic,
    VisitPublic,
    WaveSummary,
)
from service.visits.transitions import VisitStatus

router = APIRouter()

# One problem gets its own code; several at once are assignment-invalid, each code in errors.
ASSIGNMENT_PROBLEMS = problem_responses(
    *ROLE_CHECKED,
    visits_service.VisitConflict,
    visits_service.AssignmentInvalid,
    *visits_service.ONE_PROBLEM.values(),
)
# bulk-rows-invalid lists every problem of every row in errors as row, column, message, code.
BULK_PROBLEMS = problem_responses(
    *ROLE_CHECKED,
    PayloadTooLarge,
    visits_service.BulkFileInvalid,
    visits_service.BulkCellTooLong,
    visits_service.BulkRowsInvalid,
    visits_service.BulkConflict,
    visits_service.VisitConflict,
)


@router.post(
    "/visits",
    summary="Assign a visit",
    response_model=VisitPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        **ASSIGNMENT_PROBLEMS,
        200: {"model": VisitPublic, "description": "A retry of an assignment already made"},
    },
)
def create_visit(
    session: SessionDep,
    clock: ClockDep,
    staff: StaffUser,
    visit_in: VisitCreate,
    response: Response,
) -> VisitPublic:
    """Assign a visit to a shopper, pinning the checklist and standard in force."""
    visit, created = assignments.assign(session, staff, visit_in, now=clock())
    if not created:
        response.status_code = status.HTTP_200_OK
    return visits_service.to_public(visit, staff)


@router.post(
    "/visits/bulk",
    summary="Assign visits from a CSV file",
    response_model=BulkResult,
    status_code=status.HTTP_201_CREATED,
    responses=BULK_PROBLEMS,
)
def bulk_create_visits(
    session: ReadSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    staff: StaffUser,
    file: UploadFile,
    client_id: Annotated[
        uuid.UUID | None,
        Form(
            description="The bulk's idempotency key: sent again with the same file, it "
            "writes only what an interrupted try left out. Without it, the same file from "
            "the same account is the same bulk."
        ),
    ] = None,
) -> BulkResult:
    """Assign a wave of visits from CSV; any problem refuses the file, listing every one.

    Checked whole reading only, then written in batches of ``limits.bulk_batch_rows`` rows,
    each a short transaction of its own (``visits/bulk_write.py``).
    """
    limits = settings.limits
    try:
        rows = parse_csv(
            file.file.read(),
            max_rows=limits.max_bulk_rows,
            max_cell_bytes=limits.max_bulk_cell_bytes,
        )
    except BulkCellTooLong as exc:
        raise visits_service.BulkCellTooLong(str(exc)) from exc
    except BulkFileError as exc:
        raise visits_service.BulkFileInvalid(str(exc)) from exc
    return bulk_write.bulk_assign(
        session,
        staff,
        rows,
        now=clock(),
        batch_rows=limits.bulk_batch_rows,
        client_id=client_id,
    )


@router.get(
    "/visits",
    summary="List visits",
    response_model=Page[VisitPublic],
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*AUTHENTICATED),
)
def list_visits(
    session: SessionDep,
    clock: ClockDep,
    user: CurrentUser,
    page: PageDep,
    status_: Annotated[VisitStatus | None, Query(alias="status")] = None,
    service: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
    office_id: RowIdQuery | None = None,
    region: Region | None = None,
    shopper_id: uuid.UUID | None = None,
    wave: Annotated[str | None, Query(max_length=64)] = None,
    window_from: AwareIsoDatetime | None = None,
    window_to: AwareIsoDatetime | None = None,
    overdue: Annotated[
        bool, Query(description="Only visits still to do after their window ended")
    ] = False,
    flagged: Annotated[bool, Query(description="Only visits with a flagged photo")] = False,
) -> Page[VisitPublic]:
    """List the visits the caller may see: a shopper their own, others all."""
    filters = repository_lists.VisitFilters(
        status=status_,
        service_code=service,
        office_id=office_id,
        region=region.value if region else None,
        shopper_id=shopper_id,
        wave=wave,
        window_from=window_from,
        window_to=window_to,
        overdue_at=clock() if overdue else None,
        flagged=flagged,
    )
    rows, total = repository_lists.list_visits(
        session, user, filters, limit=page.limit, offset=page.offset
    )
    return Page[VisitPublic].of(visits_service.page_public(session, rows, user), total, page)


@router.get(
    "/visits/summary",
    summary="Summarise a wave",
    response_model=WaveSummary,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*ROLE_CHECKED),
)
def summarise_visits(
    session: SessionDep,
    clock: ClockDep,
    staff: StaffUser,
    wave: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> WaveSummary:
    """Count a wave's visits by status, overdue, awaiting review and with flagged photos."""
    return visits_service.summarise(session, staff, wave, now=clock())


@router.get(
    "/visits/{visit_id:uuid}",
    summary="Read a visit",
    response_model=VisitPublic,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*VISIT_ERRORS),
)
def read_visit(session: SessionDep, visit: VisitDep, user: CurrentUser) -> VisitPublic:
    """Return one visit, its score, and the moves the caller may make on it."""
    return visits_service.one_public(session, visit, user)


@router.get(
    "/visits/{visit_id:uuid}/history",
    summary="Read a visit's history",
    response_model=list[VisitEventPublic],
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*ROLE_CHECKED, *VISIT_ERRORS),
)
def read_visit_history(
    session: SessionDep, _staff: StaffUser, visit: VisitDep
) -> list[VisitEventPublic]:
    """Return who did what to the visit, and when, oldest first."""
    return visits_service.history(session, visit)
