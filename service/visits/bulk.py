"""Pure: read a CSV of assignments for a whole wave of visits into rows, with per-cell problems."""

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError

from service.auth.emails import normalise_email
from service.visits.checks import Defect
from service.visits.schemas import VisitCreate

REQUIRED_COLUMNS = ("service_code", "office_id", "channel", "window_start_at", "window_end_at")
SHOPPER_COLUMNS = ("shopper_email", "shopper_id")
OPTIONAL_COLUMNS = ("wave", "notes", "deadline_case_index", "client_id")
COLUMNS = REQUIRED_COLUMNS + SHOPPER_COLUMNS + OPTIONAL_COLUMNS
KNOWN_COLUMNS = frozenset(COLUMNS)

# Each cell is checked on its own, so one bad cell does not hide the others' problems.
_CELL_TYPES: dict[str, TypeAdapter[Any]] = {
    name: TypeAdapter(Annotated[info.annotation, info])  # type: ignore[arg-type]
    for name, info in VisitCreate.model_fields.items()
}
# Pydantic's wording where a coordinator would not follow it.
_PLAINER = {
    ("service_code", "string_pattern_mismatch"): "expected a service code such as S26",
    ("office_id", "int_type"): "expected an office id, a whole number such as 12",
}


class BulkFileError(ValueError):
    """The file as a whole cannot be read (encoding, header, size)."""


class BulkCellTooLong(BulkFileError):
    """A cell is so long the CSV reader gave up on the file."""


@dataclass
class BulkRow:
    line: int
    values: dict[str, Any]
    problems: list[Defect] = field(default_factory=list)


def parse_csv(data: bytes, *, max_rows: int, max_cell_bytes: int) -> list[BulkRow]:
    """Split a UTF-8 CSV (comma or semicolon separated) into rows keyed by column name.

    Empty cells are left out, so optional columns may be blank; a blank required cell, a cell
    over ``max_cell_bytes`` and a line with more cells than the header are row problems.

    Raises:
        BulkCellTooLong: a cell beyond what the CSV reader reads at all (128 KiB).
        BulkFileError: not UTF-8, no header, unknown or missing columns, too many rows.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BulkFileError(f"the file is not UTF-8 text (byte {exc.start})") from exc
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip() for h in reader.fieldnames or []]
        _check_header(header)
        reader.fieldnames = header
        rows: list[BulkRow] = []
        for row in reader:
            if len(rows) >= max_rows:
                raise BulkFileError(f"more than {max_rows} rows; split the file")
            parsed = _row(reader.line_num, row, header, max_cell_bytes)
            if parsed is not None:
                rows.append(parsed)
    except csv.Error as exc:
        # The csv module refuses a field over its own limit (128 KiB) and stops reading.
        if "field limit" in str(exc):
            raise BulkCellTooLong(
                f"line {reader.reader.line_num}: a cell is longer than {max_cell_bytes} bytes, "
                "the most a cell may hold"
            ) from exc
        raise BulkFileError(f"line {reader.reader.line_num}: {exc}") from exc
    if not rows:
        raise BulkFileError("the file has no rows")
    return rows


def _check_header(header: list[str]) -> None:
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


def _row(
    line: int, row: dict[str | None, Any], header: list[str], max_cell_bytes: int
) -> BulkRow | None:
    extra = row.pop(None, None)
    cells = {k: v.strip() for k, v in row.items() if isinstance(k, str) and isinstance(v, str)}
    values = {k: v for k, v in cells.items() if v}
    if not values and not extra:
        return None  # a blank line
    problems = []
    if extra:
        problems.append(Defect(None, "value-invalid", "the line has more cells than the header"))
    too_long = set()
    for column, value in list(values.items()):
        if len(value.encode()) > max_cell_bytes:
            del values[column]
            too_long.add(column)
            problems.append(Defect(column, "cell-too-long", f"longer than {max_cell_bytes} bytes"))
    for column in REQUIRED_COLUMNS:
        if column not in values and column not in too_long:
            problems.append(Defect(column, "value-missing", "required; the cell is empty"))
    given = [c for c in SHOPPER_COLUMNS if c in values or c in too_long]
    if not given:
        column = next(c for c in SHOPPER_COLUMNS if c in header)
        problems.append(Defect(column, "value-missing", "give the shopper's e-mail or id"))
    if len(given) == 2:
        problems.append(
            Defect("shopper_id", "value-invalid", "give shopper_email or shopper_id, not both")
        )
    return BulkRow(line=line, values=values, problems=problems)


def read_cells(row: BulkRow) -> dict[str, Any]:
    """The row's cells as typed values; a cell that does not read becomes a row problem.

    ``shopper_email`` stays text, in the one form accounts store (``normalise_email``).
    """
    typed: dict[str, Any] = {}
    for column, text in row.values.items():
        if column == "shopper_email":
            typed[column] = normalise_email(text)
            continue
        value: Any = text
        if column in ("office_id", "deadline_case_index") and text.isascii() and text.isdigit():
            # CSV cells are text; the API model wants whole numbers.
            value = int(text)
        try:
            typed[column] = _CELL_TYPES[column].validate_python(value)
        except ValidationError as exc:
            for error in exc.errors():
                message = _PLAINER.get((column, error["type"]), error["msg"])
                message = message.removeprefix("Value error, ")
                row.problems.append(Defect(column, "value-invalid", message))
    return typed


def flag_repeated_client_ids(rows: list[tuple[BulkRow, dict[str, Any]]]) -> None:
    """Add a problem to each row whose typed ``client_id`` an earlier row already has."""
    first: dict[Any, int] = {}
    for row, values in rows:
        client_id = values.get("client_id")
        if client_id is None:
            continue
        if client_id in first:
            row.problems.append(
                Defect(
                    "client_id",
                    "client-id-repeated",
                    f"line {first[client_id]} has the same client_id; each row needs its own",
                )
            )
        else:
            first[client_id] = row.line


def content_hash(rows: list[BulkRow]) -> str:
    """A digest of the rows as sent: each row's number and cells, so a bulk's retry (the same
    rows) tells itself apart from other rows sent under the same ``client_id``."""
    canonical = json.dumps(
        [[row.line, row.values] for row in rows],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
