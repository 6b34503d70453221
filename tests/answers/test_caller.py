"""Who may sync answers: the sync reads its caller's account in the visit's own statement
(``ShopperCaller``, ``visits.repository.lock_own``), and must answer every refusal as the
shopper routes that check it through ``ShopperUser`` do, before its body is validated or
its visit looked for, storing nothing."""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from service.answers.models import Answer
from service.auth.models import User
from service.auth.roles import Role
from service.auth.security import encode_token
from tests.answers.test_router import answer, sync
from tests.conftest import SECRET, FrozenClock
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user


def _token(user: User, clock: FrozenClock, **overrides: Any) -> dict[str, str]:
    args: dict[str, Any] = {
        "subject": user.id,
        "token_type": "access",
        "secret": SECRET,
        "now": clock(),
        "ttl": dt.timedelta(minutes=30),
    } | overrides
    return {"Authorization": f"Bearer {encode_token(**args)}"}


def _no_header(_session: Session, _user: User, _clock: FrozenClock) -> dict[str, str]:
    return {}


def _not_a_jwt(_session: Session, _user: User, _clock: FrozenClock) -> dict[str, str]:
    return {"Authorization": "Bearer not.a.jwt"}


def _refresh_token(_session: Session, user: User, clock: FrozenClock) -> dict[str, str]:
    return _token(user, clock, token_type="refresh")


def _expired(_session: Session, user: User, clock: FrozenClock) -> dict[str, str]:
    headers = bearer(user, clock)
    clock.advance(hours=2)
    return headers


def _other_secret(_session: Session, user: User, clock: FrozenClock) -> dict[str, str]:
    return _token(user, clock, secret="another-secret-of-at-least-thirty-two-characters")


def _disabled(session: Session, user: User, clock: FrozenClock) -> dict[str, str]:
    headers = bearer(user, clock)
    user.is_active = False
    session.flush()
    return headers


def _password_changed(session: Session, user: User, clock: FrozenClock) -> dict[str, str]:
    headers = bearer(user, clock)
    user.token_version += 1
    session.flush()
    return headers


def _coordinator(session: Session, _user: User, clock: FrozenClock) -> dict[str, str]:
    return bearer(make_user(session, Role.coordinator), clock)


Arrange = Callable[[Session, User, FrozenClock], dict[str, str]]


@pytest.mark.parametrize(
    ("arrange", "status", "code"),
    [
        (_no_header, 401, "not-authenticated"),
        (_not_a_jwt, 401, "invalid-token"),
        (_refresh_token, 401, "invalid-token"),
        (_expired, 401, "token-expired"),
        (_other_secret, 401, "invalid-token"),
        (_disabled, 401, "user-inactive"),
        (_password_changed, 401, "invalid-token"),
        (_coordinator, 403, "forbidden"),
    ],
)
def test_refusals_match_other_shopper_routes(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    shopper: User,
    arrange: Arrange,
    status: int,
    code: str,
) -> None:
    visit = make_visit(session, shopper=shopper)
    headers = arrange(session, shopper, clock)
    synced = sync(client, visit, headers, answer("overall_rating", 4))
    # The same caller on another route that checks a shopper through ``ShopperUser``.
    started = client.post(api_path("start_visit", visit_id=visit.id), headers=headers)
    assert synced.status_code == status
    assert synced.headers["content-type"] == "application/problem+json"
    assert synced.json()["code"] == code
    assert (started.status_code, started.json()["code"]) == (status, code)
    if status == 401:
        assert synced.headers["WWW-Authenticate"] == "Bearer"
        assert started.headers["WWW-Authenticate"] == "Bearer"
    # A caller who may not sync learns that, not what is wrong with the body or the visit,
    # as the dependencies of other routes answer before FastAPI validates their bodies.
    too_many = [answer("overall_rating", 4) for _ in range(501)]  # the limit is 500
    bad_bodies: list[dict[str, Any]] = [
        {"json": {"answers": "none"}},
        {"json": {"answers": too_many}},
        {"content": b""},
        {"json": [{"answers": []}]},
    ]
    for bad in bad_bodies:
        refused = client.put(api_path("sync_answers", visit_id=visit.id), headers=headers, **bad)
        assert (refused.status_code, refused.json()["code"]) == (status, code), bad
    for elsewhere in (
        uuid.uuid4(),
        make_visit(session, shopper=make_user(session, Role.shopper)).id,
    ):
        refused = client.put(
            api_path("sync_answers", visit_id=elsewhere),
            json={"answers": [answer("overall_rating", 4)]},
            headers=headers,
        )
        assert (refused.status_code, refused.json()["code"]) == (status, code)
    stored = session.exec(
        select(func.count()).select_from(Answer).where(col(Answer.visit_id) == visit.id)
    ).one()
    assert stored == 0


def test_the_shopper_syncs(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    visit = make_visit(session, shopper=shopper)
    response = sync(client, visit, bearer(shopper, clock), answer("overall_rating", 4))
    assert response.status_code == 200
    assert response.json()["created"] == 1
    rows = session.exec(select(Answer).where(col(Answer.visit_id) == visit.id)).all()
    assert [(r.item_code, r.value, r.author_id) for r in rows] == [
        ("overall_rating", 4, shopper.id)
    ]
