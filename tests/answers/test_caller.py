"""Who may sync answers or upload directly: these routes read their caller's account in the
visit's own statement (``ShopperCaller``; ``visits.repository.lock_own_row`` for a sync,
``lock_own`` and ``get_own`` for uploads),
and must answer every refusal as the shopper routes that check it through ``ShopperUser``
do, before their body is validated or their visit looked for, storing nothing."""

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
from service.photos.models import Photo
from tests.answers.test_router import answer, sync
from tests.conftest import SECRET, FrozenClock
from tests.fixtures import images
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user
from tests.photos.test_direct import upload_request


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


# Each way a caller may not sync, and what every shopper route answers it.
REFUSALS = [
    (_no_header, 401, "not-authenticated"),
    (_not_a_jwt, 401, "invalid-token"),
    (_refresh_token, 401, "invalid-token"),
    (_expired, 401, "token-expired"),
    (_other_secret, 401, "invalid-token"),
    (_disabled, 401, "user-inactive"),
    (_password_changed, 401, "invalid-token"),
    (_coordinator, 403, "forbidden"),
]


@pytest.mark.parametrize(("arrange", "status", "code"), REFUSALS)
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


def _upload() -> dict[str, Any]:
    data = images.photo(seed=90)
    return upload_request(data)


# The direct upload's routes read their caller's account with the visit too (``ShopperCaller``):
# (route, its method, a valid body, bodies that are not valid for it).
PHOTO_ROUTES: list[tuple[str, str, Callable[[], Any], list[dict[str, Any]]]] = [
    ("start_upload", "post", _upload, [{"json": {"size_bytes": "many"}}, {"content": b""}]),
    (
        "start_uploads",
        "post",
        lambda: {"uploads": [_upload()]},
        [{"json": {"uploads": []}}, {"json": {"uploads": [_upload()] * 21}}],  # at most 20
    ),
    (
        "complete_uploads",
        "post",
        lambda: {"photo_ids": [str(uuid.uuid4())]},
        [{"json": {"photo_ids": ["x"]}}, {"json": {"photo_ids": [str(uuid.uuid4())] * 21}}],
    ),
]


@pytest.mark.parametrize(("route", "method", "good", "bad_bodies"), PHOTO_ROUTES)
@pytest.mark.parametrize(("arrange", "status", "code"), REFUSALS)
def test_direct_upload_routes_refuse_as_other_shopper_routes(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    shopper: User,
    arrange: Arrange,
    status: int,
    code: str,
    route: str,
    method: str,
    good: Callable[[], Any],
    bad_bodies: list[dict[str, Any]],
) -> None:
    visit = make_visit(session, shopper=shopper)
    headers = arrange(session, shopper, clock)
    theirs = make_visit(session, shopper=make_user(session, Role.shopper)).id
    sent = [
        (visit.id, {"json": good()}),
        *[(visit.id, bad) for bad in bad_bodies],
        (uuid.uuid4(), {"json": good()}),
        (theirs, {"json": good()}),
    ]
    for visit_id, body in sent:
        refused = client.request(
            method, api_path(route, visit_id=visit_id), headers=headers, **body
        )
        assert refused.headers["content-type"] == "application/problem+json"
        assert (refused.status_code, refused.json()["code"]) == (status, code), body
        if status == 401:
            assert refused.headers["WWW-Authenticate"] == "Bearer"
    photos = session.exec(select(func.count()).select_from(Photo)).one()
    assert photos == 0


@pytest.mark.parametrize(
    ("route", "method"),
    [("sync_answers", "put"), *[(route, method) for route, method, _, _ in PHOTO_ROUTES]],
)
def test_a_body_that_does_not_parse_is_400_not_500(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    shopper: User,
    route: str,
    method: str,
) -> None:
    # Found by the fuzzer: bytes that are no UTF-8 failed to decode past the JSON check; and
    # nesting deeper than Python's stack (within the body limit).
    visit = make_visit(session, shopper=shopper)
    for body in (b'{"photo_ids": \xff}', b"[" * 100_000):
        response = client.request(
            method,
            api_path(route, visit_id=visit.id),
            content=body,
            headers=bearer(shopper, clock) | {"content-type": "application/json"},
        )
        assert response.headers["content-type"] == "application/problem+json"
        assert (response.status_code, response.json()["code"]) == (400, "bad-request")
