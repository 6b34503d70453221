"""App tokens over the JSON API, and the QR code that sets Collect up (read back by zxing)."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import User
from service.auth.roles import Role
from service.config import Settings
from service.openrosa import repository, tokens
from tests.conftest import NOW, AuthHeaders
from tests.fixtures.qr import decode_qr
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user
from tests.openrosa.collect import Collect


def new(label: str | None = None, client_id: uuid.UUID | None = None) -> dict[str, Any]:
    """A create's body: a fresh client id unless one is given."""
    body: dict[str, Any] = {"client_id": str(client_id or uuid.uuid4())}
    if label is not None:
        body["label"] = label
    return body


class TestCreateAppToken:
    def test_shows_the_token_once_with_collects_server_url(
        self, client: TestClient, shopper: User, staff: dict[str, str]
    ) -> None:
        response = client.post(
            api_path("create_app_token", user_id=shopper.id),
            json=new("Samsung A14"),
            headers=staff,
        )

        assert response.status_code == 201
        body = response.json()
        assert body["label"] == "Samsung A14"
        assert body["user_id"] == str(shopper.id)
        assert body["revoked_at"] is None
        assert body["server_url"] == f"http://127.0.0.1/openrosa/key/{body['token']}"
        assert Collect(client, body["server_url"]).head_submission().status_code == 204
        listed = client.get(api_path("list_app_tokens", user_id=shopper.id), headers=staff).json()
        assert [t["id"] for t in listed["items"]] == [body["id"]]
        assert "token" not in listed["items"][0]

    def test_only_for_shoppers(
        self, client: TestClient, session: Session, staff: dict[str, str]
    ) -> None:
        analyst = make_user(session, Role.analyst)

        response = client.post(
            api_path("create_app_token", user_id=analyst.id), json=new(), headers=staff
        )

        assert response.status_code in (404, 422)
        assert response.headers["content-type"] == "application/problem+json"

    def test_a_shopper_cannot_make_tokens(
        self, client: TestClient, shopper: User, auth_headers: AuthHeaders
    ) -> None:
        response = client.post(
            api_path("create_app_token", user_id=shopper.id),
            json=new(),
            headers=auth_headers(Role.shopper),
        )

        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"

    def test_at_most_the_configured_number_are_active(
        self, client: TestClient, shopper: User, staff: dict[str, str]
    ) -> None:
        path = api_path("create_app_token", user_id=shopper.id)
        made = [client.post(path, json=new(), headers=staff).status_code for _ in range(6)]

        assert made == [201] * 5 + [409]
        refused = client.post(path, json=new(), headers=staff).json()
        assert refused["code"] == "too-many-app-tokens"
        assert "holds 5 active" in refused["detail"]


class TestConfiguredLimit:
    """``MSHOP_OPENROSA__MAX_APP_TOKENS_PER_USER`` sets how many a shopper holds at once."""

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        openrosa = settings.openrosa.model_copy(update={"max_app_tokens_per_user": 2})
        return settings.model_copy(update={"openrosa": openrosa})

    def test_the_configured_number_are_active_and_a_revoke_frees_one(
        self, client: TestClient, shopper: User, staff: dict[str, str]
    ) -> None:
        path = api_path("create_app_token", user_id=shopper.id)
        made = [client.post(path, json=new(), headers=staff) for _ in range(3)]

        assert [r.status_code for r in made] == [201, 201, 409]
        refused = made[2].json()
        assert refused["code"] == "too-many-app-tokens"
        assert "holds 2 active" in refused["detail"]
        assert "MSHOP_OPENROSA__MAX_APP_TOKENS_PER_USER" in refused["detail"]
        first = made[0].json()["id"]
        revoke = api_path("revoke_app_token", user_id=shopper.id, token_id=first)
        assert client.post(revoke, headers=staff).json()["revoked_at"] is not None
        assert client.post(path, json=new(), headers=staff).status_code == 201


