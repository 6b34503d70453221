"""Exports over HTTP: read back every format and compare with the data set (tests/reports/data.py)."""

import csv
import datetime as dt
import io
import json
import uuid
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from service.answers.models import Answer
from service.auth.roles import Role
from service.exports.schemas import ANSWER_COLUMNS, VISIT_COLUMNS
from service.isotime import LOCAL_OFFSET
from service.offices.models import Office
from tests.conftest import AuthHeaders
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.reports.data import RATINGS, VISITS, Dataset

APPROVED = sorted(k for k, row in VISITS.items() if row[3] == "approved")
AT = dt.datetime(2026, 3, 2, 5, 30, tzinfo=dt.UTC)


@pytest.fixture
def analyst(auth_headers: AuthHeaders) -> dict[str, str]:
    return auth_headers(Role.analyst)


def download(
    client: TestClient, headers: dict[str, str], what: str, fmt: str, **params: Any
) -> list[dict[str, Any]]:
    """The export's rows as dicts of Python values, whatever the format."""
    response = client.get(
        api_path(f"export_{what}"), params={"format": fmt, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    name = f"{what}-20260318T093000Z.{fmt}"
    assert disposition == f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    names = [c.name for c in (VISIT_COLUMNS if what == "visits" else ANSWER_COLUMNS)]
    if fmt == "csv":
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert not rows or list(rows[0]) == names
        return [{k: v or None for k, v in row.items()} for row in rows]
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(response.content), read_only=True)[what]
        values = [list(row) for row in sheet.values]
        assert values[0] == names
        return [
            dict(zip(names, row + [None] * (len(names) - len(row)), strict=True))
            for row in values[1:]
        ]
    table = pq.read_table(io.BytesIO(response.content))
    assert table.column_names == names
    records: list[dict[str, Any]] = table.to_pylist()  # pyarrow ships no types
    return records


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).isoformat()
    return str(value)


def text_of(value: Any) -> str:
    """``as_text`` of a value the export must fill."""
    text = as_text(value)
    assert text is not None
    return text


@pytest.mark.usefixtures("report_data")
class TestExportVisits:
    @pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
    def test_round_trip(
        self, client: TestClient, analyst: dict[str, str], report_data: Dataset, fmt: str
    ) -> None:
        rows = download(client, analyst, "visits", fmt)
        assert sorted(report_data.key_of(r["visit_id"]) for r in rows) == APPROVED
        assert report_data.shopper is not None
        starts = [text_of(r["window_start_at"]) for r in rows]
        assert starts == sorted(starts)  # by window start
        for row in rows:
            key = report_data.key_of(row["visit_id"])
            code, channel, office, status, when, wave, score, grade, critical, deadline = VISITS[
                key
            ][:10]
            month, day, hour, minute = when
            start = dt.datetime(2026, month, day, hour, minute, tzinfo=LOCAL_OFFSET)
            assert as_text(row["window_start_at"]) == start.astimezone(dt.UTC).isoformat()
            assert (row["service_code"], row["channel"], row["status"], row["wave"]) == (
                code, channel, status, wave
            )  # fmt: skip
            assert as_text(row["office_id"]) == str(report_data.offices[office])
            assert as_text(row["grade"]) == as_text(grade)
            assert (None if row["score"] is None else float(row["score"])) == (
                None if score is None else float(score)
            )
            assert row["deadline_status"] == deadline
            assert text_of(row["critical_failed"]).lower() == str(critical).lower()
            assert row["shopper_id"] == str(report_data.shopper.id)

    def test_findings_counts_and_names(
        self, client: TestClient, analyst: dict[str, str], report_data: Dataset
    ) -> None:
        rows = download(client, analyst, "visits", "parquet", service="S26")
        v5 = next(r for r in rows if r["visit_id"] == str(report_data.visits["V5"]))
        assert (v5["findings_critical"], v5["findings_major"], v5["findings_minor"]) == (1, 2, 0)
        assert v5["agency"] == "НБ"
        assert v5["level"] == "central"
        assert v5["region"] == "astana"
        assert v5["office_name"] == "ЦОН №1 Астана"
        assert v5["wait_minutes"] == 12.5

    @pytest.mark.usefixtures("answers")
    @pytest.mark.parametrize("what", ["visits", "answers"])
    def test_no_shopper_names_or_contacts(
        self, client: TestClient, analyst: dict[str, str], report_data: Dataset, what: str
    ) -> None:
        names = {c.name for c in VISIT_COLUMNS}
        assert not names & {"shopper_name", "full_name", "email", "phone", "latitude", "longitude"}
        shopper = report_data.shopper
        assert shopper is not None
        assert shopper.phone is not None
        response = client.get(api_path(f"export_{what}"), headers=analyst)
        assert response.status_code == 200
        assert str(report_data.visits["V1"]) in response.text  # the rows are there
        for personal in (shopper.full_name, shopper.email, shopper.phone):
            assert personal not in response.text

    def test_status_widens(
        self, client: TestClient, analyst: dict[str, str], report_data: Dataset
    ) -> None:
        rows = download(client, analyst, "visits", "csv", status="assigned,submitted")
        assert sorted(report_data.key_of(r["visit_id"]) for r in rows) == ["V7", "V8"]
        v8 = next(r for r in rows if r["visit_id"] == str(report_data.visits["V8"]))
        assert v8["score"] is None
        assert v8["findings_minor"] is None  # not scored, not zero

    def test_empty(self, client: TestClient, analyst: dict[str, str]) -> None:
        assert download(client, analyst, "visits", "xlsx", wave="none") == []

    @pytest.mark.parametrize("fmt", ["pdf", "CSV", ""])
    def test_unknown_format(self, client: TestClient, analyst: dict[str, str], fmt: str) -> None:
        response = client.get(api_path("export_visits"), params={"format": fmt}, headers=analyst)
        assert_problem(response, 422, "validation-failed", field="format")


