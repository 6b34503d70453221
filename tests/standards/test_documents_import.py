"""Document lists loaded in bulk: the CSV, the API and the versions they add."""

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.auth.roles import Role
from service.standards.catalogue import CatalogueError
from service.standards.documents import parse_documents_csv
from tests.conftest import AuthHeaders
from tests.fixtures.routes import api_path

CSV = (
    "code,effective_from,name_ru,name_en,note_ru\n"
    "S33,2026-01-01,удостоверение личности,Identity card,Стандарт услуги\n"
    "S33,2026-01-01,свидетельство о рождении ребенка,,\n"
    "S45,2026-01-01,заявление,Application,\n"
)


def test_rows_group_into_one_list_per_service_and_date() -> None:
    batch = parse_documents_csv(CSV)
    assert [(d.code, d.effective_from, [x.name_ru for x in d.documents]) for d in batch.lists] == [
        (
            "S33",
            dt.date(2026, 1, 1),
            ["удостоверение личности", "свидетельство о рождении ребенка"],
        ),
        ("S45", dt.date(2026, 1, 1), ["заявление"]),
    ]
    assert batch.lists[0].note_ru == "Стандарт услуги"
    assert batch.lists[0].documents[1].name_en is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,name_ru\nS33,x\n", "missing columns effective_from"),
        ("code,effective_from,name_ru,colour\nS33,2026-01-01,x,red\n", "unknown columns colour"),
        ("code,effective_from,name_ru\nS33,2026-01-01,\n", "line 2: empty name_ru"),
        ("code,effective_from,name_ru\nX1,2026-01-01,x\n", "lists.0.code"),
        ("code,effective_from,name_ru\n", "no rows"),
    ],
)
def test_bad_csv_names_the_problem(text: str, message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        parse_documents_csv(text, source="lists.csv")


@pytest.fixture
def admin(auth_headers: AuthHeaders) -> dict[str, str]:
    return auth_headers(Role.admin)


def _body() -> dict[str, Any]:
    return {
        "lists": [
            {"code": d.code, "effective_from": d.effective_from.isoformat(),
             "documents": [x.model_dump() for x in d.documents], "note_ru": d.note_ru}
            for d in parse_documents_csv(CSV).lists
        ]
    }  # fmt: skip


class TestImportDocuments:
    def test_adds_a_version_per_service_then_is_idempotent(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        first = client.post(api_path("import_documents"), json=_body(), headers=admin)
        assert first.status_code == 200, first.text
        assert (first.json()["created"], first.json()["unchanged"]) == (2, 0)
        assert [(v["code"], v["version"]) for v in first.json()["versions"]] == [
            ("S33", 2),
            ("S45", 2),
        ]
        again = client.post(api_path("import_documents"), json=_body(), headers=admin)
        assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)
        s33 = client.get(api_path("read_service", code="S33") + "?on=2026-02-01", headers=admin)
        assert [d["name_ru"] for d in s33.json()["documents"]] == [
            "удостоверение личности",
            "свидетельство о рождении ребенка",
        ]
        assert s33.json()["documents_note_ru"] == "Стандарт услуги"
        # Visits before the date keep the 2018 version: no list, and its note.
        old = client.get(api_path("read_service", code="S33") + "?on=2025-12-31", headers=admin)
        assert old.json()["documents"] == []

    def test_one_unknown_service_writes_nothing(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        body = _body()
        body["lists"].append({"code": "S99", "effective_from": "2026-01-01", "documents": []})
        response = client.post(api_path("import_documents"), json=body, headers=admin)
        assert response.status_code == 404
        assert response.json()["code"] == "service-not-found"
        s33 = client.get(api_path("read_service", code="S33"), headers=admin).json()
        assert len(s33["versions"]) == 1

    def test_a_shopper_cannot_import(self, client: TestClient, auth_headers: AuthHeaders) -> None:
        response = client.post(
            api_path("import_documents"), json=_body(), headers=auth_headers(Role.shopper)
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