class TestRetriedCreate:
    """A create carries a client id: its retry answers the same token and makes none."""

    def test_a_retry_answers_the_same_token_and_makes_no_second_one(
        self, client: TestClient, shopper: User, staff: dict[str, str]
    ) -> None:
        path = api_path("create_app_token", user_id=shopper.id)
        body = new("Samsung A14")

        first = client.post(path, json=body, headers=staff)
        again = client.post(path, json=body, headers=staff)

        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        assert again.json()["client_id"] == body["client_id"]
        listed = client.get(api_path("list_app_tokens", user_id=shopper.id), headers=staff).json()
        assert [t["id"] for t in listed["items"]] == [first.json()["id"]]
        assert Collect(client, again.json()["server_url"]).head_submission().status_code == 204

    def test_a_retry_is_not_counted_against_the_limit(
        self, client: TestClient, shopper: User, staff: dict[str, str]
    ) -> None:
        path = api_path("create_app_token", user_id=shopper.id)
        bodies = [new() for _ in range(5)]
        assert [client.post(path, json=b, headers=staff).status_code for b in bodies] == [201] * 5

        again = client.post(path, json=bodies[-1], headers=staff)

        assert again.status_code == 200, again.text

    def test_a_retried_qr_code_is_the_same_code(
        self, client: TestClient, shopper: User, staff: dict[str, str]
    ) -> None:
        path = api_path("create_app_token_qr", user_id=shopper.id)
        body = new("phone")

        first = client.post(path, json=body, headers=staff)
        again = client.post(path, json=body, headers=staff)

        assert (first.status_code, again.status_code) == (201, 200)
        assert again.content == first.content
        assert again.headers["x-app-token-id"] == first.headers["x-app-token-id"]

    @pytest.mark.parametrize("change", ["label", "shopper"])
    def test_the_same_client_id_with_other_content_is_409(
        self,
        client: TestClient,
        session: Session,
        shopper: User,
        staff: dict[str, str],
        change: str,
    ) -> None:
        body = new("phone")
        client.post(api_path("create_app_token", user_id=shopper.id), json=body, headers=staff)
        user = make_user(session, Role.shopper) if change == "shopper" else shopper
        other = {**body, "label": "another phone"} if change == "label" else body

        response = client.post(
            api_path("create_app_token", user_id=user.id), json=other, headers=staff
        )

        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "app-token-conflict"
        assert len(repository.list_tokens(session, user.id)) == (change == "label")

    def test_a_retry_of_a_revoked_token_is_409(
        self, client: TestClient, shopper: User, staff: dict[str, str]
    ) -> None:
        path = api_path("create_app_token", user_id=shopper.id)
        body = new()
        made = client.post(path, json=body, headers=staff).json()
        client.post(
            api_path("revoke_app_token", user_id=shopper.id, token_id=made["id"]), headers=staff
        )

        response = client.post(path, json=body, headers=staff)

        assert response.status_code == 409
        assert response.json()["code"] == "app-token-conflict"

    def test_a_create_without_a_client_id_is_refused(
        self, client: TestClient, shopper: User, staff: dict[str, str]
    ) -> None:
        response = client.post(
            api_path("create_app_token", user_id=shopper.id), json={"label": "x"}, headers=staff
        )

        assert response.status_code == 422
        assert response.json()["code"] == "validation-failed"

    def test_no_token_is_kept_only_its_hash(
        self, session: Session, shopper: User, coordinator: User
    ) -> None:
        client_id = uuid.uuid4()
        kw: dict[str, Any] = {"client_id": client_id, "label": "phone", "now": NOW, "limit": 5}
        row, token, created = tokens.create(session, shopper, coordinator, key=b"k1", **kw)

        stored = [str(v) for v in row.model_dump().values()]
        assert created
        assert token not in stored
        assert row.token_hash == tokens.hash_token(token)
        # Under another server key the token cannot be made again: never a different one.
        with pytest.raises(tokens.AppTokenConflict):
            tokens.create(session, shopper, coordinator, key=b"k2", **kw)
        assert tokens.create(session, shopper, coordinator, key=b"k1", **kw) == (
            row,
            token,
            False,
        )


class TestRevokeAppToken:
    def test_the_phone_is_refused_at_once(
        self, client: TestClient, shopper: User, staff: dict[str, str]
    ) -> None:
        made = client.post(
            api_path("create_app_token", user_id=shopper.id), json=new(), headers=staff
        ).json()
        phone = Collect(client, made["server_url"])
        assert phone.head_submission().status_code == 204

        revoked = client.post(
            api_path("revoke_app_token", user_id=shopper.id, token_id=made["id"]), headers=staff
        )

        assert revoked.status_code == 200
        assert revoked.json()["revoked_at"] == "2026-03-18T09:30:00Z"
        assert phone.head_submission().status_code == 403

    def test_another_users_token_is_not_found(
        self, client: TestClient, session: Session, shopper: User, staff: dict[str, str]
    ) -> None:
        other = make_user(session, Role.shopper)
        made = client.post(
            api_path("create_app_token", user_id=other.id), json=new(), headers=staff
        ).json()

        response = client.post(
            api_path("revoke_app_token", user_id=shopper.id, token_id=made["id"]), headers=staff
        )

        assert response.status_code == 404
        assert response.json()["code"] == "app-token-not-found"


class TestQrCode:
    def test_decodes_to_collects_settings_with_a_working_token(
        self, client: TestClient, shopper: User, staff: dict[str, str]
    ) -> None:
        response = client.post(
            api_path("create_app_token_qr", user_id=shopper.id),
            json=new("phone"),
            headers=staff,
        )

        assert response.status_code == 201
        assert response.headers["content-type"] == "image/png"
        assert response.headers["cache-control"] == "no-store"
        settings = decode_qr(response.content)
        url = settings["general"]["server_url"]
        assert url.startswith("http://127.0.0.1/openrosa/key/")
        assert settings["general"]["form_update_mode"] == "match_exactly"
        assert settings["general"]["autosend"] == "wifi_and_cellular"
        assert settings["admin"] == {"change_server": False}
        assert settings["project"]["name"] == f"mshop: {shopper.full_name}"
        assert Collect(client, url).head_submission().status_code == 204
        listed = client.get(api_path("list_app_tokens", user_id=shopper.id), headers=staff).json()
        assert [t["id"] for t in listed["items"]] == [response.headers["x-app-token-id"]]
        token = url.rsplit("/", 1)[1]
        assert tokens.hash_token(token) != token
