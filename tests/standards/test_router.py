import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.auth.roles import Role
from tests.conftest import AuthHeaders, FrozenClock
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path


@pytest.fixture
def headers(auth_headers: AuthHeaders) -> dict[str, str]:
    return auth_headers(Role.shopper)


@pytest.fixture
def admin(auth_headers: AuthHeaders) -> dict[str, str]:
    return auth_headers(Role.admin)


def codes(body: dict[str, Any]) -> list[str]:
    return [s["code"] for s in body["items"]]


class TestListServices:
    def test_lists_sixty(self, client: TestClient, headers: dict[str, str]) -> None:
        body = client.get(api_path("list_services") + "?limit=200", headers=headers).json()
        assert body["total"] == 60
        assert codes(body) == [f"S{n:02d}" for n in range(1, 61)]

    def test_every_service_but_s06_has_a_deadline(
        self, client: TestClient, headers: dict[str, str]
    ) -> None:
        items = client.get(api_path("list_services") + "?limit=200", headers=headers).json()[
            "items"
        ]
        assert [s["code"] for s in items if not s["deadlines"]] == ["S06"]

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("agency=НБ", ["S26", "S27"]),
            ("agency=МО", ["S06", "S07"]),
            ("level=central", [f"S{n:02d}" for n in range(1, 38)]),
            ("level=local", [f"S{n:02d}" for n in range(38, 61)]),
            ("channel=elicense_portal", ["S23", "S24", "S25", "S29", "S38", "S59"]),
            ("channel=other&level=local", ["S55"]),
            ("agency=НБ&channel=egov_portal", ["S27"]),
            ("agency=nobody", []),
        ],
    )
    def test_filters(
        self, client: TestClient, headers: dict[str, str], query: str, expected: list[str]
    ) -> None:
        body = client.get(api_path("list_services") + f"?limit=200&{query}", headers=headers).json()
        assert codes(body) == expected
        assert body["total"] == len(expected)

    def test_paging(self, client: TestClient, headers: dict[str, str]) -> None:
        page = client.get(api_path("list_services") + "?limit=10&offset=55", headers=headers).json()
        assert codes(page) == ["S56", "S57", "S58", "S59", "S60"]
        assert page["total"] == 60

    @pytest.mark.parametrize(
        "query", ["level=federal", "channel=fax", "on=yesterday", "agency=" + "x" * 33]
    )
    def test_bad_filter_is_422(
        self, client: TestClient, headers: dict[str, str], query: str
    ) -> None:
        response = client.get(api_path("list_services") + f"?{query}", headers=headers)
        assert response.status_code == 422
        assert response.json()["code"] == "validation-failed"

    def test_before_any_standard_lists_nothing(
        self, client: TestClient, headers: dict[str, str]
    ) -> None:
        assert (
            client.get(api_path("list_services") + "?on=2017-12-31", headers=headers).json()[
                "total"
            ]
            == 0
        )


class TestReadService:
    def test_s26(self, client: TestClient, headers: dict[str, str]) -> None:
        body = client.get(api_path("read_service", code="S26"), headers=headers).json()
        assert body["code"] == "S26"
        assert body["agency"]["abbr"] == "НБ"
        assert [(d["amount"], d["unit"]) for d in body["deadlines"]] == [(7, "working_days")]
        # The standard states no queue norm (issue 16, item 4): the programme's apply instead.
        assert body["queue"] == {
            "max_wait_minutes": None,
            "max_service_minutes": None,
            "line": None,
        }
        assert body["cost"]["payment"] == "free"
        assert body["version"] == 1
        assert len(body["content_hash"]) == 64

    def test_s17_has_four_cases(self, client: TestClient, headers: dict[str, str]) -> None:
        body = client.get(api_path("read_service", code="S17"), headers=headers).json()
        assert [(d["case_ru"], d["amount"]) for d in body["deadlines"]] == [
            ("юридические лица", 30),
            ("физические лица", 10),
            (body["deadlines"][2]["case_ru"], 20),
            (body["deadlines"][3]["case_ru"], 15),
        ]

    def test_s33_documents(self, client: TestClient, headers: dict[str, str]) -> None:
        body = client.get(api_path("read_service", code="S33"), headers=headers).json()
        # Line 2966 is the authors' summary, not the standard: no list until one is loaded.
        assert body["documents"] == []
        assert "строка 2966" in body["documents_note_ru"]

    @pytest.mark.parametrize(
        ("path", "status", "code"),
        [("S99", 404, "service-not-found"), ("S00", 422, "validation-failed"),
         ("26", 422, "validation-failed")],
    )  # fmt: skip
    def test_unknown_or_malformed_code(
        self, client: TestClient, headers: dict[str, str], path: str, status: int, code: str
    ) -> None:
        response = client.get(api_path("read_service", code=path), headers=headers)
        assert_problem(response, status, code)

    def test_not_in_force_yet(self, client: TestClient, headers: dict[str, str]) -> None:
        response = client.get(
            api_path("read_service", code="S26") + "?on=2010-01-01", headers=headers
        )
        assert response.status_code == 404
        assert response.json()["code"] == "standard-not-in-force"


