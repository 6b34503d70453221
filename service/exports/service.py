"""Exports of visits and answers as CSV, XLSX or Parquet, streamed as they are read."""

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import Row
from sqlmodel import Session

from service import db
from service.checklists.kinds import free_text_codes
from service.checklists.pinned import checklist_by_id
from service.error_codes import ErrorCode
from service.errors import ValidationFailed
from service.exports import repository, writers
from service.exports.schemas import ANSWER_COLUMNS, MEDIA_TYPES, VISIT_COLUMNS, ExportFormat
from service.reports.schemas import ReportFilters


class BomNotCsv(ValidationFailed):
    code: ClassVar[ErrorCode] = "export-bom-not-csv"
    title = "Byte-order mark is for CSV only"


@dataclass(frozen=True)
class Export:
    """A file about to be streamed: its name, media type and bytes (lazily produced)."""

    filename: str
    media_type: str
    chunks: Iterator[bytes]


def _in_own_transaction(
    session: Session, chunks: Callable[[Session], Iterator[bytes]]
) -> Iterator[bytes]:
    """Produce ``chunks(own)`` in a read-only transaction of its own that ends with the stream.

    The request's transaction has ended before the response body is sent, so the body reads
    in one of its own (``db.own_transaction``). It is read-only (a deferred WAL reader on
    SQLite), so a long export never holds the write lock, and it ends when the last chunk is
    sent or the client goes away.
    """
    with db.own_transaction(session, read=True) as own:
        yield from chunks(own)


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def _visit_rows(batches: Iterable[Sequence[Row[Any]]]) -> Iterator[list[list[Any]]]:
    for batch in batches:
        yield [[_plain(v) for v in row] for row in batch]


def _answer_rows(
    batches: Iterable[Sequence[Row[Any]]], withheld: Callable[[int, str], bool]
) -> Iterator[list[list[Any]]]:
    for batch in batches:
        rows = []
        for row in batch:
            hidden = withheld(row.checklist_id, row.item_code)
            shown = not (row.na or hidden)
            value = json.dumps(row.value, ensure_ascii=False) if shown else None
            rows.append(
                [
                    str(row.visit_id),
                    row.service_code,
                    row.item_code,
                    value,
                    row.na,
                    row.answered_at,
                    row.received_at,
                    hidden,
                ]
            )
        yield rows


def _free_text_of(session: Session) -> Callable[[int, str], bool]:
    """Whether an item of a checklist is answered in free text, each checklist read once."""
    codes: dict[int, frozenset[str]] = {}

    def typed(checklist_id: int, item_code: str) -> bool:
        if checklist_id not in codes:
            items = checklist_by_id(session, checklist_id).items()
            codes[checklist_id] = free_text_codes(items)
        return item_code in codes[checklist_id]

    return typed


def _encode(
    fmt: ExportFormat,
    columns: Sequence[writers.Column],
    rows: Iterable[Sequence[writers.Row]],
    sheet: str,
    bom: bool,
) -> Iterator[bytes]:
    if fmt is ExportFormat.csv:
        return writers.csv_stream(columns, rows, bom=bom)
    if fmt is ExportFormat.xlsx:
        return writers.xlsx_stream(columns, rows, sheet=sheet)
    return writers.parquet_stream(columns, rows)


def _filename(name: str, fmt: ExportFormat, now: dt.datetime) -> str:
    return f"{name}-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.{fmt.value}"


def _export(
    name: str,
    columns: Sequence[writers.Column],
    rows: Callable[[Session], Iterator[list[list[Any]]]],
    fmt: ExportFormat,
    session: Session,
    now: dt.datetime,
    bom: bool,
) -> Export:
    if bom and fmt is not ExportFormat.csv:
        # Refused rather than ignored: a caller asking for a BOM expects a text file.
        raise BomNotCsv(
            f"bom=true applies to format=csv only; {fmt.value} files carry their own encoding."
        )

    def chunks(own: Session) -> Iterator[bytes]:
        return _encode(fmt, columns, rows(own), name, bom)

    return Export(
        filename=_filename(name, fmt, now),
        media_type=MEDIA_TYPES[fmt],
        chunks=_in_own_transaction(session, chunks),
    )


def export_visits(
    session: Session,
    filters: ReportFilters,
    fmt: ExportFormat,
    *,
    now: dt.datetime,
    bom: bool = False,
) -> Export:
    """One row per visit with its service, office, window, status and stored score.

    Args:
        session: the request's session; the export reads in a transaction of its own.
        filters: which visits (the report filters; approved only by default).
        fmt: the file format.
        now: for the file name.
        bom: start a CSV with a UTF-8 byte-order mark (for Excel on Windows).

    Returns:
        The export; reading its chunks runs the query, a batch of rows at a time.

    Raises:
        BomNotCsv: ``bom`` asked of a format other than CSV.
    """

    def rows(own: Session) -> Iterator[list[list[Any]]]:
        return _visit_rows(repository.visit_batches(own, filters))

    return _export("visits", VISIT_COLUMNS, rows, fmt, session, now, bom)


def export_answers(
    session: Session,
    filters: ReportFilters,
    fmt: ExportFormat,
    *,
    now: dt.datetime,
    bom: bool = False,
    free_text: bool = True,
) -> Export:
    """One row per current answer of the filtered visits; the value as JSON text (withheld
    for text items without ``free_text``).

    Args:
        session: the request's session; the export reads in a transaction of its own.
        filters: which visits' answers (the report filters; approved only by default).
        fmt: the file format.
        now: for the file name.
        bom: start a CSV with a UTF-8 byte-order mark (for Excel on Windows).

    Returns:
        The export; reading its chunks runs the query, a batch of rows at a time.

    Raises:
        BomNotCsv: ``bom`` asked of a format other than CSV.
    """

    def rows(own: Session) -> Iterator[list[list[Any]]]:
        withheld = _free_text_of(own) if not free_text else lambda _c, _i: False
        return _answer_rows(repository.answer_batches(own, filters), withheld)

    return _export("answers", ANSWER_COLUMNS, rows, fmt, session, now, bom)
