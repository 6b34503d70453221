"""The pure writers: typed round trips, formula neutralising, and output before the last row."""

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from service.exports.schemas import ANSWER_COLUMNS, VISIT_COLUMNS
from service.exports.writers import (
    Column,
    Kind,
    csv_stream,
    neutralise,
    parquet_stream,
    xlsx_stream,
)

COLUMNS = [
    Column("text", Kind.text, ""),
    Column("integer", Kind.integer, ""),
    Column("number", Kind.number, ""),
    Column("boolean", Kind.boolean, ""),
    Column("timestamp", Kind.timestamp, ""),
    Column("date", Kind.date, ""),
]
AT = dt.datetime(2026, 3, 18, 4, 0, 30, tzinfo=dt.UTC)
ROWS: list[list[Any]] = [
    ["Астана, ЦОН №1", 7, 12.5, True, AT, dt.date(2026, 3, 18)],
    [None, None, None, None, None, None],
    ["=SUM(A1:A2)", -3, -1.5, False, AT, dt.date(2026, 1, 1)],
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+7 701 000 00 00", "'+7 701 000 00 00"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("ЦОН = хорошо", "ЦОН = хорошо"),
        ("", ""),
    ],
)
def test_neutralise(text: str, expected: str) -> None:
    assert neutralise(text) == expected


def test_csv_round_trip() -> None:
    text = b"".join(csv_stream(COLUMNS, [ROWS[:2], ROWS[2:]])).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [c.name for c in COLUMNS]
    assert rows[1] == [
        "Астана, ЦОН №1", "7", "12.5", "true", "2026-03-18T04:00:30+00:00", "2026-03-18"
    ]  # fmt: skip
    assert rows[2] == [""] * 6
    # Numbers stay numbers; only text that a spreadsheet would evaluate is quoted.
    assert rows[3] == ["'=SUM(A1:A2)", "-3", "-1.5", "false", "2026-03-18T04:00:30+00:00",
                       "2026-01-01"]  # fmt: skip


def test_xlsx_round_trip() -> None:
    data = b"".join(xlsx_stream(COLUMNS, [ROWS], sheet="visits"))
    sheet = load_workbook(io.BytesIO(data))["visits"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == [c.name for c in COLUMNS]
    assert rows[1] == [
        "Астана, ЦОН №1", 7, 12.5, True, dt.datetime(2026, 3, 18, 4, 0, 30),
        dt.datetime(2026, 3, 18),
    ]  # fmt: skip
    assert rows[2] == [None] * 6
    assert rows[3][0] == "'=SUM(A1:A2)"
    assert sheet["A4"].data_type == "s"  # text, not a formula


def test_xlsx_continues_on_a_new_sheet_past_the_row_limit() -> None:
    data = b"".join(
        xlsx_stream(COLUMNS[:2], [[[str(n), n] for n in range(7)]], sheet="a", max_rows=3)
    )
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["a", "a_2", "a_3", "a_4"]
    sheets = [
        [[c.value for c in row] for row in book[name].iter_rows()] for name in book.sheetnames
    ]
    assert sheets[0] == [["text", "integer"], ["0", 0], ["1", 1]]
    assert sheets[3] == [["text", "integer"], ["6", 6]]


def test_xlsx_drops_characters_xml_forbids() -> None:
    data = b"".join(xlsx_stream(COLUMNS[:1], [[["bell\x07 and\x00 null"]]], sheet="s"))
    assert load_workbook(io.BytesIO(data))["s"]["A2"].value == "bell and null"


def test_parquet_round_trip_keeps_types_and_raw_text() -> None:
    data = b"".join(parquet_stream(COLUMNS, [ROWS[:2], [], ROWS[2:]]))
    parquet = pq.ParquetFile(io.BytesIO(data))
    assert parquet.num_row_groups == 2
    table = parquet.read()
    assert [str(t) for t in table.schema.types] == [
        "string", "int64", "double", "bool", "timestamp[us, tz=UTC]", "date32[day]"
    ]  # fmt: skip
    rows = [list(r.values()) for r in table.to_pylist()]
    assert rows[0][:4] == ["Астана, ЦОН №1", 7, 12.5, True]
    assert rows[0][4] == AT
    assert rows[1] == [None] * 6
    assert rows[2][0] == "=SUM(A1:A2)"  # no spreadsheet evaluates Parquet


def test_empty_exports_have_their_columns() -> None:
    assert b"".join(csv_stream(COLUMNS, [])).decode().strip() == ",".join(c.name for c in COLUMNS)
    table = pq.read_table(io.BytesIO(b"".join(parquet_stream(COLUMNS, []))))
    assert table.num_rows == 0
    assert table.column_names == [c.name for c in COLUMNS]


@pytest.mark.parametrize("writer", [csv_stream, parquet_stream])
def test_output_starts_before_the_last_batch_is_read(writer: Any) -> None:
    read: list[int] = []

    def batches() -> Iterator[list[list[Any]]]:
        for n in range(3):
            read.append(n)
            yield ROWS

    chunks = writer(COLUMNS, batches())
    next(chunks)
    first_with_data = next(chunks)
    assert first_with_data
    assert read != [0, 1, 2]


def test_docs_list_every_column_in_order() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "exports.md").read_text()
    visits, answers = doc.split("## Visits")[1].split("## Answers")
    for section, columns in ((visits, VISIT_COLUMNS), (answers, ANSWER_COLUMNS)):
        for n, column in enumerate(columns, start=1):
            row = f"| {n} | `{column.name}` | {column.kind.value} | {column.description} |"
            assert row in section


def test_csv_bom_comes_once_before_the_header() -> None:
    data = b"".join(csv_stream(COLUMNS, [ROWS[:2], ROWS[2:]], bom=True))
    assert data.startswith(b"\xef\xbb\xbftext,integer,")
    assert data.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1][0] == "Астана, ЦОН №1"