@pytest.fixture
def answers(session: Session, report_data: Dataset) -> dict[str, list[Answer]]:
    """Answers to V1 and V2 (approved) and V8 (assigned), one superseded."""
    shopper = report_data.shopper
    assert shopper is not None

    def answer(
        key: str, item: str, value: Any, *, current: bool = True, na: bool = False
    ) -> Answer:
        row = Answer(
            client_id=uuid.uuid4(),
            visit_id=report_data.visits[key],
            item_code=item,
            value=value,
            na=na,
            answered_at=AT,
            received_at=AT + dt.timedelta(seconds=3),
            content_hash="0" * 64,
            is_current=current,
            author_id=shopper.id,
        )
        session.add(row)
        return row

    made = {
        "V1": [
            answer("V1", "overall_comment", '=HYPERLINK("http://x")'),
            answer("V1", "staff_politeness", 4),
            answer("V1", "site_in_kazakh_and_russian", None, na=True),
            answer("V1", "badge_worn", "no"),
            answer("V1", "documents_demanded", {"selected": ["doc_1"], "extras": ["Справка"]}),
        ],
        "V2": [answer("V2", "help_desk_wait", 90)],
        "V8": [answer("V8", "overall_rating", 5)],
    }
    answer("V1", "badge_worn", "yes", current=False)
    session.flush()
    return made


