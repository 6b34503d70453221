"""Pure: read a CSV of assignments for a whole wave of visits into rows, with per-row errors."""

import csv
import io
from dataclasses import dataclass, field
from typing import Any

REQUIRED_COLUMNS = ("service_code", "office_id", "channel", "window_start_at", "window_end_at")
SHOPPER_COLUMNS = ("shopper_email", "shopper_id")
OPTIONAL_COLUMNS = ("wave", "notes", "deadline_case_index", "client_id")
KNOWN_COLUMNS = frozenset(REQUIRED_COLUMNS + SHOPPER_COLUMNS + OPTIONAL_COLUMNS)


class BulkFileError(ValueError):
    """The file as a whole cannot be read (encoding, header, size)."""


@dataclass
class BulkRow:
    line: int
    values: dict[str, Any]
    errors: list[str] = field(default_factory=list)


def parse_csv(data: bytes, *, max_rows: int) -> list[BulkRow]:
    """Split a UTF-8 CSV (comma or semicolon separated) into rows keyed by column name.

    Empty cells are left out, so optional columns may be blank.

    Raises:
        BulkFileError: not UTF-8, no header, unknown or missing columns, too many rows.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BulkFileError(f"the file is not UTF-8 text (byte {exc.start})") from exc
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip() for h in reader.fieldnames or []]
    if not header:
        raise BulkFileError("the file has no header line")
    unknown = sorted(set(header) - KNOWN_COLUMNS)
    if unknown:
        raise BulkFileError(f"unknown columns: {', '.join(unknown)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if not any(c in header for c in SHOPPER_COLUMNS):
        missing.append("shopper_email or shopper_id")
    if missing:
        raise BulkFileError(f"missing columns: {', '.join(missing)}")
    reader.fieldnames = header
    rows: list[BulkRow] = []
    for row in reader:
        if len(rows) >= max_rows:
            raise BulkFileError(f"more than {max_rows} rows; split the file")
        extra = row.pop(None, None)
        values = {k: v.strip() for k, v in row.items() if isinstance(v, str) and v.strip()}
        errors = ["the line has more cells than the header"] if extra else []
        if values or errors:
            rows.append(BulkRow(line=reader.line_num, values=values, errors=errors))
    if not rows:
        raise BulkFileError("the file has no rows")
    return rows
