"""/reports/findings by code and item: the generic non-compliant-item broken down by question,
each group with a message in the language asked for (lang, else Accept-Language, else ru)."""

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.roles import Role
from service.calendar.rules import WorkingCalendar
from service.checklists.builder import build_checklist
from service.checklists.format import ChecklistChannel
from service.checklists.loader import load_templates
from service.scoring.messages import localized, message
from service.scoring.results import Finding, Severity
from service.scoring.rules import score_visit
from service.scoring.service import stored_rows
from service.scoring.sources import Source
from service.standards.catalogue import load_catalogue
from tests.conftest import AuthHeaders
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.reports.data import NOW, Dataset, add_visit

ROOT = Path(__file__).resolve().parents[2]
POLITE = ("staff_polite", "«Сотрудник был вежлив?»: ответ «нет».",
          '"Was the staff member polite?": answered "no".')  # fmt: skip
STAND = ("stand_present", "«Есть ли стенд?»: ответ «нет».", '"Is there a stand?": answered "no".')
# key: day of May, findings (code, severity, item, message ru, message en[, message kk]);
# F1's findings were stored before Kazakh, so the Kazakh report shows their Russian.
VISITS: dict[str, tuple[int, list[tuple[str, ...]]]] = {
    "F1": (4, [("non-compliant-item", "minor", *POLITE), ("non-compliant-item", "minor", *STAND)]),
    "F2": (5, [("non-compliant-item", "minor", POLITE[0], "«Вежлив?»: ответ «нет» (F2).",
                '"Polite?": answered "no" (F2).', "«Сыпайы ма?»: жауап «жоқ» (F2).")]),
    "F3": (6, [("badge-missing", "minor")]),
}  # fmt: skip


@pytest.fixture
def findings(session: Session, report_data: Dataset) -> Dataset:
    for key, (day, found) in VISITS.items():
        row: tuple[Any, ...] = ("S33", "in_person", "A", "approved", (5, day, 10, 0), "f", 80, 4, False,
               "on_time", found, {})  # fmt: skip
        add_visit(session, report_data, key, row)
    session.flush()
    return report_data


@pytest.fixture
def analyst(auth_headers: AuthHeaders) -> dict[str, str]:
    return auth_headers(Role.analyst)


def findings_of(
    client: TestClient, headers: dict[str, str], **params: Any
) -> tuple[Any, list[tuple[Any, ...]]]:
    response = client.get(
        api_path("list_findings"), params={"wave": "f", **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    rows = [
        (r["rank"], r["code"], r["item_code"], r["count"], r["visits"], r["message"])
        for r in response.json()["items"]
    ]
    return response, rows


@pytest.mark.usefixtures("findings")
class TestByItem:
    def test_generic_findings_are_broken_down_by_question(
        self, client: TestClient, analyst: dict[str, str], findings: Dataset
    ) -> None:
        response, rows = findings_of(client, analyst)
        assert rows == [
            # The most recent visit's message (F2, May 5) stands for its group.
            (1, "non-compliant-item", "staff_polite", 2, 2, "«Вежлив?»: ответ «нет» (F2)."),
            # Ties by count: code, then the item (a finding about no one item first).
            (2, "badge-missing", None, 1, 1, "-"),
            (3, "non-compliant-item", "stand_present", 1, 1, STAND[1]),
        ]
        examples = [
            [findings.key_of(v) for v in r["example_visit_ids"]] for r in response.json()["items"]
        ]
        assert examples == [["F2", "F1"], ["F3"], ["F1"]]
        assert response.json()["language"] == "ru"
        assert response.headers["content-language"] == "ru"

    @pytest.mark.parametrize(
        ("params", "headers", "language"),
        [
            ({"lang": "en"}, {}, "en"),
            ({"lang": "kk"}, {"Accept-Language": "en"}, "kk"),
            ({}, {"Accept-Language": "en-GB,en;q=0.9"}, "en"),
            ({}, {"Accept-Language": "kk, en;q=0.8, ru;q=0.5"}, "kk"),
            ({}, {"Accept-Language": "de, ru;q=0.5, en;q=0.2"}, "ru"),
            ({}, {"Accept-Language": "de"}, "ru"),
            ({"lang": "ru"}, {"Accept-Language": "en"}, "ru"),
        ],
    )
    def test_the_language_asked_for(
        self,
        client: TestClient,
        analyst: dict[str, str],
        params: dict[str, str],
        headers: dict[str, str],
        language: str,
    ) -> None:
        response, rows = findings_of(client, {**analyst, **headers}, **params)
        assert response.json()["language"] == language
        assert response.headers["content-language"] == language
        polite = {
            "ru": "«Вежлив?»: ответ «нет» (F2).",
            "en": '"Polite?": answered "no" (F2).',
            "kk": "«Сыпайы ма?»: жауап «жоқ» (F2).",
        }
        assert rows[0][5] == polite[language]
        assert rows[2][5] == (STAND[2] if language == "en" else STAND[1])

    def test_an_unknown_language_is_refused(
        self, client: TestClient, analyst: dict[str, str]
    ) -> None:
        response = client.get(api_path("list_findings"), params={"lang": "de"}, headers=analyst)
        assert_problem(response, 422, "validation-failed", field="lang")


def test_a_stored_finding_names_its_one_item() -> None:
    # What scoring stores is what the report groups by: the item when the finding names one.
    templates = load_templates(ROOT / "checklists" / "templates")
    standard = {s.code: s for s in load_catalogue(ROOT / "checklists" / "standards")}["S26"]
    checklist = build_checklist(templates[ChecklistChannel.in_person], standard)
    result = score_visit(
        checklist, standard, {}, calendar=WorkingCalendar(), today=dt.date(2026, 3, 2)
    )
    source = Source(document="checklist", clause="-")
    question = localized("Вежлив?", "Polite?", "Сыпайы ма?")
    answer = message("answer.no")
    one = Finding.of("non-compliant-item", Severity.minor, ["staff_polite"],
                     "non-compliant-item", {"question": question, "answer": answer}, source)  # fmt: skip
    several = one.model_copy(update={"code": "required-item-unanswered", "item_codes": ["a", "b"]})
    result = result.model_copy(update={"findings": [one, several]})
    _, rows, _ = stored_rows(uuid.uuid4(), checklist, result, now=NOW)
    assert [(row.code, row.item_code) for row in rows] == [
        ("non-compliant-item", "staff_polite"),
        ("required-item-unanswered", None),
    ]
    # The report's three languages are stored with the finding.
    assert (rows[0].message_ru, rows[0].message_kk, rows[0].message_en) == (
        "«Вежлив?»: ответ «нет».",
        "«Сыпайы ма?»: жауап «жоқ».",
        '"Polite?": answered "no".',
    )
