"""Account life cycle over HTTP: list filters, edit, deactivate, password, unlock."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth import service as auth_service
from service.auth.models import User
from service.auth.roles import Role
from service.auth.security import verify_password
from tests.conftest import FrozenClock
from tests.fixtures.routes import api_path
from tests.fixtures.users import PASSWORD, make_user

NEW_PASSWORD = "a brand new passphrase"
NOBODY = "00000000-0000-4000-8000-00000000beef"


def login(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post(api_path("login"), data={"username": email, "password": password})


def bearer(client: TestClient, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(client, user.email).json()['access_token']}"}


ACCOUNT_ROUTES = {"": "update_user", "password": "change_password", "unlock": "unlock_user"}


def url(user: User | str, action: str = "") -> str:
    user_id = user if isinstance(user, str) else str(user.id)
    return api_path(ACCOUNT_ROUTES[action], user_id=user_id)


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


@pytest.fixture
def admin(session: Session) -> User:
    return make_user(session, Role.admin)


@pytest.fixture
def shopper(session: Session) -> User:
    return make_user(session, Role.shopper, email="aigerim.s@example.kz")


@pytest.fixture
def stranger(app: FastAPI) -> Iterator[TestClient]:
    """A second caller on another client address."""
    with TestClient(app, base_url="http://127.0.0.1", client=("203.0.113.7", 40000)) as c:
        yield c


class TestListFilters:
    def test_email_is_exact_and_case_insensitive(
        self, client: TestClient, session: Session, admin: User, shopper: User
    ) -> None:
        make_user(session, Role.shopper, email="aigerim.s2@example.kz")
        headers = bearer(client, admin)
        body = client.get(
            api_path("list_users"), params={"email": "  Aigerim.S@EXAMPLE.kz "}, headers=headers
        ).json()
        assert body["total"] == 1
        assert [(u["id"], u["email"]) for u in body["items"]] == [(str(shopper.id), shopper.email)]
        partial = client.get(
            api_path("list_users"), params={"email": "aigerim"}, headers=headers
        ).json()
        assert partial == {"items": [], "total": 0, "limit": 50, "offset": 0}

    def test_role(self, client: TestClient, session: Session, admin: User) -> None:
        analysts = {str(make_user(session, Role.analyst).id) for _ in range(2)}
        body = client.get(
            api_path("list_users") + "?role=analyst", headers=bearer(client, admin)
        ).json()
        assert {u["role"] for u in body["items"]} == {"analyst"}
        assert analysts <= {u["id"] for u in body["items"]}
        assert body["total"] == len(body["items"])

    def test_active(self, client: TestClient, session: Session, admin: User) -> None:
        disabled = make_user(session, Role.shopper, active=False)
        headers = bearer(client, admin)
        off = client.get(api_path("list_users") + "?active=false", headers=headers).json()
        assert [u["id"] for u in off["items"]] == [str(disabled.id)]
        assert off["items"][0]["is_active"] is False
        on = client.get(api_path("list_users") + "?active=true&limit=200", headers=headers).json()
        assert str(disabled.id) not in {u["id"] for u in on["items"]}
        assert all(u["is_active"] for u in on["items"])

    def test_filters_combine_with_paging(
        self, client: TestClient, session: Session, admin: User
    ) -> None:
        for _ in range(3):
            make_user(session, Role.shopper)
        headers = bearer(client, admin)
        page = client.get(
            api_path("list_users") + "?role=shopper&active=true&limit=2", headers=headers
        )
        body = page.json()
        assert len(body["items"]) == 2
        assert body["total"] >= 3

    def test_coordinator_still_sees_shoppers_only(
        self, client: TestClient, admin: User, coordinator: User, shopper: User
    ) -> None:
        headers = bearer(client, coordinator)
        for query in (f"email={admin.email}", "role=admin", "role=coordinator"):
            body = client.get(api_path("list_users") + f"?{query}", headers=headers).json()
            assert (body["items"], body["total"]) == ([], 0), query
        mine = client.get(
            api_path("list_users") + f"?email={shopper.email}", headers=headers
        ).json()
        assert [u["id"] for u in mine["items"]] == [str(shopper.id)]

    @pytest.mark.parametrize(
        ("query", "loc"),
        [("role=superuser", "role"), ("active=maybe", "active"), ("email=", "email")],
    )
    def test_bad_filters_are_422(
        self, client: TestClient, admin: User, query: str, loc: str
    ) -> None:
        response = client.get(api_path("list_users") + f"?{query}", headers=bearer(client, admin))
        body = assert_problem(response, 422, "validation-failed")
        assert body["errors"][0]["loc"] == ["query", loc]

    def test_a_typo_is_refused_not_ignored(self, client: TestClient, admin: User) -> None:
        response = client.get(
            api_path("list_users") + "?emial=x@example.kz", headers=bearer(client, admin)
        )
        body = assert_problem(response, 422, "query-parameter-unknown")
        assert body["errors"][0]["loc"] == ["query", "emial"]


class TestUpdateUser:
    def test_admin_renames_and_deactivates(
        self, client: TestClient, session: Session, admin: User, shopper: User
    ) -> None:
        shopper_token = bearer(client, shopper)
        response = client.patch(
            url(shopper),
            json={"full_name": "Aigerim Seitkali", "is_active": False},
            headers=bearer(client, admin),
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["full_name"], body["is_active"], body["role"]) == (
            "Aigerim Seitkali",
            False,
            "shopper",
        )
        session.refresh(shopper)
        assert (shopper.full_name, shopper.is_active) == ("Aigerim Seitkali", False)
        # A disabled account is refused at once, whatever token it holds.
        me = client.get(api_path("read_me"), headers=shopper_token)
        assert_problem(me, 401, "user-inactive")
        # Its login answers as a wrong password does: nothing says the password was right.
        assert_problem(login(client, shopper.email), 401, "invalid-credentials")

    def test_reactivation_lets_the_user_back_in(
        self, client: TestClient, session: Session, admin: User
    ) -> None:
        disabled = make_user(session, Role.shopper, active=False)
        response = client.patch(
            url(disabled), json={"is_active": True}, headers=bearer(client, admin)
        )
        assert response.json()["is_active"] is True
        assert login(client, disabled.email).status_code == 200

    def test_admin_grants_any_role(
        self, client: TestClient, session: Session, admin: User, shopper: User
    ) -> None:
        headers = bearer(client, admin)
        for role in ("coordinator", "analyst", "admin", "shopper"):
            response = client.patch(url(shopper), json={"role": role}, headers=headers)
            assert response.json()["role"] == role
            session.refresh(shopper)
            assert shopper.role == role

    def test_phone_can_be_removed(
        self, client: TestClient, session: Session, admin: User, shopper: User
    ) -> None:
        response = client.patch(url(shopper), json={"phone": None}, headers=bearer(client, admin))
        assert response.json()["phone"] is None
        session.refresh(shopper)
        assert shopper.phone is None

    def test_coordinator_edits_a_shopper(
        self, client: TestClient, session: Session, coordinator: User, shopper: User
    ) -> None:
        response = client.patch(
            url(shopper),
            json={"full_name": "Renamed", "role": "shopper", "is_active": False},
            headers=bearer(client, coordinator),
        )
        assert response.json()["full_name"] == "Renamed"
        session.refresh(shopper)
        assert (shopper.full_name, shopper.is_active) == ("Renamed", False)

    @pytest.mark.parametrize("role", ["coordinator", "analyst", "admin"])
    def test_coordinator_cannot_grant_staff_roles(
        self, client: TestClient, session: Session, coordinator: User, shopper: User, role: str
    ) -> None:
        response = client.patch(
            url(shopper), json={"role": role}, headers=bearer(client, coordinator)
        )
        body = assert_problem(response, 403, "role-not-grantable")
        assert body["detail"] == f"A coordinator cannot make an account {role}."
        session.refresh(shopper)
        assert shopper.role == Role.shopper

    @pytest.mark.parametrize("role", [Role.admin, Role.coordinator, Role.analyst])
    def test_coordinator_cannot_touch_staff(
        self, client: TestClient, session: Session, coordinator: User, role: Role
    ) -> None:
        target = make_user(session, role)
        response = client.patch(
            url(target), json={"full_name": "X"}, headers=bearer(client, coordinator)
        )
        assert_problem(response, 404, "user-not-found")
        session.refresh(target)
        assert target.full_name != "X"

    def test_coordinator_cannot_edit_themself(self, client: TestClient, coordinator: User) -> None:
        response = client.patch(
            url(coordinator), json={"is_active": False}, headers=bearer(client, coordinator)
        )
        assert_problem(response, 404, "user-not-found")

    @pytest.mark.parametrize(
        "changes", [{"is_active": False}, {"role": "coordinator"}, {"role": "shopper"}]
    )
    def test_admin_cannot_demote_or_deactivate_themself(
        self, client: TestClient, session: Session, admin: User, changes: dict[str, Any]
    ) -> None:
        response = client.patch(url(admin), json=changes, headers=bearer(client, admin))
        assert_problem(response, 409, "self-demotion")
        session.refresh(admin)
        assert (admin.role, admin.is_active) == (Role.admin, True)

    def test_admin_may_edit_their_own_name(self, client: TestClient, admin: User) -> None:
        response = client.patch(
            url(admin), json={"full_name": "Chief", "role": "admin"}, headers=bearer(client, admin)
        )
        assert response.json()["full_name"] == "Chief"

    def test_admin_demotes_another_admin(
        self, client: TestClient, session: Session, admin: User
    ) -> None:
        other = make_user(session, Role.admin)
        response = client.patch(url(other), json={"role": "analyst"}, headers=bearer(client, admin))
        assert response.json()["role"] == "analyst"

    def test_unknown_user_is_404(self, client: TestClient, admin: User) -> None:
        response = client.patch(url(NOBODY), json={"full_name": "X"}, headers=bearer(client, admin))
        body = assert_problem(response, 404, "user-not-found")
        assert NOBODY in body["detail"]

    @pytest.mark.parametrize(
        ("changes", "loc"),
        [
            ({"role": "superuser"}, ["body", "role"]),
            ({"full_name": None}, ["body", "full_name"]),
            ({"is_active": None}, ["body", "is_active"]),
            ({"full_name": ""}, ["body", "full_name"]),
            ({"email": "new@example.kz"}, ["body", "email"]),
            ({"hashed_password": "x"}, ["body", "hashed_password"]),
        ],
    )
    def test_bad_changes_are_422(
        self,
        client: TestClient,
        session: Session,
        admin: User,
        shopper: User,
        changes: dict[str, Any],
        loc: list[str],
    ) -> None:
        response = client.patch(url(shopper), json=changes, headers=bearer(client, admin))
        body = assert_problem(response, 422, "validation-failed")
        assert body["errors"][0]["loc"] == loc
        session.refresh(shopper)
        assert (shopper.role, shopper.is_active, shopper.full_name) == (
            Role.shopper,
            True,
            "Test Shopper",
        )


class TestChangePassword:
    def test_own_password_with_the_old_one(
        self, client: TestClient, session: Session, shopper: User
    ) -> None:
        pair = login(client, shopper.email).json()
        headers = {"Authorization": f"Bearer {pair['access_token']}"}
        response = client.post(
            url(shopper, "password"),
            json={"old_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=headers,
        )
        assert response.status_code == 204
        assert response.content == b""
        session.refresh(shopper)
        assert verify_password(NEW_PASSWORD, shopper.hashed_password)
        assert shopper.token_version == 1
        assert_problem(login(client, shopper.email), 401, "invalid-credentials")
        assert login(client, shopper.email, NEW_PASSWORD).status_code == 200
        # Every token issued before the change is dead: refresh and access alike.
        refresh = client.post(
            api_path("refresh_tokens"), json={"refresh_token": pair["refresh_token"]}
        )
        body = assert_problem(refresh, 401, "invalid-token")
        assert "password was changed" in body["detail"]
        assert_problem(client.get(api_path("read_me"), headers=headers), 401, "invalid-token")

    def test_new_tokens_work_after_the_change(self, client: TestClient, shopper: User) -> None:
        client.post(
            url(shopper, "password"),
            json={"old_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=bearer(client, shopper),
        )
        pair = login(client, shopper.email, NEW_PASSWORD).json()
        refreshed = client.post(
            api_path("refresh_tokens"), json={"refresh_token": pair["refresh_token"]}
        )
        assert refreshed.status_code == 200
        headers = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        assert client.get(api_path("read_me"), headers=headers).json()["id"] == str(shopper.id)

    def test_own_password_needs_the_old_one(
        self, client: TestClient, session: Session, admin: User
    ) -> None:
        response = client.post(
            url(admin, "password"),
            json={"new_password": NEW_PASSWORD},
            headers=bearer(client, admin),
        )
        body = assert_problem(response, 422, "old-password-required")
        assert body["errors"][0]["loc"] == ["body", "old_password"]
        session.refresh(admin)
        assert verify_password(PASSWORD, admin.hashed_password)

    def test_wrong_old_password_is_403_and_counts_as_a_failed_login(
        self, client: TestClient, session: Session, shopper: User
    ) -> None:
        headers = bearer(client, shopper)
        body = {"old_password": "not my password", "new_password": NEW_PASSWORD}
        for _ in range(5):
            response = client.post(url(shopper, "password"), json=body, headers=headers)
            assert_problem(response, 403, "wrong-password")
        blocked = client.post(url(shopper, "password"), json=body, headers=headers)
        assert_problem(blocked, 429, "too-many-requests")
        assert int(blocked.headers["Retry-After"]) > 0
        assert_problem(login(client, shopper.email), 429, "too-many-requests")
        session.refresh(shopper)
        assert verify_password(PASSWORD, shopper.hashed_password)

    @pytest.mark.parametrize("password", ["", "seven77"])
    def test_short_new_password_is_refused(
        self, client: TestClient, session: Session, admin: User, shopper: User, password: str
    ) -> None:
        response = client.post(
            url(shopper, "password"), json={"new_password": password}, headers=bearer(client, admin)
        )
        code = "validation-failed" if password == "" else "password-too-short"
        body = assert_problem(response, 422, code)
        assert body["errors"][0]["loc"] == ["body", "new_password"]
        session.refresh(shopper)
        assert shopper.token_version == 0

    def test_overlong_password_is_refused(
        self, client: TestClient, admin: User, shopper: User
    ) -> None:
        response = client.post(
            url(shopper, "password"),
            json={"new_password": "p" * 129},
            headers=bearer(client, admin),
        )
        assert_problem(response, 422, "validation-failed")

    @pytest.mark.parametrize("actor_role", [Role.admin, Role.coordinator])
    def test_staff_reset_a_shopper_without_the_old_password(
        self, client: TestClient, session: Session, shopper: User, actor_role: Role
    ) -> None:
        actor = make_user(session, actor_role)
        response = client.post(
            url(shopper, "password"),
            json={"new_password": NEW_PASSWORD, "old_password": "ignored for others"},
            headers=bearer(client, actor),
        )
        assert response.status_code == 204
        assert response.content == b""
        logged_in = login(client, shopper.email, NEW_PASSWORD)
        assert logged_in.status_code == 200
        assert logged_in.json()["token_type"] == "bearer"

    def test_admin_resets_staff(self, client: TestClient, session: Session, admin: User) -> None:
        analyst = make_user(session, Role.analyst)
        response = client.post(
            url(analyst, "password"),
            json={"new_password": NEW_PASSWORD},
            headers=bearer(client, admin),
        )
        assert response.status_code == 204
        session.refresh(analyst)
        assert verify_password(NEW_PASSWORD, analyst.hashed_password)

    @pytest.mark.parametrize(
        ("actor_role", "target_role"),
        [
            (Role.coordinator, Role.analyst),
            (Role.coordinator, Role.coordinator),
            (Role.shopper, Role.shopper),
            (Role.analyst, Role.shopper),
        ],
    )
    def test_outside_ones_scope_is_404(
        self, client: TestClient, session: Session, actor_role: Role, target_role: Role
    ) -> None:
        actor, target = make_user(session, actor_role), make_user(session, target_role)
        response = client.post(
            url(target, "password"),
            json={"new_password": NEW_PASSWORD},
            headers=bearer(client, actor),
        )
        assert_problem(response, 404, "user-not-found")
        session.refresh(target)
        assert verify_password(PASSWORD, target.hashed_password)

    def test_unknown_user_is_404(self, client: TestClient, admin: User) -> None:
        response = client.post(
            url(NOBODY, "password"),
            json={"new_password": NEW_PASSWORD},
            headers=bearer(client, admin),
        )
        assert_problem(response, 404, "user-not-found")


class TestLockout:
    def test_a_stranger_elsewhere_cannot_lock_the_owner_out(
        self, client: TestClient, stranger: TestClient, shopper: User
    ) -> None:
        for _ in range(5):
            assert_problem(login(stranger, shopper.email, "guess"), 401, "invalid-credentials")
        assert_problem(login(stranger, shopper.email), 429, "too-many-requests")
        assert login(client, shopper.email).status_code == 200

    def test_unlock_lets_the_owner_in_at_once(
        self,
        client: TestClient,
        session: Session,
        coordinator: User,
        shopper: User,
        clock: FrozenClock,
    ) -> None:
        headers = bearer(client, coordinator)
        for _ in range(5):
            login(client, shopper.email, "wrong")
        assert_problem(login(client, shopper.email), 429, "too-many-requests")
        response = client.post(url(shopper, "unlock"), headers=headers)
        assert response.status_code == 204
        session.refresh(shopper)
        assert shopper.login_reset_at == clock()
        assert login(client, shopper.email).status_code == 200

    def test_an_unlock_stored_by_another_process_is_honoured(
        self, client: TestClient, session: Session, shopper: User, clock: FrozenClock
    ) -> None:
        for _ in range(5):
            login(client, shopper.email, "wrong")
        clock.advance(seconds=1)
        # What `mshop users unlock` does: no throttle in reach, only the row.
        auth_service.unlock_user(session, shopper, now=clock(), throttle=None)
        logged_in = login(client, shopper.email)
        assert logged_in.status_code == 200
        assert logged_in.json()["token_type"] == "bearer"

    def test_unlock_leaves_the_address_limit(
        self, client: TestClient, session: Session, admin: User, shopper: User
    ) -> None:
        headers = bearer(client, admin)
        for i in range(30):
            login(client, f"guess{i}@example.kz", "wrong")
        assert client.post(url(shopper, "unlock"), headers=headers).status_code == 204
        assert_problem(login(client, shopper.email), 429, "too-many-requests")

    @pytest.mark.parametrize("target_role", [Role.admin, Role.coordinator, Role.analyst])
    def test_coordinator_unlocks_shoppers_only(
        self, client: TestClient, session: Session, coordinator: User, target_role: Role
    ) -> None:
        target = make_user(session, target_role)
        response = client.post(url(target, "unlock"), headers=bearer(client, coordinator))
        assert_problem(response, 404, "user-not-found")
        session.refresh(target)
        assert target.login_reset_at is None

    def test_unknown_user_is_404(self, client: TestClient, admin: User) -> None:
        response = client.post(url(NOBODY, "unlock"), headers=bearer(client, admin))
        assert_problem(response, 404, "user-not-found")
