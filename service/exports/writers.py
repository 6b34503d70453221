"""Pure streaming writers: typed columns and batches of rows in, file bytes out, chunk by chunk.

No web or database imports. CSV goes out a batch at a time. XLSX is a zip whose directory
comes last, so openpyxl's write-only mode spools it to a temporary file (memory up to
``SPOOL_BYTES``, disk beyond) and then the file is sent in chunks. Parquet is written one row
group per batch, each sent as soon as it is encoded; the footer follows the last.
"""

import csv
import datetime as dt
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

CHUNK_BYTES = 256 * 1024
# Excel opens at most 1,048,576 rows a sheet; past that the rows go on to a further sheet.
XLSX_MAX_ROWS = 1_048_576
SPOOL_BYTES = 16 * 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
# A spreadsheet evaluates a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 forbids these control characters; openpyxl refuses a cell holding one.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class Kind(StrEnum):
    text = "text"
    integer = "integer"
    number = "number"
    boolean = "boolean"
    timestamp = "timestamp"
    date = "date"


@dataclass(frozen=True)
class Column:
    """One column of an export: its stable name, its type, and what it means."""

    name: str
    kind: Kind
    description: str


Row = Sequence[Any]


def neutralise(text: str) -> str:
    """Prefix a single quote to text a spreadsheet would run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return value


def csv_stream(
    columns: Sequence[Column], batches: Iterable[Sequence[Row]], *, bom: bool = False
) -> Iterator[bytes]:
    """UTF-8 CSV, comma-separated, a header row of column names, one chunk per batch.

    Empty cells are nulls; booleans are ``true``/``false``; times are ISO 8601 with offset.
    With ``bom``, the file starts with a UTF-8 byte-order mark: Excel on Windows reads a CSV
    without one in the ANSI code page and garbles Cyrillic.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    yield (UTF8_BOM if bom else b"") + buffer.getvalue().encode()
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_csv_cell(v) for v in row] for row in batch)
        yield buffer.getvalue().encode()


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise(_XML_ILLEGAL.sub("", value))
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # Excel has no time zones: cells hold UTC, as the column description says.
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def xlsx_stream(
    columns: Sequence[Column],
    batches: Iterable[Sequence[Row]],
    *,
    sheet: str,
    max_rows: int = XLSX_MAX_ROWS,
) -> Iterator[bytes]:
    """A worksheet named ``sheet``: a header row, then the rows; times in UTC.

    Rows beyond ``max_rows`` (header included) go on to sheets ``sheet_2``, ``sheet_3``...,
    each with the header again.
    """
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    header = [c.name for c in columns]
    worksheet, sheets, rows = workbook.create_sheet(sheet), 1, 1
    worksheet.append(header)
    for batch in batches:
        for row in batch:
            if rows == max_rows:
                sheets += 1
                worksheet, rows = workbook.create_sheet(f"{sheet}_{sheets}"), 1
                worksheet.append(header)
            worksheet.append([_xlsx_cell(v) for v in row])
            rows += 1
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        workbook.save(spool)
        spool.seek(0)
        while chunk := spool.read(CHUNK_BYTES):
            yield chunk


class _Drain(io.RawIOBase):
    """A write-only sink whose bytes are taken out as they come, so none accumulate."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        taken = b"".join(self._parts)
        self._parts.clear()
        return taken


def _arrow_type(kind: Kind) -> Any:
    import pyarrow as pa

    return {
        Kind.text: pa.string(),
        Kind.integer: pa.int64(),
        Kind.number: pa.float64(),
        Kind.boolean: pa.bool_(),
        Kind.timestamp: pa.timestamp("us", tz="UTC"),
        Kind.date: pa.date32(),
    }[kind]


def parquet_stream(columns: Sequence[Column], batches: Iterable[Sequence[Row]]) -> Iterator[bytes]:
    """Parquet (zstd), one row group per batch, typed columns; timestamps in UTC."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field(c.name, _arrow_type(c.kind)) for c in columns])
    sink = _Drain()
    writer = pq.ParquetWriter(pa.PythonFile(sink, mode="w"), schema, compression="zstd")
    try:
        for batch in batches:
            if not batch:
                continue
            arrays = [
                pa.array([row[i] for row in batch], type=field.type)
                for i, field in enumerate(schema)
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            if chunk := sink.take():
                yield chunk
    finally:
        writer.close()
    yield sink.take()
