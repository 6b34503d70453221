"""Console sign-in: the cookie's flags, CSRF on every form, roles, idle timeout, sign-out."""

from http.cookies import SimpleCookie

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import RefreshFamily
from service.auth.roles import Role
from service.console.session import COOKIE, CSRF_FIELD, LANGUAGE_COOKIE
from service.visits.models import Visit
from service.visits.transitions import VisitStatus
from tests.conftest import FrozenClock
from tests.console.helpers import csrf_of, sign_in, signed_in, submitted_visit
from tests.fixtures.users import PASSWORD, make_user


def _cookie(response_headers: list[str], name: str) -> SimpleCookie:
    for header in response_headers:
        if header.startswith(f"{name}="):
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            return jar
    raise AssertionError(f"no {name} cookie set")


class TestSignIn:
    def test_cookie_is_httponly_lax_and_scoped_to_the_console(
        self, client: TestClient, session: Session
    ) -> None:
        response = sign_in(client, make_user(session, Role.coordinator))
        morsel = _cookie(response.headers.get_list("set-cookie"), COOKIE)[COOKIE]
        assert morsel["httponly"] is True
        assert morsel["samesite"].lower() == "lax"
        assert morsel["path"] == "/console"
        # Plain HTTP on loopback is local mode: a browser would drop a Secure cookie there.
        assert not morsel["secure"]

    def test_cookie_is_secure_outside_local_mode(self, app: FastAPI, session: Session) -> None:
        user = make_user(session, Role.coordinator)
        with TestClient(app, base_url="https://console.example.kz") as remote:
            response = sign_in(remote, user)
        morsel = _cookie(response.headers.get_list("set-cookie"), COOKIE)[COOKIE]
        assert morsel["secure"] is True
        assert morsel["httponly"] is True

    def test_wrong_password_shows_the_form_again(
        self, client: TestClient, session: Session
    ) -> None:
        user = make_user(session, Role.coordinator)
        form = client.get("/console/signin")
        response = client.post(
            "/console/signin",
            data={"email": user.email, "password": "wrong", CSRF_FIELD: csrf_of(form)},
        )
        assert response.status_code == 401
        assert "Неверный e-mail или пароль." in response.text
        assert client.get("/console/visits", follow_redirects=False).status_code == 303

    def test_failed_sign_ins_count_as_the_apis_logins_do(
        self, client: TestClient, session: Session, app: FastAPI
    ) -> None:
        user = make_user(session, Role.coordinator)
        token = csrf_of(client.get("/console/signin"))
        for _ in range(app.state.settings.auth.login_max_failures):
            client.post(
                "/console/signin",
                data={"email": user.email, "password": "wrong", CSRF_FIELD: token},
            )
        # The right password is refused too now: the API's throttle counted the failures.
        response = client.post(
            "/console/signin", data={"email": user.email, "password": PASSWORD, CSRF_FIELD: token}
        )
        assert response.status_code == 429
        assert "Слишком много неудачных попыток" in response.text

    def test_next_page_is_a_console_path_only(self, client: TestClient, session: Session) -> None:
        user = make_user(session, Role.coordinator)
        response = sign_in(client, user, next_url="https://evil.example/")
        assert response.headers["location"] == "/console/"


