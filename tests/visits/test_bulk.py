import pytest

from service.visits.bulk import BulkFileError, parse_csv

HEADER = "service_code,office_id,shopper_email,channel,window_start_at,window_end_at,wave"


def test_rows_are_keyed_by_column_and_blanks_dropped() -> None:
    data = (
        f"{HEADER}\nS26,1,a@b.kz,in_person,2026-03-18T09:00:00+05:00,2026-03-18T18:00:00+05:00,\n"
    )
    rows = parse_csv(data.encode(), max_rows=10)
    assert len(rows) == 1
    assert rows[0].line == 2
    assert rows[0].values["service_code"] == "S26"
    assert "wave" not in rows[0].values


def test_semicolons_and_bom() -> None:
    data = "\ufeff" + HEADER.replace(",", ";") + "\nS26;1;a@b.kz;egov;x;y;w1\n"
    assert parse_csv(data.encode(), max_rows=10)[0].values["wave"] == "w1"


def test_extra_cells_are_a_row_error() -> None:
    rows = parse_csv(f"{HEADER}\nS26,1,a@b.kz,in_person,x,y,w,EXTRA\n".encode(), max_rows=10)
    assert rows[0].errors == ["the line has more cells than the header"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"", "no header"),
        (f"{HEADER},colour\nS26,1,a,b,c,d,e,f\n".encode(), "unknown columns: colour"),
        (b"service_code,office_id\nS26,1\n", "missing columns: channel"),
        (f"{HEADER}\n".encode(), "no rows"),
        ((HEADER + "\nS26,1,a,b,c,d,e" * 3).replace("e\nS", "e\nS").encode(), "more than 2 rows"),
    ],
)
def test_bad_files(data: bytes, message: str) -> None:
    with pytest.raises(BulkFileError, match=message):
        parse_csv(data, max_rows=2)