class TestExportAnswers:
    @pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
    def test_round_trip_current_answers_of_approved_visits(
        self,
        client: TestClient,
        analyst: dict[str, str],
        answers: dict[str, list[Answer]],
        report_data: Dataset,
        fmt: str,
    ) -> None:
        rows = download(client, analyst, "answers", fmt)
        # The data set's own overall ratings of approved visits come along.
        rated = [
            (str(report_data.visits[key]), "overall_rating")
            for key in RATINGS
            if VISITS[key][3] == "approved"
        ]
        expected = sorted(
            [(str(a.visit_id), a.item_code) for a in answers["V1"] + answers["V2"]] + rated
        )
        assert [(r["visit_id"], r["item_code"]) for r in rows] == expected
        by_item = {r["item_code"]: r for r in rows if r["item_code"] != "overall_rating"}
        assert by_item["badge_worn"]["value"] == '"no"'  # the current one only
        assert by_item["site_in_kazakh_and_russian"]["value"] is None
        assert text_of(by_item["site_in_kazakh_and_russian"]["na"]).lower() == "true"
        assert json.loads(by_item["documents_demanded"]["value"]) == {
            "selected": ["doc_1"], "extras": ["Справка"]
        }  # fmt: skip
        assert as_text(by_item["staff_politeness"]["answered_at"]) == AT.isoformat()
        assert as_text(by_item["staff_politeness"]["received_at"]) == "2026-03-02T05:30:03+00:00"
        assert by_item["help_desk_wait"]["service_code"] == "S33"

    def test_filters_apply_to_the_visits(
        self, client: TestClient, analyst: dict[str, str], answers: dict[str, list[Answer]]
    ) -> None:
        rows = download(client, analyst, "answers", "csv", status="assigned")
        assert [r["item_code"] for r in rows] == ["overall_rating"]


class TestFormulaInjection:
    @pytest.fixture
    def hostile(self, session: Session, report_data: Dataset) -> None:
        office = session.get(Office, report_data.offices["A"])
        assert office is not None
        office.name = "=cmd|' /C calc'!A0"
        session.add(office)
        session.flush()

    @pytest.mark.usefixtures("hostile")
    def test_csv(self, client: TestClient, analyst: dict[str, str]) -> None:
        rows = download(client, analyst, "visits", "csv")
        names = {r["office_name"] for r in rows}
        assert "'=cmd|' /C calc'!A0" in names
        assert not any(n.startswith(("=", "+", "-", "@")) for n in names if n)

    @pytest.mark.usefixtures("hostile")
    def test_xlsx(self, client: TestClient, analyst: dict[str, str]) -> None:
        response = client.get(api_path("export_visits") + "?format=xlsx", headers=analyst)
        sheet = load_workbook(io.BytesIO(response.content))["visits"]
        column = [c.name for c in VISIT_COLUMNS].index("office_name") + 1
        cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
        assert "'=cmd|' /C calc'!A0" in {c.value for c in cells}
        assert all(c.data_type == "s" for c in cells)


@pytest.mark.usefixtures("answers")
class TestExcelBom:
    @pytest.mark.parametrize(
        ("what", "column", "cyrillic"),
        [("visits", "office_name", "ЦОН №1 Астана"), ("answers", "value", "Справка")],
    )
    def test_csv_starts_with_a_bom_and_reads_back_cyrillic(
        self, client: TestClient, analyst: dict[str, str], what: str, column: str, cyrillic: str
    ) -> None:
        response = client.get(
            api_path(f"export_{what}"), params={"format": "csv", "bom": "true"}, headers=analyst
        )
        assert response.status_code == 200, response.text
        assert response.content.startswith(b"\xef\xbb\xbf")
        assert response.content.count(b"\xef\xbb\xbf") == 1  # once, not once a chunk
        text = response.content.decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(text)))
        # The mark is not glued to the first column's name.
        assert header == [c.name for c in (VISIT_COLUMNS if what == "visits" else ANSWER_COLUMNS)]
        cells = [row[column] for row in csv.DictReader(io.StringIO(text))]
        assert any(cyrillic in cell for cell in cells)

    def test_without_bom_the_csv_is_plain_utf8(
        self, client: TestClient, analyst: dict[str, str]
    ) -> None:
        for params in ({"format": "csv"}, {"format": "csv", "bom": "false"}):
            response = client.get(api_path("export_visits"), params=params, headers=analyst)
            assert response.content.startswith(b"visit_id,")

    @pytest.mark.parametrize(("what", "fmt"), [("visits", "xlsx"), ("answers", "parquet")])
    def test_bom_with_another_format_is_422(
        self, client: TestClient, analyst: dict[str, str], what: str, fmt: str
    ) -> None:
        response = client.get(
            api_path(f"export_{what}"), params={"format": fmt, "bom": "true"}, headers=analyst
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == "export-bom-not-csv"
        assert "format=csv" in body["detail"]
