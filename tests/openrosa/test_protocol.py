"""The OpenRosa envelope and authentication, as Collect meets them (no form needed)."""

import logging

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import User
from service.auth.roles import Role
from service.openrosa import tokens
from service.openrosa.models import AppToken
from tests.conftest import NOW
from tests.fixtures.server import running
from tests.fixtures.users import PASSWORD, make_user
from tests.openrosa.collect import Collect, message
from tests.openrosa.conftest import BASE, app_token


class TestHeadSubmission:
    def test_answers_204_with_the_openrosa_headers(self, collect: Collect) -> None:
        response = collect.head_submission()

        assert response.status_code == 204
        assert response.headers["x-openrosa-version"] == "1.0"
        assert response.headers["x-openrosa-accept-content-length"] == str(50 * 1024 * 1024)
        assert response.headers["content-language"] == "ru"

    def test_names_the_language_collect_asked_for(
        self, client: TestClient, collect: Collect
    ) -> None:
        english = Collect(client, collect.server_url, language="en-GB,ru;q=0.5")

        assert english.head_submission().headers["content-language"] == "en"

    def test_a_missing_version_header_is_refused_with_an_openrosa_message(
        self, client: TestClient, collect: Collect
    ) -> None:
        response = client.head(collect.server_url + "/submission")
        form_list = client.get(collect.server_url + "/formList", headers={"Accept-Language": "kk"})

        assert response.status_code == 400
        assert response.headers["x-openrosa-version"] == "1.0"
        assert form_list.status_code == 400
        assert "X-OpenRosa-Version" in message(form_list)
        assert form_list.headers["content-language"] == "kk"


class TestBasicAuth:
    def test_challenges_with_basic_then_accepts_the_password(
        self, client: TestClient, shopper: User
    ) -> None:
        plain = Collect(client, f"{BASE}/openrosa")
        challenged = plain.head_submission()
        phone = Collect(client, f"{BASE}/openrosa", auth=(shopper.email, PASSWORD))

        assert challenged.status_code == 401
        assert challenged.headers["www-authenticate"].startswith("Basic ")
        assert "Digest" not in challenged.headers["www-authenticate"]
        assert phone.head_submission().status_code == 204

    def test_a_wrong_password_is_401_with_the_challenge(
        self, client: TestClient, shopper: User
    ) -> None:
        response = client.get(
            f"{BASE}/openrosa/formList",
            headers={"X-OpenRosa-Version": "1.0", "Accept-Language": "en"},
            auth=(shopper.email, "not the password"),
        )

        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Basic ")
        assert message(response) == "Incorrect email or password."

    def test_staff_accounts_cannot_send_visits(self, client: TestClient, session: Session) -> None:
        staff = make_user(session, Role.coordinator)
        phone = Collect(client, f"{BASE}/openrosa", auth=(staff.email, PASSWORD), language="en")

        response = phone.request("GET", "/formList")

        assert response.status_code == 403
        assert message(response) == "Only shoppers send visits from Collect."


class TestAppTokenAuth:
    def test_a_revoked_token_is_refused(
        self, client: TestClient, session: Session, shopper: User, coordinator: User
    ) -> None:
        token = app_token(session, shopper, coordinator)
        row = session.get(AppToken, _token_id(session, token))
        assert row is not None
        tokens.revoke(session, row, now=NOW)
        session.flush()

        response = Collect(client, f"{BASE}/openrosa/key/{token}").head_submission()
        listed = Collect(client, f"{BASE}/openrosa/key/{token}").request("GET", "/formList")

        assert response.status_code == 403
        assert "QR" in message(listed)

    def test_an_unknown_token_is_refused_like_a_revoked_one(self, client: TestClient) -> None:
        phone = Collect(client, f"{BASE}/openrosa/key/{tokens.new_token()}", language="en")

        response = phone.request("GET", "/formList")

        assert response.status_code == 403
        assert message(response).startswith("This server link is not valid any more")

    def test_a_deactivated_shoppers_token_stops_working(
        self, client: TestClient, session: Session, coordinator: User
    ) -> None:
        shopper = make_user(session, Role.shopper)
        token = app_token(session, shopper, coordinator)
        shopper.is_active = False
        session.add(shopper)
        session.flush()

        phone = Collect(client, f"{BASE}/openrosa/key/{token}", language="en")
        response = phone.request("GET", "/formList")

        assert response.status_code == 403
        assert message(response).startswith("This server link is not valid any more")

    def test_only_the_hash_is_stored(
        self, session: Session, shopper: User, coordinator: User
    ) -> None:
        token = app_token(session, shopper, coordinator)
        row = session.get(AppToken, _token_id(session, token))

        assert row is not None
        assert row.token_hash == tokens.hash_token(token) != token
        assert len(token) >= 43  # 32 random bytes, base64url


