"""HTTP routes of exports: visits and answers as CSV, XLSX or Parquet files, streamed."""

from collections.abc import Iterator
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, status
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from service.clock import ClockDep
from service.errors import Forbidden, NotAuthenticated, ValidationFailed
from service.exports import service as exports_service
from service.exports.schemas import MEDIA_TYPES, ExportFormat
from service.reports.deps import FiltersDep, ReportSession

router = APIRouter()

FILE = {
    "description": "The file, as an attachment (columns: docs/exports.md)",
    "content": {media_type.split(";")[0]: {} for media_type in MEDIA_TYPES.values()},
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: FILE,
    401: NotAuthenticated.schema(),
    403: Forbidden.schema(),
    422: ValidationFailed.schema(),
}
FormatQuery = Annotated[ExportFormat, Query(alias="format", description="csv, xlsx or parquet")]


class ClosingStreamingResponse(StreamingResponse):
    """A streamed body whose source is closed however the response ends.

    When a client goes away mid-download Starlette stops iterating but does not close the
    iterator, and the iterator sits in a reference cycle with the response, so its ``finally``
    (ending the export's transaction, returning its connection) would wait for the garbage
    collector. A few abandoned downloads would then hold every pooled connection.
    """

    def __init__(self, content: Iterator[bytes], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._source = content

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Shielded: a disconnect cancels the task, and the clean-up must still run.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._close)

    def _close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


def _attachment(export: exports_service.Export) -> StreamingResponse:
    return ClosingStreamingResponse(
        export.chunks,
        media_type=export.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
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
) -> StreamingResponse:
    """Export one row per visit with its scores and findings counts."""
    return _attachment(exports_service.export_visits(session, filters, fmt, now=clock()))


@router.get(
    "/exports/answers",
    summary="Export answers",
    response_class=StreamingResponse,
    status_code=status.HTTP_200_OK,
    responses=RESPONSES,
)
def export_answers(
    session: ReportSession,
    clock: ClockDep,
    filters: FiltersDep,
    fmt: FormatQuery = ExportFormat.csv,
) -> StreamingResponse:
    """Export one row per current answer of the filtered visits."""
    return _attachment(exports_service.export_answers(session, filters, fmt, now=clock()))
