"""Accounts and app tokens as a browser would use them (refusals: test_refusals.py)."""

import base64
import re
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, select

from service.auth.models import User
from service.auth.roles import Role
from service.console.session import CSRF_FIELD
from service.openrosa import tokens
from service.openrosa.models import AppToken
from tests.console.helpers import csrf_of, signed_in
from tests.fixtures.qr import decode_qr
from tests.fixtures.routes import api_path
from tests.fixtures.users import PASSWORD, make_user
from tests.openrosa.collect import Collect

QR_IMAGE = re.compile(r'id="app-token-qr" src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def shown_qr(html: str) -> bytes:
    found = QR_IMAGE.search(html)
    assert found is not None, "the page shows the QR code"
    return base64.b64decode(found.group(1))


CLIENT_ID = re.compile(r'name="client_id" value="([^"]+)"')


def post(client: TestClient, page_path: str, action: str, **data: str) -> Response:
    """Post a form of ``page_path`` to ``action`` with the page's token (and its client id,
    where it has one), as a browser does."""
    shown = client.get(page_path)
    hidden = {"client_id": found[1]} if (found := CLIENT_ID.search(shown.text)) else {}
    return client.post(action, data={**hidden, **data, CSRF_FIELD: csrf_of(shown)})


def reread(session: Session, row: Any) -> Any:
    session.expire_all()
    return session.get(type(row), row.id)


class TestAccounts:
    def test_a_coordinator_sees_shoppers_only(self, client: TestClient, session: Session) -> None:
        shopper = make_user(session, Role.shopper)
        analyst = make_user(session, Role.analyst)
        signed_in(client, session, Role.coordinator)
        page = client.get("/console/accounts")
        assert page.status_code == 200
        assert shopper.email in page.text
        assert analyst.email not in page.text
        # The new-account form offers only the roles the API lets a coordinator create.
        assert re.findall(
            r'<option value="(\w+)"[^>]*>[^<]*</option>',
            page.text.split('id="n-role"')[1].split("</select>")[0],
        ) == ["shopper"]

    def test_a_coordinator_creates_a_shopper(self, client: TestClient, session: Session) -> None:
        signed_in(client, session, Role.coordinator)
        response = post(
            client,
            "/console/accounts",
            "/console/accounts",
            email="new.shopper@example.kz",
            full_name="Айгерім Сейітова",
            phone="+7 701 000 00 00",
            role="shopper",
            password="long-enough-1",
        )
        assert response.status_code == 200
        assert "Создано." in response.text
        user = session.exec(select(User).where(User.email == "new.shopper@example.kz")).one()
        assert (user.role, user.full_name, user.is_active) == ("shopper", "Айгерім Сейітова", True)

    def test_a_form_sent_twice_makes_one_account(
        self, client: TestClient, session: Session
    ) -> None:
        signed_in(client, session, Role.coordinator)
        shown = client.get("/console/accounts")
        found = CLIENT_ID.search(shown.text)
        assert found is not None  # the new-account form carries its key
        form = {
            "client_id": found[1],
            "email": "twice@example.kz",
            "full_name": "Дана Омарова",
            "role": "shopper",
            "password": "long-enough-1",
            CSRF_FIELD: csrf_of(shown),
        }
        first = client.post("/console/accounts", data=form)
        second = client.post("/console/accounts", data=form)
        assert "Создано." in first.text
        assert "Создано." in second.text  # the same account, its page again
        made = session.exec(select(User).where(User.email == "twice@example.kz")).all()
        assert len(made) == 1
        other = client.post("/console/accounts", data=form | {"full_name": "Другое имя"})
        assert "Эта форма уже отправлена с другими данными" in other.text

    def test_a_short_password_is_shown_and_nothing_created(
        self, client: TestClient, session: Session
    ) -> None:
        signed_in(client, session, Role.admin)
        response = post(
            client,
            "/console/accounts",
            "/console/accounts",
            email="short@example.kz",
            full_name="X",
            role="analyst",
            password="short",
        )
        assert "Пароль слишком короткий." in response.text
        assert session.exec(select(User).where(User.email == "short@example.kz")).first() is None

    def test_an_admin_deactivates_a_coordinator_whose_session_ends(
        self, app: FastAPI, client: TestClient, session: Session
    ) -> None:
        coordinator = make_user(session, Role.coordinator)
        with TestClient(app, base_url="http://127.0.0.1") as other:
            from tests.console.helpers import sign_in

            sign_in(other, coordinator)
            assert other.get("/console/visits").status_code == 200
            signed_in(client, session, Role.admin)
            here = f"/console/accounts/{coordinator.id}"
            response = post(client, here, f"{here}/active", active="false")
            assert "Учётная запись отключена." in response.text
            assert reread(session, coordinator).is_active is False
            assert other.get("/console/visits", follow_redirects=False).status_code == 303

    def test_reset_password_lets_the_new_one_in(self, client: TestClient, session: Session) -> None:
        shopper = make_user(session, Role.shopper)
        signed_in(client, session, Role.coordinator)
        here = f"/console/accounts/{shopper.id}"
        response = post(client, here, f"{here}/password", new_password="brand-new-pass")
        assert "Пароль задан" in response.text
        login = {"username": shopper.email, "password": "brand-new-pass"}
        assert client.post(api_path("login"), data=login).status_code == 200
        old = {"username": shopper.email, "password": PASSWORD}
        assert client.post(api_path("login"), data=old).status_code == 401

    @pytest.mark.parametrize(
        ("whose", "password", "message"),
        [
            ("shopper", "", "Пароль слишком короткий."),
            ("shopper", "short", "Пароль слишком короткий."),
            ("own", "brand-new-pass", "Свой пароль здесь сменить нельзя"),
        ],
    )
    def test_a_refused_password_changes_nothing(
        self, client: TestClient, session: Session, whose: str, password: str, message: str
    ) -> None:
        admin = signed_in(client, session, Role.admin)
        account = admin if whose == "own" else make_user(session, Role.shopper)
        before = (account.hashed_password, account.token_version)
        here = f"/console/accounts/{account.id}"
        response = post(client, here, f"{here}/password", new_password=password)
        assert message in response.text
        account = reread(session, account)
        assert (account.hashed_password, account.token_version) == before

    def test_unlock_forgets_the_failed_logins(
        self, app: FastAPI, client: TestClient, session: Session
    ) -> None:
        shopper = make_user(session, Role.shopper)
        wrong = {"username": shopper.email, "password": "wrong-password"}
        for _ in range(app.state.settings.auth.login_max_failures):
            client.post(api_path("login"), data=wrong)
        right = {"username": shopper.email, "password": PASSWORD}
        assert client.post(api_path("login"), data=right).status_code == 429
        signed_in(client, session, Role.coordinator)
        here = f"/console/accounts/{shopper.id}"
        response = post(client, here, f"{here}/unlock")
        assert "снова войти" in response.text
        assert client.post(api_path("login"), data=right).status_code == 200


class TestAppTokens:
    def test_the_qr_code_shown_sets_up_collect_with_a_working_token(
        self, client: TestClient, session: Session
    ) -> None:
        shopper = make_user(session, Role.shopper)
        signed_in(client, session, Role.coordinator)
        here = f"/console/accounts/{shopper.id}"
        response = post(client, here, f"{here}/app-tokens", label="Samsung A15")
        assert response.status_code == 201
        settings = decode_qr(shown_qr(response.text))
        url = settings["general"]["server_url"]
        assert url.startswith("http://127.0.0.1/openrosa/key/")
        assert settings["project"]["name"] == f"mshop: {shopper.full_name}"
        assert Collect(client, url).head_submission().status_code == 204
        row = session.exec(select(AppToken).where(AppToken.user_id == shopper.id)).one()
        assert row.token_hash == tokens.hash_token(url.rsplit("/", 1)[1])
        listed = client.get(here)
        assert "Samsung A15" in listed.text
        # The token itself is never on the account's page, only its label.
        assert url.rsplit("/", 1)[1] not in listed.text

    def test_the_same_form_sent_twice_shows_the_same_token(
        self, client: TestClient, session: Session
    ) -> None:
        shopper = make_user(session, Role.shopper)
        signed_in(client, session, Role.coordinator)
        here = f"/console/accounts/{shopper.id}"
        shown = client.get(here)
        found = CLIENT_ID.search(shown.text)
        assert found is not None
        form = {"client_id": found[1], "label": "Redmi", CSRF_FIELD: csrf_of(shown)}
        first = client.post(f"{here}/app-tokens", data=form)
        again = client.post(f"{here}/app-tokens", data=form)  # a double click, a resend
        assert (first.status_code, again.status_code) == (201, 201)
        assert decode_qr(shown_qr(again.text)) == decode_qr(shown_qr(first.text))
        rows = session.exec(select(AppToken).where(AppToken.user_id == shopper.id)).all()
        assert [r.label for r in rows] == ["Redmi"]

    def test_revoke_stops_the_phone(self, client: TestClient, session: Session) -> None:
        shopper = make_user(session, Role.shopper)
        signed_in(client, session, Role.coordinator)
        here = f"/console/accounts/{shopper.id}"
        url = decode_qr(shown_qr(post(client, here, f"{here}/app-tokens").text))["general"][
            "server_url"
        ]
        row = session.exec(select(AppToken).where(AppToken.user_id == shopper.id)).one()
        response = post(client, here, f"{here}/app-tokens/{row.id}/revoke")
        assert "Токен приложения отозван." in response.text
        assert reread(session, row).revoked_at is not None
        assert Collect(client, url).head_submission().status_code == 403

    def test_no_tokens_for_staff(self, client: TestClient, session: Session) -> None:
        analyst = make_user(session, Role.analyst)
        signed_in(client, session, Role.admin)
        here = f"/console/accounts/{analyst.id}"
        # A staff account's page has no token form: this is a crafted post.
        response = post(client, here, f"{here}/app-tokens", client_id=str(uuid.uuid4()))
        assert "только для активных тайных покупателей" in response.text
        assert session.exec(select(AppToken).where(AppToken.user_id == analyst.id)).all() == []
