import datetime as dt
import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from service.auth import repository as auth_repository
from service.auth import security
from service.auth.models import User
from service.auth.roles import Role
from service.auth.security import encode_token
from service.auth.service import get_user_by_email
from tests.conftest import SECRET, AuthHeaders, FrozenClock
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.fixtures.users import PASSWORD, make_user


def login(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    return client.post(api_path("login"), data={"username": email, "password": password})


def me(client: TestClient, tokens: Response) -> Response:
    """``/me`` read with the access token of a login or refresh response."""
    token = tokens.json()["access_token"]
    response = client.get(api_path("read_me"), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response


class TestLogin:
    def test_returns_a_token_pair(self, client: TestClient, session: Session) -> None:
        user = make_user(session, Role.shopper)
        response = login(client, user.email)
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 30 * 60
        me = client.get(
            api_path("read_me"), headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert me.json()["email"] == user.email

    def test_email_is_case_insensitive(self, client: TestClient, session: Session) -> None:
        user = make_user(session, Role.shopper)
        response = login(client, user.email.upper())
        assert response.status_code == 200
        assert me(client, response).json()["email"] == user.email

    @pytest.mark.parametrize(
        ("email", "password"),
        [("known", "wrong password"), ("nobody@example.kz", PASSWORD)],
        ids=["wrong-password", "unknown-email"],
    )
    def test_bad_credentials_share_one_answer(
        self, client: TestClient, session: Session, email: str, password: str
    ) -> None:
        user = make_user(session, Role.shopper)
        response = login(client, user.email if email == "known" else email, password)
        assert response.status_code == 401
        assert response.json()["code"] == "invalid-credentials"
        assert response.json()["detail"] == "Incorrect email or password."

    @pytest.mark.parametrize("password", [PASSWORD, "wrong password"], ids=["right", "wrong"])
    def test_a_disabled_account_answers_as_a_wrong_password(
        self,
        client: TestClient,
        session: Session,
        monkeypatch: pytest.MonkeyPatch,
        password: str,
    ) -> None:
        """Whatever the password, a disabled account's login is the wrong-password answer,
        after the same hashing: neither the answer nor its time says the password was right."""
        active = make_user(session, Role.shopper)
        disabled = make_user(session, Role.shopper, active=False)
        verified: list[str] = []
        hasher = security._hasher

        class CountingHasher:
            def verify(self, hashed: str, secret: str) -> bool:
                verified.append(hashed)
                return hasher.verify(hashed, secret)

        monkeypatch.setattr(security, "_hasher", CountingHasher())
        wrong = login(client, active.email, "wrong password")
        answer = login(client, disabled.email, password)
        headers = {k: v for k, v in answer.headers.items() if k != "x-request-id"}
        assert (answer.status_code, headers) == (
            wrong.status_code,
            {k: v for k, v in wrong.headers.items() if k != "x-request-id"},
        )
        assert answer.json() == wrong.json()
        assert answer.json() | {"instance": None} == {
            "type": "https://mshop.example/problems/invalid-credentials",
            "title": "Invalid credentials",
            "status": 401,
            "detail": "Incorrect email or password.",
            "code": "invalid-credentials",
            "instance": None,
        }
        # One argon2 verification each, against the account's real hash.
        assert verified == [active.hashed_password, disabled.hashed_password]

    def test_missing_form_field_is_422(self, client: TestClient) -> None:
        response = client.post(api_path("login"), data={"username": "a@b.kz"})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    def test_repeated_failures_get_429_per_account(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        user = make_user(session, Role.shopper)
        for _ in range(5):
            assert login(client, user.email, "wrong password").status_code == 401
        blocked = login(client, user.email)  # even the right password waits
        assert blocked.status_code == 429
        assert blocked.json()["code"] == "too-many-requests"
        assert 0 < int(blocked.headers["Retry-After"]) <= 900
        clock.advance(seconds=901)
        assert login(client, user.email).status_code == 200

    def test_repeated_failures_get_429_per_address(
        self, client: TestClient, session: Session
    ) -> None:
        for i in range(30):
            assert login(client, f"guess{i}@example.kz", "wrong password").status_code == 401
        user = make_user(session, Role.shopper)
        assert_problem(login(client, user.email), 429, "too-many-requests")

    def test_success_resets_the_account_window(self, client: TestClient, session: Session) -> None:
        user = make_user(session, Role.shopper)
        for _ in range(4):
            login(client, user.email, "wrong password")
        assert login(client, user.email).status_code == 200
        for _ in range(4):
            assert login(client, user.email, "wrong password").status_code == 401
        response = login(client, user.email)
        assert response.status_code == 200
        assert me(client, response).json()["email"] == user.email


class TestRefresh:
    def test_refresh_token_gives_a_new_pair(self, client: TestClient, session: Session) -> None:
        user = make_user(session, Role.coordinator)
        pair = login(client, user.email).json()
        response = client.post(
            api_path("refresh_tokens"), json={"refresh_token": pair["refresh_token"]}
        )
        assert response.status_code == 200
        assert response.json()["refresh_token"] != pair["refresh_token"]
        assert me(client, response).json()["email"] == user.email

    def test_access_token_is_not_a_refresh_token(
        self, client: TestClient, session: Session
    ) -> None:
        user = make_user(session, Role.coordinator)
        pair = login(client, user.email).json()
        response = client.post(
            api_path("refresh_tokens"), json={"refresh_token": pair["access_token"]}
        )
        assert response.status_code == 401
        assert response.json()["code"] == "invalid-token"

    def test_refresh_token_is_not_an_access_token(
        self, client: TestClient, session: Session
    ) -> None:
        user = make_user(session, Role.coordinator)
        pair = login(client, user.email).json()
        headers = {"Authorization": f"Bearer {pair['refresh_token']}"}
        assert client.get(api_path("read_me"), headers=headers).json()["code"] == "invalid-token"

    def test_expired_refresh_token(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        user = make_user(session, Role.coordinator)
        pair = login(client, user.email).json()
        clock.advance(days=31)
        response = client.post(
            api_path("refresh_tokens"), json={"refresh_token": pair["refresh_token"]}
        )
        assert response.status_code == 401
        assert response.json()["code"] == "token-expired"

    def test_disabled_user_cannot_refresh(self, client: TestClient, session: Session) -> None:
        user = make_user(session, Role.coordinator)
        pair = login(client, user.email).json()
        user.is_active = False
        session.flush()
        response = client.post(
            api_path("refresh_tokens"), json={"refresh_token": pair["refresh_token"]}
        )
        assert response.status_code == 401
        assert response.json()["code"] == "user-inactive"


class TestBadTokens:
    def _token(self, session: Session, now: dt.datetime, **kw: object) -> str:
        user = make_user(session, Role.shopper)
        args = {
            "subject": user.id,
            "token_type": "access",
            "secret": SECRET,
            "now": now,
            "ttl": dt.timedelta(minutes=30),
        } | kw
        return encode_token(**args)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("header", "code"),
        [
            (None, "not-authenticated"),
            ("Bearer", "not-authenticated"),
            ("Bearer not.a.jwt", "invalid-token"),
            ("Basic dXNlcjpwYXNz", "not-authenticated"),
        ],
    )
    def test_malformed_headers(self, client: TestClient, header: str | None, code: str) -> None:
        headers = {"Authorization": header} if header else {}
        response = client.get(api_path("read_me"), headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == code
        assert response.headers["WWW-Authenticate"] == "Bearer"

    def test_wrong_signature(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        token = self._token(session, clock(), secret="another-secret-" + "y" * 40)
        response = client.get(api_path("read_me"), headers={"Authorization": f"Bearer {token}"})
        assert response.json()["code"] == "invalid-token"

    def test_expired_access_token(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        token = self._token(session, clock())
        clock.advance(minutes=31)
        response = client.get(api_path("read_me"), headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.json()["code"] == "token-expired"

    def test_deleted_user(self, client: TestClient, session: Session, clock: FrozenClock) -> None:
        user = make_user(session, Role.shopper)
        token = self._token(session, clock(), subject=user.id)
        session.delete(user)
        session.flush()
        response = client.get(api_path("read_me"), headers={"Authorization": f"Bearer {token}"})
        assert response.json()["code"] == "invalid-token"


def new_user(role: str, email: str = "new.user@example.kz") -> dict[str, str]:
    return {"email": email, "full_name": "New User", "role": role, "password": "long enough pw"}


class TestCreateUser:
    @pytest.mark.parametrize("role", list(Role))
    def test_admin_creates_any_role(
        self, client: TestClient, auth_headers: AuthHeaders, role: Role
    ) -> None:
        response = client.post(
            api_path("create_user"), json=new_user(role), headers=auth_headers(Role.admin)
        )
        assert response.status_code == 201
        body = response.json()
        assert body["role"] == role
        assert "password" not in body
        assert "hashed_password" not in body

    def test_a_retry_with_its_client_id_answers_the_same_account(
        self, client: TestClient, session: Session, auth_headers: AuthHeaders
    ) -> None:
        staff = auth_headers(Role.coordinator)
        body = new_user("shopper") | {"client_id": str(uuid.uuid4())}
        first = client.post(api_path("create_user"), json=body, headers=staff)
        again = client.post(api_path("create_user"), json=body, headers=staff)

        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        user = get_user_by_email(session, "new.user@example.kz")
        assert user is not None
        assert str(user.client_id) == body["client_id"]

    @pytest.mark.parametrize(
        "change", [{"password": "another long pw"}, {"full_name": "Other Name"}]
    )
    def test_the_same_client_id_with_other_content_is_409(
        self, client: TestClient, auth_headers: AuthHeaders, change: dict[str, str]
    ) -> None:
        staff = auth_headers(Role.coordinator)
        body = new_user("shopper") | {"client_id": str(uuid.uuid4())}
        made = client.post(api_path("create_user"), json=body, headers=staff).json()
        refused = client.post(api_path("create_user"), json=body | change, headers=staff)

        assert refused.status_code == 409
        problem = refused.json()
        assert problem["code"] == "user-conflict"
        assert body["client_id"] in problem["detail"]
        assert made["id"] in problem["detail"]
        # The first password still signs in; the other was never set.
        assert login(client, "new.user@example.kz", "long enough pw").status_code == 200

    @pytest.mark.parametrize(
        ("change", "status"), [({}, 200), ({"email": "other.user@example.kz"}, 409)]
    )
    def test_a_client_id_won_in_a_race_answers_as_a_retry(
        self,
        client: TestClient,
        auth_headers: AuthHeaders,
        monkeypatch: pytest.MonkeyPatch,
        change: dict[str, str],
        status: int,
    ) -> None:
        staff = auth_headers(Role.coordinator)
        body = new_user("shopper") | {"client_id": str(uuid.uuid4())}
        first = client.post(api_path("create_user"), json=body, headers=staff).json()
        # The second request looked before the first was committed: only the unique keys
        # (the e-mail, or the client id) see it.
        looked = auth_repository.get_by_client_id
        calls: list[uuid.UUID] = []

        def late(session: Session, client_id: uuid.UUID) -> User | None:
            calls.append(client_id)
            return None if len(calls) == 1 else looked(session, client_id)

        monkeypatch.setattr(auth_repository, "get_by_client_id", late)
        raced = client.post(api_path("create_user"), json=body | change, headers=staff)

        assert raced.status_code == status, raced.text
        assert len(calls) == 2
        if status == 200:
            assert raced.json() == first
        else:
            assert raced.json()["code"] == "user-conflict"

    def test_without_a_client_id_a_second_create_is_user_exists(
        self, client: TestClient, auth_headers: AuthHeaders
    ) -> None:
        staff = auth_headers(Role.coordinator)
        client.post(api_path("create_user"), json=new_user("shopper"), headers=staff)
        again = client.post(api_path("create_user"), json=new_user("shopper"), headers=staff)
        assert again.status_code == 409
        assert again.json()["code"] == "user-exists"

    def test_created_user_can_log_in(self, client: TestClient, auth_headers: AuthHeaders) -> None:
        created = client.post(
            api_path("create_user"),
            json=new_user("shopper"),
            headers=auth_headers(Role.coordinator),
        )
        assert created.status_code == 201, created.text
        response = login(client, "new.user@example.kz", "long enough pw")
        assert response.status_code == 200
        assert me(client, response).json()["id"] == created.json()["id"]

    def test_the_password_is_stored_as_an_argon2id_hash(
        self, client: TestClient, session: Session, auth_headers: AuthHeaders
    ) -> None:
        created = client.post(
            api_path("create_user"),
            json=new_user("shopper"),
            headers=auth_headers(Role.coordinator),
        )
        assert created.status_code == 201, created.text
        user = get_user_by_email(session, "new.user@example.kz")
        assert user is not None
        stored = user.hashed_password
        # argon2id with a salt of its own: never the password, never the same hash twice.
        assert stored.startswith("$argon2id$v=19$")
        assert "long enough pw" not in stored
        assert stored != security.hash_password("long enough pw")
        assert security.verify_password("long enough pw", stored)
        assert not security.verify_password("long enough pW", stored)

    @pytest.mark.parametrize("role", ["coordinator", "analyst", "admin"])
    def test_coordinator_creates_shoppers_only(
        self, client: TestClient, auth_headers: AuthHeaders, role: str
    ) -> None:
        response = client.post(
            api_path("create_user"), json=new_user(role), headers=auth_headers(Role.coordinator)
        )
        assert response.status_code == 403
        assert response.json()["code"] == "role-not-grantable"

    def test_duplicate_email_is_409(self, client: TestClient, auth_headers: AuthHeaders) -> None:
        headers = auth_headers(Role.admin)
        assert (
            client.post(
                api_path("create_user"), json=new_user("shopper"), headers=headers
            ).status_code
            == 201
        )
        again = client.post(
            api_path("create_user"),
            json=new_user("shopper", "NEW.USER@example.kz"),
            headers=headers,
        )
        assert again.status_code == 409
        assert again.json()["code"] == "user-exists"

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("email", "not-an-email"),
            ("email", "a@" + "b" * 300 + ".kz"),
            ("password", "short"),
            ("password", "p" * 129),
            ("role", "superuser"),
            ("full_name", ""),
            ("phone", "call me"),
        ],
    )
    def test_invalid_fields_are_422(
        self, client: TestClient, auth_headers: AuthHeaders, field: str, value: str
    ) -> None:
        body = new_user("shopper") | {field: value}
        response = client.post(api_path("create_user"), json=body, headers=auth_headers(Role.admin))
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"][:2] == ["body", field]

    def test_short_password_is_its_own_problem(
        self, client: TestClient, session: Session, auth_headers: AuthHeaders
    ) -> None:
        body = new_user("shopper") | {"password": "seven77"}
        response = client.post(api_path("create_user"), json=body, headers=auth_headers(Role.admin))
        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "password-too-short"
        assert problem["detail"] == "A password needs at least 8 characters."
        assert problem["errors"][0]["loc"] == ["body", "password"]
        assert get_user_by_email(session, "new.user@example.kz") is None

    def test_minimum_length_is_a_setting(
        self, client: TestClient, app: FastAPI, auth_headers: AuthHeaders
    ) -> None:
        app.state.settings.auth.password_min_length = 16
        headers = auth_headers(Role.admin)
        body = new_user("shopper") | {"password": "fifteen chars!!"}
        refused = client.post(api_path("create_user"), json=body, headers=headers)
        assert refused.json()["detail"] == "A password needs at least 16 characters."
        body["password"] = "sixteen chars!!!"
        assert client.post(api_path("create_user"), json=body, headers=headers).status_code == 201

    def test_unknown_field_is_422(self, client: TestClient, auth_headers: AuthHeaders) -> None:
        body = new_user("shopper") | {"is_admin": True}
        response = client.post(api_path("create_user"), json=body, headers=auth_headers(Role.admin))
        assert_problem(response, 422, "validation-failed", field="is_admin")


class TestListUsers:
    def test_admin_sees_every_role(
        self, client: TestClient, session: Session, auth_headers: AuthHeaders
    ) -> None:
        headers = auth_headers(Role.admin)
        make_user(session, Role.analyst)
        make_user(session, Role.shopper)
        roles = {
            u["role"] for u in client.get(api_path("list_users"), headers=headers).json()["items"]
        }
        assert {"admin", "analyst", "shopper"} <= roles

    def test_coordinator_sees_shoppers(
        self, client: TestClient, session: Session, auth_headers: AuthHeaders
    ) -> None:
        headers = auth_headers(Role.coordinator)
        make_user(session, Role.analyst)
        shopper = make_user(session, Role.shopper)
        body = client.get(api_path("list_users"), headers=headers).json()
        assert {u["role"] for u in body["items"]} == {"shopper"}
        assert shopper.email in {u["email"] for u in body["items"]}

    def test_paging(self, client: TestClient, session: Session, auth_headers: AuthHeaders) -> None:
        headers = auth_headers(Role.admin)
        for _ in range(3):
            make_user(session, Role.shopper)
        first = client.get(api_path("list_users") + "?limit=2", headers=headers).json()
        second = client.get(api_path("list_users") + "?limit=2&offset=2", headers=headers).json()
        assert len(first["items"]) == 2
        assert first["total"] == second["total"] >= 4
        assert not {u["id"] for u in first["items"]} & {u["id"] for u in second["items"]}

    def test_limit_above_the_maximum_is_clamped(
        self, client: TestClient, auth_headers: AuthHeaders
    ) -> None:
        body = client.get(
            api_path("list_users") + "?limit=100000", headers=auth_headers(Role.admin)
        ).json()
        assert body["limit"] == 200

    @pytest.mark.parametrize("query", ["limit=0", "offset=-1", "limit=abc", "offset=99999999"])
    def test_bad_paging_is_422(
        self, client: TestClient, auth_headers: AuthHeaders, query: str
    ) -> None:
        response = client.get(
            api_path("list_users") + f"?{query}", headers=auth_headers(Role.admin)
        )
        assert response.status_code == 422
        assert response.json()["code"] == "validation-failed"
