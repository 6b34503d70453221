"""What each role may not do on the accounts and offices pages and the wave report: 403 and
404 pages as the API's 403 and 404, forms without their token refused; nothing changed."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.auth.models import User
from service.auth.roles import Role
from service.offices.models import Office
from service.openrosa.models import AppToken
from tests.console.helpers import signed_in
from tests.console.test_accounts import post, reread
from tests.fixtures.users import make_user
from tests.reports.data import Dataset

# Every new page, and who may not open it.
PAGES = ["/console/accounts", "/console/offices", "/console/offices/new"]


class TestWhoMayNot:
    @pytest.mark.parametrize("role", [Role.shopper, Role.analyst])
    @pytest.mark.parametrize("path", PAGES)
    def test_only_staff_open_accounts_and_offices(
        self, client: TestClient, session: Session, role: Role, path: str
    ) -> None:
        signed_in(client, session, role)
        response = client.get(path)
        assert response.status_code == 403
        assert "Доступ запрещён" in response.text

    def test_a_shopper_cannot_open_the_wave_report(
        self, client: TestClient, session: Session
    ) -> None:
        signed_in(client, session, Role.shopper)
        response = client.get("/console/reports/wave")
        assert response.status_code == 403
        assert "Доступ запрещён" in response.text
        assert "Таблица 1" not in response.text

    @pytest.mark.parametrize("role", [Role.admin, Role.coordinator, Role.analyst])
    def test_a_coordinator_cannot_create_staff(
        self, client: TestClient, session: Session, role: Role
    ) -> None:
        signed_in(client, session, Role.coordinator)
        email = f"{role}.{uuid.uuid4().hex[:8]}@example.kz"
        response = post(
            client,
            "/console/accounts",
            "/console/accounts",
            email=email,
            full_name="Staff",
            role=role,
            password="long-enough-1",
        )
        assert response.status_code == 403
        assert "Доступ запрещён" in response.text
        assert session.exec(select(User).where(User.email == email)).first() is None

    @pytest.mark.parametrize(
        ("action", "data"),
        [
            ("active", {"active": "false"}),
            ("password", {"new_password": "taken-over-1"}),
            ("unlock", {}),
            ("app-tokens", {}),
        ],
    )
    def test_a_coordinator_cannot_touch_staff_accounts(
        self, client: TestClient, session: Session, action: str, data: dict[str, str]
    ) -> None:
        admin = make_user(session, Role.admin)
        before = (admin.is_active, admin.hashed_password, admin.token_version)
        signed_in(client, session, Role.coordinator)
        # As the API's 404: an account outside the coordinator's scope is not shown to exist.
        assert client.get(f"/console/accounts/{admin.id}").status_code == 404
        response = post(
            client, "/console/accounts", f"/console/accounts/{admin.id}/{action}", **data
        )
        assert response.status_code == 404
        admin = reread(session, admin)
        assert (admin.is_active, admin.hashed_password, admin.token_version) == before
        assert admin.login_reset_at is None

    def test_an_admin_cannot_deactivate_themself(
        self, client: TestClient, session: Session
    ) -> None:
        admin = signed_in(client, session, Role.admin)
        here = f"/console/accounts/{admin.id}"
        response = post(client, here, f"{here}/active", active="false")
        assert "Нельзя отключить свою учётную запись." in response.text
        assert reread(session, admin).is_active is True


class TestFormsWithoutToken:
    @pytest.mark.parametrize(
        "action",
        [
            "/console/accounts",
            "/console/accounts/{shopper}/active",
            "/console/accounts/{shopper}/password",
            "/console/accounts/{shopper}/unlock",
            "/console/accounts/{shopper}/app-tokens",
            "/console/offices",
            "/console/offices/{office}",
        ],
    )
    def test_are_refused_and_change_nothing(
        self, client: TestClient, session: Session, report_data: Dataset, action: str
    ) -> None:
        shopper = make_user(session, Role.shopper)
        office = session.get(Office, report_data.offices["A"])
        assert office is not None
        snapshot = (shopper.is_active, shopper.hashed_password, office.name, list(office.services))
        signed_in(client, session, Role.admin)
        users_before = len(session.exec(select(User)).all())
        path = action.format(shopper=shopper.id, office=office.id)
        data = {"active": "false", "new_password": "taken-over-1", "name": "Взлом"}
        data |= {"email": "x@example.kz", "full_name": "X", "role": "admin"}
        data |= {"password": "long-enough-1", "kind": "con", "region": "astana", "city": "X"}
        response = client.post(path, data=data)
        assert response.status_code == 403
        assert "Форма отклонена" in response.text
        shopper, office = reread(session, shopper), reread(session, office)
        after = (shopper.is_active, shopper.hashed_password, office.name, list(office.services))
        assert after == snapshot
        assert len(session.exec(select(User)).all()) == users_before
        assert session.exec(select(AppToken)).all() == []
