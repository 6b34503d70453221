"""Every error status leaves the API as application/problem+json with a stable code."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.roles import Role
from tests.conftest import AuthHeaders
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert PROBLEM_KEYS <= body.keys()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(f"/problems/{code}")
    assert body["title"]
    assert body["detail"]
    return body


class TestProblemShape:
    def test_401(self, client: TestClient) -> None:
        assert_problem(client.get(api_path("read_me")), 401, "not-authenticated")

    def test_403(self, client: TestClient, auth_headers: AuthHeaders) -> None:
        assert_problem(
            client.get(api_path("list_users"), headers=auth_headers(Role.shopper)), 403, "forbidden"
        )

    def test_404_unknown_path(self, client: TestClient) -> None:
        body = assert_problem(client.get("/api/v1/no-such-thing"), 404, "not-found")
        assert body["instance"] == "/api/v1/no-such-thing"

    def test_404_domain(self, client: TestClient, auth_headers: AuthHeaders) -> None:
        response = client.get(
            api_path("read_service", code="S99"), headers=auth_headers(Role.shopper)
        )
        assert_problem(response, 404, "service-not-found")

    def test_405(self, client: TestClient) -> None:
        assert_problem(client.delete(api_path("read_me")), 405, "method-not-allowed")

    def test_409(self, client: TestClient, session: Session, auth_headers: AuthHeaders) -> None:
        user = make_user(session, Role.shopper)
        body = {"email": user.email, "full_name": "X", "role": "shopper", "password": "12345678"}
        response = client.post(api_path("create_user"), json=body, headers=auth_headers(Role.admin))
        assert_problem(response, 409, "user-exists")

    def test_413(self, client: TestClient, auth_headers: AuthHeaders) -> None:
        big = b'{"refresh_token": "' + b"a" * 2_000_000 + b'"}'
        response = client.post(
            api_path("refresh_tokens"), content=big, headers={"content-type": "application/json"}
        )
        assert_problem(response, 413, "payload-too-large")
        assert response.json()["title"] == "Payload too large"

    def test_413_without_content_length(self, client: TestClient) -> None:
        def chunks() -> Iterator[bytes]:
            for _ in range(40):
                yield b"a" * 65_536

        response = client.post(
            api_path("refresh_tokens"),
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        assert_problem(response, 413, "payload-too-large")
        # Counted while read, past the guard: titled as the guard's refusal is.
        assert response.json()["title"] == "Payload too large"

    @pytest.mark.parametrize("content_type", ["text/plain", "application/xml", None])
    def test_415(self, client: TestClient, content_type: str | None) -> None:
        headers = {"content-type": content_type} if content_type else {}
        response = client.post(
            api_path("refresh_tokens"), content=b"refresh_token", headers=headers
        )
        assert_problem(response, 415, "unsupported-media-type")

    def test_422_names_the_field(self, client: TestClient) -> None:
        body = assert_problem(
            client.post(api_path("refresh_tokens"), json={}), 422, "validation-failed"
        )
        assert body["errors"][0]["loc"] == ["body", "refresh_token"]
        assert "refresh_token" in body["detail"]

    def test_422_broken_json(self, client: TestClient) -> None:
        response = client.post(
            api_path("refresh_tokens"),
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        assert_problem(response, 422, "validation-failed")

    def test_429(self, client: TestClient) -> None:
        for _ in range(5):
            client.post(api_path("login"), data={"username": "x@y.kz", "password": "wrong-pw"})
        response = client.post(
            api_path("login"), data={"username": "x@y.kz", "password": "wrong-pw"}
        )
        assert_problem(response, 429, "too-many-requests")
        assert int(response.headers["Retry-After"]) > 0