class TestCsrf:
    def test_sign_in_without_token_is_refused(self, client: TestClient, session: Session) -> None:
        user = make_user(session, Role.coordinator)
        client.get("/console/signin")
        response = client.post("/console/signin", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 403
        assert "Форма отклонена" in response.text
        assert not client.cookies.get(COOKIE) or (
            client.get("/console/visits", follow_redirects=False).status_code == 303
        )

    def test_review_without_token_changes_nothing(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        visit, _ = submitted_visit(client, session, clock)
        signed_in(client, session, Role.coordinator)
        response = client.post(
            f"/console/visits/{visit.id}/review", data={"action": "approve"}, follow_redirects=False
        )
        assert response.status_code == 403
        session.expire_all()
        assert session.get(Visit, visit.id).status == VisitStatus.submitted  # type: ignore[union-attr]

    def test_token_of_another_session_is_refused(
        self, app: FastAPI, client: TestClient, session: Session
    ) -> None:
        signed_in(client, session, Role.coordinator)
        with TestClient(app, base_url="http://127.0.0.1") as other:
            foreign = csrf_of(other.get("/console/signin"))
        response = client.post("/console/language", data={"lang": "en", CSRF_FIELD: foreign})
        assert response.status_code == 403
        assert "Форма отклонена" in response.text
        assert LANGUAGE_COOKIE not in response.headers.get("set-cookie", "")


class TestRoles:
    def test_shopper_gets_the_403_page_on_coordinator_pages(
        self, client: TestClient, session: Session
    ) -> None:
        signed_in(client, session, Role.shopper)
        for path in ("/console/visits", "/console/reports/services"):
            response = client.get(path)
            assert response.status_code == 403, path
            assert "Доступ запрещён" in response.text
            assert "приложении на телефоне" in response.text

    def test_shopper_sees_only_their_own_visits(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        own, shopper = submitted_visit(client, session, clock)
        submitted_visit(client, session, clock)  # another shopper's
        sign_in(client, shopper)
        response = client.get("/console/")
        assert response.status_code == 200
        assert "Мои визиты" in response.text
        assert response.text.count("<tr><td>") == 1
        assert "Ожидает проверки" in response.text
        assert f"/console/visits/{own.id}" not in response.text

    def test_analyst_reads_reports_but_not_visits(
        self, client: TestClient, session: Session
    ) -> None:
        signed_in(client, session, Role.analyst)
        report = client.get("/console/reports/services")
        assert report.status_code == 200
        assert "Отчёт по услугам" in report.text
        assert 'href="/console/visits"' not in report.text
        refused = client.get("/console/visits")
        assert refused.status_code == 403
        assert "Доступ запрещён" in refused.text

    def test_not_signed_in_goes_to_the_form(self, client: TestClient) -> None:
        response = client.get("/console/visits?status=submitted", follow_redirects=False)
        assert response.status_code == 303
        # The shared link, filters and all, opens once signed in.
        target = "/console/signin?next=%2Fconsole%2Fvisits%3Fstatus%3Dsubmitted"
        assert response.headers["location"] == target


class TestSessionEnd:
    @pytest.fixture
    def coordinator_client(self, client: TestClient, session: Session) -> TestClient:
        signed_in(client, session, Role.coordinator)
        return client

    def test_idle_timeout_signs_out(
        self, coordinator_client: TestClient, clock: FrozenClock, app: FastAPI
    ) -> None:
        idle = app.state.settings.console.idle_minutes
        clock.advance(minutes=idle - 1)
        assert coordinator_client.get("/console/visits").status_code == 200
        # Each request renews the session: the same span again is still within the limit.
        clock.advance(minutes=idle - 1)
        assert coordinator_client.get("/console/visits").status_code == 200
        clock.advance(minutes=idle + 1)
        response = coordinator_client.get("/console/visits", follow_redirects=False)
        assert response.status_code == 303
        assert "expired=1" in response.headers["location"]
        form = coordinator_client.get(response.headers["location"])
        assert "Сеанс завершён из-за бездействия." in form.text

    def test_sign_out_ends_the_sign_in_for_good(
        self, coordinator_client: TestClient, session: Session
    ) -> None:
        cookie = coordinator_client.cookies.get(COOKIE)
        page = coordinator_client.get("/console/visits")
        response = coordinator_client.post(
            "/console/signout", data={CSRF_FIELD: csrf_of(page)}, follow_redirects=False
        )
        assert response.status_code == 303
        families = session.exec(
            RefreshFamily.__table__.select().where(RefreshFamily.revoked_reason == "logout")  # type: ignore[attr-defined]
        ).all()
        assert len(families) == 1
        # The old cookie, replayed, is no session any more.
        coordinator_client.cookies.set(COOKIE, str(cookie), path="/console")
        assert coordinator_client.get("/console/visits", follow_redirects=False).status_code == 303


class TestLanguage:
    def test_switch_is_remembered(self, client: TestClient, session: Session) -> None:
        signed_in(client, session, Role.coordinator)
        page = client.get("/console/visits")
        assert '<html lang="ru">' in page.text
        response = client.post(
            "/console/language",
            data={"lang": "kk", "next": "/console/visits", CSRF_FIELD: csrf_of(page)},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/console/visits"
        morsel = _cookie(response.headers.get_list("set-cookie"), LANGUAGE_COOKIE)[LANGUAGE_COOKIE]
        assert morsel.value == "kk"
        assert int(morsel["max-age"]) > 86400
        again = client.get("/console/visits")
        assert '<html lang="kk">' in again.text
        assert "Барулар" in again.text

    def test_unknown_language_falls_back_to_russian(
        self, client: TestClient, session: Session
    ) -> None:
        signed_in(client, session, Role.coordinator)
        client.cookies.set(LANGUAGE_COOKIE, "de", path="/console")
        assert '<html lang="ru">' in client.get("/console/visits").text