class TestErrorsAreOpenRosaResponses:
    def test_an_unknown_path_is_an_xml_404(self, collect: Collect) -> None:
        response = collect.request("GET", "/no-such-thing")

        assert response.status_code == 404
        assert response.headers["x-openrosa-version"] == "1.0"
        assert message(response) == "Не найдено."

    def test_an_oversized_submission_is_an_xml_413(
        self, client: TestClient, collect: Collect
    ) -> None:
        limit = 50 * 1024 * 1024
        response = collect.request(
            "POST",
            "/submission",
            content=b"x",
            headers={
                "Content-Type": "multipart/form-data; boundary=b",
                "Content-Length": str(limit + 1),
            },
        )

        assert response.status_code == 413
        assert message(response) == (
            "Отправка больше, чем принимает сервер. Уменьшите размер фото; если не поможет, "
            "сообщите координатору."
        )

    def test_a_submission_without_the_xml_part_is_an_xml_400(self, collect: Collect) -> None:
        response = collect.request(
            "POST", "/submission", files={"photo.jpg": ("photo.jpg", b"x", "image/jpeg")}
        )

        assert response.status_code == 400
        assert message(response) == "Анкета не читается. Обновите форму и заполните заново."

    @pytest.mark.parametrize(
        ("content_type", "body"),
        [
            ("multipart/form-data", b"--x\r\n"),  # no boundary
            ("multipart/form-data; boundary=b", b""),  # not even the final boundary
            (
                "multipart/form-data; boundary=b",
                b'--b\r\nContent-Disposition: form-data; name="xml_submission_file"\r\n',
            ),
        ],
        ids=["no-boundary", "empty", "cut-header"],
    )
    def test_a_broken_multipart_body_is_an_xml_400(
        self, collect: Collect, content_type: str, body: bytes
    ) -> None:
        response = collect.request(
            "POST", "/submission", content=body, headers={"Content-Type": content_type}
        )

        assert response.status_code == 400
        assert response.headers["x-openrosa-version"] == "1.0"
        assert message(response)


class TestTokensStayOutOfLogsAndMetrics:
    def test_the_access_log_and_metrics_show_the_template(
        self, client: TestClient, collect: Collect, caplog: pytest.LogCaptureFixture
    ) -> None:
        token = collect.server_url.rsplit("/", 1)[1]
        with caplog.at_level(logging.INFO, logger="mshop.access"):
            collect.head_submission()
            collect.request("GET", "/no-such-thing")
        metrics = client.get("/metrics").text

        logged = [
            (r.getMessage(), getattr(r, "path", ""), getattr(r, "route", ""))
            for r in caplog.records
        ]
        assert logged, "no access log line"
        assert all(token not in " ".join(line) for line in logged)
        assert any("/openrosa/key/{app_token}/submission" in line[0] for line in logged)
        assert token not in metrics
        assert "/openrosa/key/{app_token}/submission" in metrics


def _token_id(session: Session, token: str) -> object:
    from service.openrosa import repository

    found = repository.active_token(session, tokens.hash_token(token))
    assert found is not None
    return found[0].id


def test_the_contract_lists_every_code_only_these_routes_answer() -> None:
    # These routes are not in the OpenAPI document; docs/openrosa.md is their contract.
    from pathlib import Path

    from service.openrosa.router import OPENROSA_ERRORS

    contract = (Path(__file__).parents[2] / "docs" / "openrosa.md").read_text(encoding="utf-8")
    missing = [e.code for e in OPENROSA_ERRORS if f"`{e.code}`" not in contract]
    assert missing == []


@pytest.mark.slow
def test_a_served_response_carries_one_date_header(app: FastAPI) -> None:
    # OpenRosa asks for Date on every response; the HTTP server adds it, once.
    with running(app) as base:
        response = httpx.head(f"{base}/openrosa/key/{tokens.new_token()}/submission")

    assert response.status_code == 400
    assert len(response.headers.get_list("date")) == 1
    assert response.headers["x-openrosa-version"] == "1.0"
