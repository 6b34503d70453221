"""App tokens over the JSON API, and the QR code that sets Collect up (read back by zxing)."""

import base64
import io
import json
import zlib

import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session

from service.auth.models import User
from service.auth.roles import Role
from service.openrosa import tokens
from tests.conftest import AuthHeaders
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user
from tests.openrosa.collect import Collect


class TestCreateAppToken:
    def test_shows_the_token_once_with_collects_server_url(
        self, client: TestClient, shopper: User, staff: dict[str, str]
    ) -> None:
        response = client.post(
            api_path("create_app_token", user_id=shopper.id),
            json={"label": "Samsung A14"},
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
            api_path("create_app_token", user_id=analyst.id), json={}, headers=staff
        )

        assert response.status_code in (404, 422)
        assert response.headers["content-type"] == "application/problem+json"

    def test_a_shopper_cannot_make_tokens(
        self, client: TestClient, shopper: User, auth_headers: AuthHeaders
    ) -> None:
        response = client.post(
            api_path("create_app_token", user_id=shopper.id),
            json={},
            headers=auth_headers(Role.shopper),
        )

        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"

    def test_at_most_the_configured_number_are_active(
        self, client: TestClient, shopper: User, staff: dict[str, str]
    ) -> None:
        path = api_path("create_app_token", user_id=shopper.id)
        made = [client.post(path, json={}, headers=staff).status_code for _ in range(6)]

        assert made == [201] * 5 + [409]
        refused = client.post(path, json={}, headers=staff).json()
        assert refused["code"] == "too-many-app-tokens"


class TestRevokeAppToken:
    def test_the_phone_is_refused_at_once(
        self, client: TestClient, shopper: User, staff: dict[str, str]
    ) -> None:
        made = client.post(
            api_path("create_app_token", user_id=shopper.id), json={}, headers=staff
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
            api_path("create_app_token", user_id=other.id), json={}, headers=staff
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
            json={"label": "phone"},
            headers=staff,
        )

        assert response.status_code == 201
        assert response.headers["content-type"] == "image/png"
        assert response.headers["cache-control"] == "no-store"
        (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))
        assert found.format == zxingcpp.BarcodeFormat.QRCode
        settings = json.loads(zlib.decompress(base64.b64decode(found.text)))
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
