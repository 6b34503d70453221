"""HTTP routes of exports: visits and answers as CSV, XLSX or Parquet files, streamed."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import StreamingResponse

from service.auth.deps import ROLE_CHECKED
from service.auth.roles import reads_free_text
from service.clock import ClockDep
from service.errors import problem_responses
from service.exports import service as exports_service
from service.exports.schemas import MEDIA_TYPES, ExportFormat
from service.reports.deps import FiltersDep, ReportSession, ReportUser
from service.reports.periods import ReportFiltersInvalid
from service.responses import ClosingStreamingResponse
from service.storage.objects import content_disposition

router = APIRouter()

FILE = {
    "description": "The file, as an attachment (columns: docs/exports.md)",
    "content": {media_type.split(";")[0]: {} for media_type in MEDIA_TYPES.values()},
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: FILE,
    **problem_responses(*ROLE_CHECKED, ReportFiltersInvalid, exports_service.BomNotCsv),
}
FormatQuery = Annotated[ExportFormat, Query(alias="format", description="csv, xlsx or parquet")]
BomQuery = Annotated[
    bool,
    Query(description="Start a CSV with a UTF-8 byte-order mark, for Excel on Windows (csv only)"),
]


def attachment(export: exports_service.Export) -> StreamingResponse:
    """The export as a download, streamed as its rows are read; never cached (personal data
    aside, it is the data as of now). The console's downloads are answered the same way."""
    return ClosingStreamingResponse(
        export.chunks,
        media_type=export.media_type,
        headers={
            "Content-Disposition": content_disposition(export.filename),
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/exports/visits",
    summary="Export visits",
    response_class=StreamingResponse,
    status_code=status.HTTP_200_OK,
    responses=RESPONSES,
)
def export_visits(
    session: ReportSession,
    clock: ClockDep,
    filters: FiltersDep,
    fmt: FormatQuery = ExportFormat.csv,
    bom: BomQuery = False,
) -> StreamingResponse:
    """Export one row per visit with its scores and findings counts."""
    return attachment(exports_service.export_visits(session, filters, fmt, now=clock(), bom=bom))


@router.get(
    "/exports/answers",
    summary="Export answers",
    response_class=StreamingResponse,
    status_code=status.HTTP_200_OK,
    responses=RESPONSES,
)
def export_answers(
    session: ReportSession,
    user: ReportUser,
    clock: ClockDep,
    filters: FiltersDep,
    fmt: FormatQuery = ExportFormat.csv,
    bom: BomQuery = False,
) -> StreamingResponse:
    """Export one row per current answer of the filtered visits; an analyst's export leaves
    text answers out (``withheld``)."""
    export = exports_service.export_answers(
        session, filters, fmt, now=clock(), bom=bom, free_text=reads_free_text(user.role)
    )
    return attachment(export)