def s26(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    body = client.get(api_path("read_service", code="S26"), headers=headers).json()
    keep = {
        "effective_from",
        "name_ru",
        "name_en",
        "agency",
        "level",
        "channels",
        "deadlines",
        "documents",
        "cost",
        "queue",
        "result_ru",
        "source",
    }
    return {k: copy.deepcopy(v) for k, v in body.items() if k in keep}


class TestPutStandard:
    def test_new_version_applies_from_its_date(
        self, client: TestClient, admin: dict[str, str], clock: FrozenClock
    ) -> None:
        body = s26(client, admin) | {"effective_from": "2026-04-01"}
        body["deadlines"][0]["amount"] = 5
        response = client.put(
            api_path("put_service_standard", code="S26"), json=body, headers=admin
        )
        assert response.status_code == 201
        assert response.json()["version"] == 2
        assert [v["version"] for v in response.json()["versions"]] == [1, 2]
        # Today (2026-03-18) the old version is still in force; from April the new one.
        before = client.get(api_path("read_service", code="S26"), headers=admin).json()
        after = client.get(
            api_path("read_service", code="S26") + "?on=2026-04-01", headers=admin
        ).json()
        assert (before["version"], before["deadlines"][0]["amount"]) == (1, 7)
        assert (after["version"], after["deadlines"][0]["amount"]) == (2, 5)
        listed = client.get(
            api_path("list_services") + "?agency=НБ&on=2026-05-01", headers=admin
        ).json()
        assert [(s["code"], s["version"]) for s in listed["items"]] == [("S26", 2), ("S27", 1)]

    def test_stages_extensions_and_minimum_terms_are_accepted(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        body = s26(client, admin) | {"effective_from": "2026-04-01"}
        body["deadlines"] = [
            {"case_ru": "1 этап", "amount": 28, "unit": "working_days"},
            {"case_ru": "2 этап", "amount": 22, "unit": "working_days", "stage": True},
            {"case_ru": "продлевается не более чем на", "amount": 1, "unit": "months",
             "extension": True},
            {"case_ru": "не ранее", "amount": 1, "unit": "calendar_days", "bound": "min",
             "upper": "applicant_choice"},
        ]  # fmt: skip
        response = client.put(
            api_path("put_service_standard", code="S26"), json=body, headers=admin
        )
        assert response.status_code == 201, response.text
        after = client.get(
            api_path("read_service", code="S26") + "?on=2026-04-01", headers=admin
        ).json()
        stored = [
            (d["amount"], d["stage"], d["extension"], d["bound"], d["upper"])
            for d in after["deadlines"]
        ]
        assert stored == [
            (28, False, False, None, None),
            (22, True, False, None, None),
            (1, False, True, None, None),
            (1, False, False, "min", "applicant_choice"),
        ]

    def test_same_content_again_is_a_no_op(self, client: TestClient, admin: dict[str, str]) -> None:
        body = s26(client, admin) | {"effective_from": "2026-04-01"}
        first = client.put(api_path("put_service_standard", code="S26"), json=body, headers=admin)
        again = client.put(api_path("put_service_standard", code="S26"), json=body, headers=admin)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["version"] == first.json()["version"]

    def test_published_version_is_immutable(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        body = s26(client, admin)
        body["deadlines"][0]["amount"] = 3
        response = client.put(
            api_path("put_service_standard", code="S26"), json=body, headers=admin
        )
        assert response.status_code == 409
        assert response.json()["code"] == "standard-version-exists"
        unchanged = client.get(api_path("read_service", code="S26"), headers=admin).json()
        assert unchanged["deadlines"][0]["amount"] == 7

    def test_new_service(self, client: TestClient, admin: dict[str, str]) -> None:
        body = s26(client, admin) | {"name_ru": "Новая услуга"}
        response = client.put(
            api_path("put_service_standard", code="S61"), json=body, headers=admin
        )
        assert response.status_code == 201
        assert response.json()["section_no"] == 61
        total = client.get(api_path("list_services"), headers=admin).json()["total"]
        assert total == 61

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("deadlines", [{"amount": 5, "unit": "weeks"}]),
            ("deadlines", [{"amount": -1, "unit": "working_days"}]),
            ("deadlines", [{"amount": 5, "unit": "working_days", "stage": True}]),
            ("deadlines", [{"amount": 5, "unit": "working_days", "extension": True}]),
            ("deadlines", [{"amount": 5, "unit": "working_days", "optional": True}]),
            ("deadlines", [{"amount": 5, "unit": "working_days", "upper": "applicant_choice"}]),
            (
                "deadlines",
                [
                    {"amount": 5, "unit": "working_days"},
                    {"amount": 5, "unit": "working_days", "extension": True, "bound": "max"},
                ],
            ),
            ("channels", []),
            ("name_ru", ""),
            ("effective_from", "2026-02-30"),
            ("queue", {"max_wait_minutes": 0}),
        ],
    )
    def test_invalid_body_is_422_and_stores_nothing(
        self, client: TestClient, admin: dict[str, str], field: str, value: object
    ) -> None:
        body = s26(client, admin) | {"effective_from": "2026-04-01", field: value}
        response = client.put(
            api_path("put_service_standard", code="S26"), json=body, headers=admin
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"][:2] == ["body", field]
        versions = client.get(api_path("read_service", code="S26"), headers=admin).json()[
            "versions"
        ]
        assert len(versions) == 1
