"""Refresh tokens rotate; a retired one presented again revokes its whole family, unless it
is the one just retired, sent again within the retry window: a phone that lost the answer.

A family is one login's chain of refresh tokens (``refresh_families``, one row): each
refresh retires the token given and issues the next; the one usable token's id is the
row's ``current_jti``, the one just retired its ``previous_jti``.
"""

import datetime as dt
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import anyio
import jwt
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from service import db
from service.auth import repository, sessions
from service.auth import service as auth_service
from service.auth.models import RefreshFamily, User
from service.auth.roles import Role
from service.auth.schemas import TokenPair
from service.auth.security import encode_token, hash_password
from service.config import AuthSettings
from service.errors import ServiceError
from tests.conftest import NOW, SECRET, FrozenClock
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.fixtures.users import PASSWORD, make_user

NEW_PASSWORD = "a brand new passphrase"
# How long after an exchange its token is still a retry (the default the tests' app runs on).
WINDOW = AuthSettings().refresh_retry_seconds


def login(client: TestClient, user: User) -> dict[str, Any]:
    response = client.post(api_path("login"), data={"username": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refresh(client: TestClient, token: str) -> Response:
    return client.post(api_path("refresh_tokens"), json={"refresh_token": token})


def logout(client: TestClient, token: str) -> Response:
    return client.post(api_path("logout"), json={"refresh_token": token})


def me(client: TestClient, access_token: str) -> Response:
    return client.get(api_path("read_me"), headers={"Authorization": f"Bearer {access_token}"})


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(
        token, SECRET, algorithms=["HS256"], options={"verify_exp": False}
    )
    return decoded


def family(session: Session, token: str) -> RefreshFamily:
    session.expire_all()
    row = session.get(RefreshFamily, uuid.UUID(claims(token)["fam"]))
    assert row is not None
    return row


class TestRotation:
    def test_login_starts_a_family_whose_token_is_the_usable_one(
        self, client: TestClient, session: Session, shopper: User
    ) -> None:
        pair = login(client, shopper)
        row = family(session, pair["refresh_token"])
        assert (row.user_id, row.current_jti) == (shopper.id, claims(pair["refresh_token"])["jti"])
        assert (row.created_at, row.used_at, row.revoked_at) == (NOW, None, None)
        assert row.expires_at == NOW + dt.timedelta(days=30)
        assert "fam" not in claims(pair["access_token"])

    def test_refresh_issues_the_next_pair_of_the_same_family(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        first = login(client, shopper)
        clock.advance(minutes=20)
        second = refresh(client, first["refresh_token"])
        assert second.status_code == 200, second.text
        new = second.json()
        assert claims(new["refresh_token"])["fam"] == claims(first["refresh_token"])["fam"]
        assert claims(new["refresh_token"])["jti"] != claims(first["refresh_token"])["jti"]
        row = family(session, new["refresh_token"])
        assert row.current_jti == claims(new["refresh_token"])["jti"]
        assert row.used_at == clock()
        # The family lives on from its last use, as each new refresh token does.
        assert row.expires_at == clock() + dt.timedelta(days=30)
        assert me(client, new["access_token"]).json()["id"] == str(shopper.id)
        third = refresh(client, new["refresh_token"])
        assert third.status_code == 200, third.text
        assert (
            family(session, new["refresh_token"]).current_jti
            == claims(third.json()["refresh_token"])["jti"]
        )


class TestReuse:
    def test_a_retired_token_revokes_the_family(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        first = login(client, shopper)
        second = refresh(client, first["refresh_token"]).json()
        clock.advance(seconds=WINDOW + 1)
        body = assert_problem(refresh(client, first["refresh_token"]), 401, "token-reused")
        assert body["title"] == "Refresh token reused"
        assert "already used" in body["detail"]
        row = family(session, first["refresh_token"])
        assert (row.revoked_at, row.revoked_reason) == (clock(), "reuse")
        # The token the first use issued stops working too: whoever holds it logs in again.
        assert_problem(refresh(client, second["refresh_token"]), 401, "token-revoked")
        # ... and so does the reused one, again and again.
        assert_problem(refresh(client, first["refresh_token"]), 401, "token-revoked")

    def test_other_sign_ins_of_the_user_are_unaffected(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        phone = login(client, shopper)
        laptop = login(client, shopper)
        refresh(client, phone["refresh_token"])
        clock.advance(seconds=WINDOW + 1)
        assert_problem(refresh(client, phone["refresh_token"]), 401, "token-reused")
        renewed = refresh(client, laptop["refresh_token"])
        assert renewed.status_code == 200, renewed.text
        assert me(client, renewed.json()["access_token"]).json()["id"] == str(shopper.id)
        assert family(session, laptop["refresh_token"]).revoked_at is None

    def test_other_users_are_unaffected(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        coordinator: User,
    ) -> None:
        mine = login(client, shopper)
        theirs = login(client, coordinator)
        refresh(client, mine["refresh_token"])
        clock.advance(seconds=WINDOW + 1)
        assert_problem(refresh(client, mine["refresh_token"]), 401, "token-reused")
        renewed = refresh(client, theirs["refresh_token"])
        assert renewed.status_code == 200, renewed.text
        assert me(client, renewed.json()["access_token"]).json()["id"] == str(coordinator.id)

    def test_a_password_change_still_ends_every_sign_in(
        self, client: TestClient, session: Session, shopper: User
    ) -> None:
        phone = login(client, shopper)
        laptop = login(client, shopper)
        renewed = refresh(client, laptop["refresh_token"]).json()
        changed = client.post(
            api_path("change_password", user_id=str(shopper.id)),
            json={"old_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers={"Authorization": f"Bearer {phone['access_token']}"},
        )
        assert changed.status_code == 204, changed.text
        for token in (phone["refresh_token"], renewed["refresh_token"]):
            body = assert_problem(refresh(client, token), 401, "invalid-token")
            assert body["detail"].startswith("The password was changed")
        for token in (phone["access_token"], renewed["access_token"]):
            assert_problem(me(client, token), 401, "invalid-token")
        # The refused exchanges changed nothing: the family still holds its last token.
        assert (
            family(session, renewed["refresh_token"]).current_jti
            == claims(renewed["refresh_token"])["jti"]
        )

    def test_a_disabled_account_cannot_refresh_and_keeps_its_token(
        self, client: TestClient, session: Session, shopper: User
    ) -> None:
        pair = login(client, shopper)
        shopper.is_active = False
        session.flush()
        assert_problem(refresh(client, pair["refresh_token"]), 401, "user-inactive")
        row = family(session, pair["refresh_token"])
        assert (row.current_jti, row.revoked_at) == (claims(pair["refresh_token"])["jti"], None)


class TestRetry:
    """A phone that lost the answer to a refresh sends the token again: within the window it
    gets the answer it lost, and nothing is revoked."""

    def test_the_token_sent_again_at_once_gets_the_same_pair(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        first = login(client, shopper)
        clock.advance(minutes=20)
        lost = refresh(client, first["refresh_token"]).json()
        exchanged_at = clock()
        clock.advance(seconds=WINDOW)  # the last second of the window
        again = refresh(client, first["refresh_token"])
        assert again.status_code == 200, again.text
        assert again.json() == lost  # both tokens, byte for byte
        row = family(session, lost["refresh_token"])
        assert (row.current_jti, row.previous_jti) == (
            claims(lost["refresh_token"])["jti"],
            claims(first["refresh_token"])["jti"],
        )
        assert (row.used_at, row.revoked_at) == (exchanged_at, None)
        # The pair answered twice is one pair: its refresh token rotates as usual.
        onward = refresh(client, again.json()["refresh_token"])
        assert onward.status_code == 200, onward.text
        assert me(client, onward.json()["access_token"]).json()["id"] == str(shopper.id)

    def test_a_second_past_the_window_is_reuse(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        first = login(client, shopper)
        lost = refresh(client, first["refresh_token"]).json()
        clock.advance(seconds=WINDOW + 1)
        assert_problem(refresh(client, first["refresh_token"]), 401, "token-reused")
        assert family(session, lost["refresh_token"]).revoked_reason == "reuse"
        assert_problem(refresh(client, lost["refresh_token"]), 401, "token-revoked")

    def test_once_the_pair_answered_is_exchanged_the_older_token_is_reuse(
        self, client: TestClient, session: Session, shopper: User
    ) -> None:
        first = login(client, shopper)
        second = refresh(client, first["refresh_token"]).json()
        third = refresh(client, second["refresh_token"]).json()
        # No time has passed, but the first token's exchange is no longer the last one.
        assert_problem(refresh(client, first["refresh_token"]), 401, "token-reused")
        assert family(session, third["refresh_token"]).revoked_reason == "reuse"

    def test_a_window_of_none_makes_every_second_use_reuse(
        self, session: Session, shopper: User
    ) -> None:
        pair = sessions.start_session(
            session, shopper, secret=SECRET, now=NOW, access_minutes=30, refresh_days=30
        )
        options: dict[str, Any] = {
            "secret": SECRET,
            "now": NOW,
            "access_minutes": 30,
            "refresh_days": 30,
            "retry_seconds": 0,
        }
        sessions.refresh(session, pair.refresh_token, **options)
        with pytest.raises(sessions.TokenReused):
            sessions.refresh(session, pair.refresh_token, **options)

    def test_a_retry_after_a_password_change_is_refused(
        self, client: TestClient, session: Session, shopper: User
    ) -> None:
        first = login(client, shopper)
        lost = refresh(client, first["refresh_token"]).json()
        changed = client.post(
            api_path("change_password", user_id=str(shopper.id)),
            json={"old_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers={"Authorization": f"Bearer {lost['access_token']}"},
        )
        assert changed.status_code == 204, changed.text
        body = assert_problem(refresh(client, first["refresh_token"]), 401, "invalid-token")
        assert body["detail"].startswith("The password was changed")

    def test_a_retry_of_an_ended_sign_in_is_refused(
        self, client: TestClient, shopper: User
    ) -> None:
        first = login(client, shopper)
        lost = refresh(client, first["refresh_token"]).json()
        assert logout(client, lost["refresh_token"]).status_code == 204
        assert_problem(refresh(client, first["refresh_token"]), 401, "token-revoked")


class TestLogout:
    def test_logout_ends_the_family_only(
        self, client: TestClient, session: Session, shopper: User
    ) -> None:
        phone = login(client, shopper)
        laptop = login(client, shopper)
        renewed = refresh(client, phone["refresh_token"]).json()
        response = logout(client, renewed["refresh_token"])
        assert (response.status_code, response.content) == (204, b"")
        row = family(session, renewed["refresh_token"])
        assert (row.revoked_at, row.revoked_reason) == (NOW, "logout")
        assert_problem(refresh(client, renewed["refresh_token"]), 401, "token-revoked")
        assert refresh(client, laptop["refresh_token"]).status_code == 200
        # Logging out again, or with a retired token of the family, is no error.
        assert logout(client, renewed["refresh_token"]).status_code == 204
        assert logout(client, phone["refresh_token"]).status_code == 204
        assert family(session, phone["refresh_token"]).revoked_reason == "logout"

    def test_logout_needs_a_refresh_token(self, client: TestClient, shopper: User) -> None:
        pair = login(client, shopper)
        assert_problem(logout(client, pair["access_token"]), 401, "invalid-token")
        assert_problem(logout(client, "not.a.jwt"), 401, "invalid-token")


class TestTokensFromBeforeFamilies:
    """Refresh tokens issued before families existed carry no ``fam``: the first use starts
    a family named after the token's id, so a second use is a reuse like any other."""

    def legacy(self, user: User, now: dt.datetime) -> str:
        return jwt.encode(
            {
                "sub": str(user.id),
                "typ": "refresh",
                "ver": 0,
                "iat": int(now.timestamp()),
                "exp": int((now + dt.timedelta(days=30)).timestamp()),
                "jti": uuid.uuid4().hex,
            },
            SECRET,
            algorithm="HS256",
        )

    def test_first_use_rotates_and_a_second_is_reuse(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        token = self.legacy(shopper, clock())
        response = refresh(client, token)
        assert response.status_code == 200, response.text
        new = response.json()["refresh_token"]
        assert claims(new)["fam"] == claims(token)["jti"]
        assert family(session, new).current_jti == claims(new)["jti"]
        clock.advance(seconds=WINDOW + 1)
        assert_problem(refresh(client, token), 401, "token-reused")
        assert_problem(refresh(client, new), 401, "token-revoked")

    def test_a_legacy_token_can_log_out(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        token = self.legacy(shopper, clock())
        assert logout(client, token).status_code == 204
        row = session.get(RefreshFamily, uuid.UUID(claims(token)["jti"]))
        assert row is not None
        assert (row.user_id, row.revoked_reason) == (shopper.id, "logout")
        assert_problem(refresh(client, token), 401, "token-revoked")


class TestSweep:
    def test_a_login_removes_the_users_expired_families(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        old = login(client, shopper)
        other = make_user(session, Role.shopper)
        others = login(client, other)
        clock.advance(days=31)
        login(client, shopper)
        session.expire_all()
        assert session.get(RefreshFamily, uuid.UUID(claims(old["refresh_token"])["fam"])) is None
        # Another user's expired family waits for their login or for `mshop users cleanup`.
        assert family(session, others["refresh_token"]).user_id == other.id
        assert auth_service.remove_expired_sessions(session, now=clock()) >= 1
        session.expire_all()
        assert session.get(RefreshFamily, uuid.UUID(claims(others["refresh_token"])["fam"])) is None

    def test_cleanup_keeps_families_in_use(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        pair = login(client, shopper)
        clock.advance(days=29)
        renewed = refresh(client, pair["refresh_token"]).json()
        clock.advance(days=29)  # 58 days after the login, 29 after the last refresh
        auth_service.remove_expired_sessions(session, now=clock())
        assert family(session, renewed["refresh_token"]).revoked_at is None
        assert refresh(client, renewed["refresh_token"]).status_code == 200


# --- Two requests with the same token at once ---------------------------------------------


@pytest.fixture
def committed_user(engine: Engine) -> Iterator[User]:
    """A user committed for real (two transactions must see it), removed afterwards."""
    user = User(
        email=f"race-{uuid.uuid4().hex[:8]}@example.kz",
        full_name="Race",
        role=Role.shopper,
        hashed_password=hash_password(PASSWORD),
        created_at=NOW,
    )
    with db.transaction(engine) as session:
        repository.add(session, user)
    yield user
    with db.transaction(engine) as session:
        found = session.get(User, user.id)
        assert found is not None
        session.delete(found)


@pytest.mark.parametrize("retry_seconds", [WINDOW, 0])
def test_of_two_racing_refreshes_one_wins_and_the_other_gets_its_pair(
    engine: Engine, committed_user: User, retry_seconds: int
) -> None:
    """Two requests with one token, their transactions overlapping: the database lets one
    rotate; the other, once it gets the row, finds its token just retired and is answered the
    winner's pair; with no retry window it is reuse and revokes the family."""
    with db.transaction(engine) as session:
        pair = sessions.start_session(
            session, committed_user, secret=SECRET, now=NOW, access_minutes=30, refresh_days=30
        )
    token = pair.refresh_token
    first_rotated, second_started = threading.Event(), threading.Event()
    outcomes: dict[str, TokenPair | ServiceError] = {}

    async def request_async(
        name: str, before: threading.Event | None, after: threading.Event
    ) -> None:
        # Production's own request transaction (db.get_session), driven by hand.
        steps = db.get_session(Session(engine, expire_on_commit=False))
        session = await anext(steps)
        if before is not None:
            assert before.wait(10)
            after.set()
        try:
            outcomes[name] = sessions.refresh(
                session,
                token,
                secret=SECRET,
                now=NOW,
                access_minutes=30,
                refresh_days=30,
                retry_seconds=retry_seconds,
            )
        except ServiceError as exc:
            outcomes[name] = exc
            with pytest.raises(ServiceError):
                await steps.athrow(exc)  # rolls back, then runs the after-request revocation
            return
        if before is None:
            after.set()
            # Hold the row (and, on SQLite, the write lock) while the other request queues.
            assert second_started.wait(10)
            time.sleep(0.3)
        with pytest.raises(StopAsyncIteration):
            await anext(steps)  # commits

    def request(name: str, before: threading.Event | None, after: threading.Event) -> None:
        anyio.run(request_async, name, before, after)

    first = threading.Thread(target=request, args=("first", None, first_rotated))
    second = threading.Thread(target=request, args=("second", first_rotated, second_started))
    first.start()
    second.start()
    first.join(30)
    second.join(30)
    winner, loser = outcomes["first"], outcomes["second"]
    assert isinstance(winner, TokenPair)
    if retry_seconds:
        assert loser == winner
        with db.transaction(engine) as session:
            row = session.exec(
                select(RefreshFamily).where(col(RefreshFamily.user_id) == committed_user.id)
            ).one()
            assert (row.current_jti, row.revoked_at) == (claims(winner.refresh_token)["jti"], None)
        return
    assert isinstance(loser, sessions.TokenReused)
    with db.transaction(engine) as session:
        row = session.exec(
            select(RefreshFamily).where(col(RefreshFamily.user_id) == committed_user.id)
        ).one()
        assert row.revoked_reason == "reuse"
        # The winner's new token went down with the family.
        with pytest.raises(sessions.TokenRevoked):
            sessions.refresh(
                session,
                winner.refresh_token,
                secret=SECRET,
                now=NOW,
                access_minutes=30,
                refresh_days=30,
                retry_seconds=retry_seconds,
            )


def test_encode_token_names_the_family() -> None:
    family_id = uuid.uuid4()
    token = encode_token(
        subject=uuid.uuid4(),
        token_type="refresh",
        secret=SECRET,
        now=NOW,
        ttl=dt.timedelta(days=1),
        jti="abc",
        family=family_id,
    )
    assert (claims(token)["fam"], claims(token)["jti"]) == (family_id.hex, "abc")
