import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.auth.roles import Role
from tests.conftest import AuthHeaders
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path

OFFICE = {
    "name": "ЦОН Алматинского района",
    "kind": "con",
    "region": "astana",
    "city": "Астана",
    "address": "ул. Бейбитшилик, 10",
    "latitude": 51.17,
    "longitude": 71.45,
    "services": ["S26", "S33"],
}


class TestCreateOffice:
    def test_coordinator_creates(self, client: TestClient, auth_headers: AuthHeaders) -> None:
        response = client.post(
            api_path("create_office"), json=OFFICE, headers=auth_headers(Role.coordinator)
        )
        assert response.status_code == 201
        assert response.json()["services"] == ["S26", "S33"]

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("kind", "bank"),
            ("region", "moscow"),
            ("latitude", 10.0),
            ("longitude", 120.0),
            ("services", ["S26", "S26"]),
            ("services", ["26"]),
            ("name", ""),
            # SQLite would store a NUL that PostgreSQL refuses: both refuse it as input.
            ("name", "ЦОН\x00"),
            ("address", "ул. Абая\x0b1"),
        ],
    )
    def test_invalid_is_422(
        self, client: TestClient, auth_headers: AuthHeaders, field: str, value: Any
    ) -> None:
        body = OFFICE | {field: value}
        response = client.post(
            api_path("create_office"), json=body, headers=auth_headers(Role.admin)
        )
        assert_problem(response, 422, "validation-failed", field=field)

    def test_unknown_service_is_404(self, client: TestClient, auth_headers: AuthHeaders) -> None:
        body = OFFICE | {"services": ["S99"]}
        response = client.post(
            api_path("create_office"), json=body, headers=auth_headers(Role.admin)
        )
        assert response.status_code == 404
        assert response.json()["code"] == "service-not-found"


class TestRetriedCreate:
    """With a client id, a create sent again answers the office it made and makes no other."""

    def test_a_retry_answers_the_same_office(
        self, client: TestClient, auth_headers: AuthHeaders
    ) -> None:
        staff = auth_headers(Role.coordinator)
        body = OFFICE | {"client_id": str(uuid.uuid4())}
        first = client.post(api_path("create_office"), json=body, headers=staff)
        again = client.post(api_path("create_office"), json=body, headers=staff)

        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        listed = client.get(api_path("list_offices"), params={"limit": 500}, headers=staff).json()
        named = [o["id"] for o in listed["items"] if o["name"] == OFFICE["name"]]
        assert named == [first.json()["id"]]

    def test_the_same_id_with_other_content_is_409(
        self, client: TestClient, auth_headers: AuthHeaders
    ) -> None:
        staff = auth_headers(Role.coordinator)
        key = str(uuid.uuid4())
        made = client.post(
            api_path("create_office"), json=OFFICE | {"client_id": key}, headers=staff
        )
        other = OFFICE | {"client_id": key, "services": ["S26"]}
        refused = client.post(api_path("create_office"), json=other, headers=staff)

        assert_problem(refused, 409, "office-conflict")
        assert key in refused.json()["detail"]
        assert str(made.json()["id"]) in refused.json()["detail"]

    def test_without_a_client_id_each_create_is_an_office(
        self, client: TestClient, auth_headers: AuthHeaders
    ) -> None:
        staff = auth_headers(Role.coordinator)
        ids = {
            client.post(api_path("create_office"), json=OFFICE, headers=staff).json()["id"]
            for _ in "ab"
        }
        assert len(ids) == 2


class TestListOffices:
    def test_filter_by_region(self, client: TestClient, auth_headers: AuthHeaders) -> None:
        admin = auth_headers(Role.admin)
        client.post(api_path("create_office"), json=OFFICE, headers=admin)
        client.post(api_path("create_office"), json=OFFICE | {"region": "shymkent"}, headers=admin)
        body = client.get(
            api_path("list_offices") + "?region=shymkent", headers=auth_headers(Role.shopper)
        ).json()
        assert [o["region"] for o in body["items"]] == ["shymkent"]

    def test_read_one_and_404(self, client: TestClient, auth_headers: AuthHeaders) -> None:
        admin = auth_headers(Role.admin)
        office_id = client.post(api_path("create_office"), json=OFFICE, headers=admin).json()["id"]
        assert (
            client.get(api_path("read_office", office_id=office_id), headers=admin).json()["name"]
            == OFFICE["name"]
        )
        missing = client.get(api_path("read_office", office_id=999999), headers=admin)
        assert missing.status_code == 404
        assert missing.json()["code"] == "office-not-found"


class TestUpdateOffice:
    def _office(self, client: TestClient, auth_headers: AuthHeaders) -> int:
        created = client.post(
            api_path("create_office"), json=OFFICE, headers=auth_headers(Role.admin)
        )
        office_id: int = created.json()["id"]
        return office_id

    def test_changes_only_the_fields_sent(
        self, client: TestClient, auth_headers: AuthHeaders
    ) -> None:
        office_id = self._office(client, auth_headers)
        response = client.patch(
            api_path("update_office", office_id=office_id),
            json={"name": "ЦОН №2", "services": ["S33"], "address": None},
            headers=auth_headers(Role.coordinator),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["name"], body["services"], body["address"]) == ("ЦОН №2", ["S33"], None)
        assert (body["city"], body["kind"]) == (OFFICE["city"], OFFICE["kind"])
        read = client.get(
            api_path("read_office", office_id=office_id), headers=auth_headers(Role.admin)
        )
        assert read.json() == body

    @pytest.mark.parametrize(
        ("field", "value"),
        [("name", None), ("kind", None), ("services", None), ("region", "moscow"), ("x", 1)],
    )
    def test_invalid_is_422(
        self, client: TestClient, auth_headers: AuthHeaders, field: str, value: Any
    ) -> None:
        office_id = self._office(client, auth_headers)
        response = client.patch(
            api_path("update_office", office_id=office_id),
            json={field: value},
            headers=auth_headers(Role.admin),
        )
        assert_problem(response, 422, "validation-failed", field=field)

    def test_unknown_service_changes_nothing(
        self, client: TestClient, auth_headers: AuthHeaders
    ) -> None:
        office_id = self._office(client, auth_headers)
        admin = auth_headers(Role.admin)
        response = client.patch(
            api_path("update_office", office_id=office_id),
            json={"name": "Другое", "services": ["S99"]},
            headers=admin,
        )
        assert response.status_code == 404
        assert response.json()["code"] == "service-not-found"
        read = client.get(api_path("read_office", office_id=office_id), headers=admin).json()
        assert (read["name"], read["services"]) == (OFFICE["name"], OFFICE["services"])

    @pytest.mark.parametrize("role", [Role.shopper, Role.analyst])
    def test_only_staff_edit(
        self, client: TestClient, auth_headers: AuthHeaders, role: Role
    ) -> None:
        office_id = self._office(client, auth_headers)
        response = client.patch(
            api_path("update_office", office_id=office_id),
            json={"name": "x"},
            headers=auth_headers(role),
        )
        assert_problem(response, 403, "forbidden")

    def test_unknown_office_is_404(self, client: TestClient, auth_headers: AuthHeaders) -> None:
        response = client.patch(
            api_path("update_office", office_id=999999),
            json={"name": "x"},
            headers=auth_headers(Role.admin),
        )
        assert response.json()["code"] == "office-not-found"
