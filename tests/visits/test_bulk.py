import uuid
from typing import Any

import pytest

from service.checklists.format import ChecklistChannel
from service.visits.bulk import BulkCellTooLong, BulkFileError, BulkRow, parse_csv, read_cells
from service.visits.checks import Defect

HEADER = "service_code,office_id,shopper_email,channel,window_start_at,window_end_at,wave"
START, END = "2026-03-18T09:00:00+05:00", "2026-03-18T18:00:00+05:00"


def parse(text: str, *, max_rows: int = 10, max_cell_bytes: int = 1000) -> list[BulkRow]:
    return parse_csv(text.encode(), max_rows=max_rows, max_cell_bytes=max_cell_bytes)


def test_rows_are_keyed_by_column_and_blanks_dropped() -> None:
    rows = parse(f"{HEADER}\nS26,1,a@b.kz,in_person,{START},{END},\n")
    assert len(rows) == 1
    assert rows[0].line == 2
    assert rows[0].values["service_code"] == "S26"
    assert "wave" not in rows[0].values
    assert rows[0].problems == []


def test_semicolons_and_bom() -> None:
    data = "\ufeff" + HEADER.replace(",", ";") + "\nS26;1;a@b.kz;egov;x;y;w1\n"
    assert parse(data)[0].values["wave"] == "w1"


def test_blank_lines_are_skipped_and_lines_keep_their_numbers() -> None:
    rows = parse(f"{HEADER}\n\nS26,1,a@b.kz,in_person,{START},{END},\n")
    assert [r.line for r in rows] == [3]


@pytest.mark.parametrize(
    ("line", "problems"),
    [
        (
            "S26,1,a@b.kz,in_person,x,y,w,EXTRA",
            [Defect(None, "value-invalid", "the line has more cells than the header")],
        ),
        (
            ",1,a@b.kz,,x,,w",
            [
                Defect("service_code", "value-missing", "required; the cell is empty"),
                Defect("channel", "value-missing", "required; the cell is empty"),
                Defect("window_end_at", "value-missing", "required; the cell is empty"),
            ],
        ),
        (
            "S26,1,,in_person,x,y,w",
            [Defect("shopper_email", "value-missing", "give the shopper's e-mail or id")],
        ),
        (
            "S26,1,a@b.kz,in_person,x,y," + "w" * 21,
            [Defect("wave", "cell-too-long", "longer than 20 bytes")],
        ),
        (
            # Cyrillic letters take two bytes each: the limit is on bytes, not characters.
            "S26,1,a@b.kz,in_person,x,y," + "в" * 11,
            [Defect("wave", "cell-too-long", "longer than 20 bytes")],
        ),
    ],
)
def test_row_problems(line: str, problems: list[Defect]) -> None:
    rows = parse(f"{HEADER}\n{line}\n", max_cell_bytes=20)
    assert rows[0].problems == problems


def test_both_ways_of_naming_the_shopper_is_a_problem() -> None:
    rows = parse(f"{HEADER},shopper_id\nS26,1,a@b.kz,in_person,x,y,w,{uuid.uuid4()}\n")
    assert rows[0].problems == [
        Defect("shopper_id", "value-invalid", "give shopper_email or shopper_id, not both")
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"", "no header"),
        (f"{HEADER},colour\nS26,1,a,b,c,d,e,f\n".encode(), "unknown columns: colour"),
        (b"service_code,office_id\nS26,1\n", "missing columns: channel"),
        (f"{HEADER}\n".encode(), "no rows"),
        ((HEADER + "\nS26,1,a,b,c,d,e" * 3).encode(), "more than 2 rows"),
    ],
)
def test_bad_files(data: bytes, message: str) -> None:
    with pytest.raises(BulkFileError, match=message):
        parse_csv(data, max_rows=2, max_cell_bytes=1000)


def test_a_cell_the_csv_reader_refuses_is_a_file_error_naming_its_line() -> None:
    text = f"{HEADER}\nS26,1,a,b,c,d,e\nS26,1,a,b,c,d,{'e' * 140_000}\n"
    with pytest.raises(BulkCellTooLong, match="^line 3: a cell is longer than 500 bytes"):
        parse(text, max_cell_bytes=500)


def cells(**values: str) -> tuple[dict[str, Any], list[Defect]]:
    row = BulkRow(line=2, values=values)
    return read_cells(row), row.problems


def test_cells_are_read_into_their_types() -> None:
    typed, problems = cells(
        office_id="12", channel="egov", shopper_email="A@B.kz", deadline_case_index="0"
    )
    assert typed == {
        "office_id": 12,
        "channel": ChecklistChannel.egov,
        "shopper_email": "a@b.kz",
        "deadline_case_index": 0,
    }
    assert problems == []


@pytest.mark.parametrize(
    ("column", "text", "message"),
    [
        ("service_code", "26", "expected a service code such as S26"),
        ("office_id", "5\u00b2", "expected an office id, a whole number such as 12"),
        ("office_id", "0", "Input should be greater than or equal to 1"),
        ("window_start_at", "2026-03-18T09:00:00", "Input should have timezone info"),
        ("window_start_at", "1700000000", "expected an ISO 8601 date or date-time, not a number"),
        ("deadline_case_index", "50", "Input should be less than or equal to 49"),
        ("client_id", "not-a-uuid", None),
    ],
)
def test_each_bad_cell_is_its_own_problem(column: str, text: str, message: str | None) -> None:
    typed, problems = cells(**{column: text, "channel": "fax"})
    assert typed == {}
    assert [p.column for p in problems] == [column, "channel"]
    assert {p.code for p in problems} == {"value-invalid"}
    if message is not None:
        assert problems[0].message == message
