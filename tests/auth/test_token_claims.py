"""Tokens signed with the real secret whose claims have the wrong type: a 401, never a 500.

The signature proves a token is ours, not that each claim has the type we write; a claim
JSON can carry as a string, a list, an object, NaN, Infinity, true or null (Python's json
reads NaN and Infinity), or one left out, must be refused as an invalid token.
"""

import datetime as dt
import json
import uuid
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from service.auth.models import User
from service.auth.roles import Role
from service.auth.security import TokenType, decode_token
from service.errors import InvalidToken
from tests.conftest import NOW, SECRET, FrozenClock
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user

MISSING = object()
# json.dumps writes NaN, Infinity and -Infinity for these; PyJWT's json.loads reads them back.
WRONG_TYPES: dict[str, Any] = {
    "string": "soon",
    "numeric-string": "1900000000",
    "list": [1900000000],
    "object": {"at": 1900000000},
    "nan": float("nan"),
    "infinity": float("inf"),
    "minus-infinity": float("-inf"),
    "true": True,
    "null": None,
    "missing": MISSING,
}
# Which kinds each claim may legitimately be; every other kind above is a wrong type for it.
CLAIMS = ["exp", "iat", "sub", "typ", "jti", "ver"]
KINDS_OF_CASES = [
    (claim, kind)
    for claim in CLAIMS
    for kind in WRONG_TYPES
    # A token from before versions existed has no `ver`, read as version 0 (see below);
    # any string is a jti's type (its length is checked below).
    if not (claim == "ver" and kind == "missing")
    and not (claim == "jti" and kind.endswith("string"))
]
CASES = [pytest.param(claim, kind, id=f"{claim}-{kind}") for claim, kind in KINDS_OF_CASES]


def claims_of(user: User | uuid.UUID, now: dt.datetime, token_type: str) -> dict[str, Any]:
    user_id, version = (user, 0) if isinstance(user, uuid.UUID) else (user.id, user.token_version)
    return {
        "sub": str(user_id),
        "typ": token_type,
        "ver": version,
        "iat": int(now.timestamp()),
        "exp": int((now + dt.timedelta(minutes=30)).timestamp()),
        "jti": uuid.uuid4().hex,
    }


def signed(claims: dict[str, Any], claim: str, value: Any) -> str:
    changed = {k: v for k, v in claims.items() if k != claim}
    if value is not MISSING:
        changed[claim] = value
    # PyJWT refuses to write NaN for us, so the payload is serialised here as Python's json
    # would (allow_nan), and signed with the real secret.
    return jwt.encode(changed, SECRET, algorithm="HS256", json_encoder=_NanEncoder)


class _NanEncoder(json.JSONEncoder):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**(kwargs | {"allow_nan": True}))


def read_me(client: TestClient, token: str) -> Response:
    return client.get(api_path("read_me"), headers={"Authorization": f"Bearer {token}"})


def refresh(client: TestClient, token: str) -> Response:
    return client.post(api_path("refresh_tokens"), json={"refresh_token": token})


@pytest.mark.parametrize(("claim", "kind"), CASES)
def test_decoding_refuses_a_wrong_claim_type(claim: str, kind: str) -> None:
    token_types: tuple[TokenType, ...] = ("access", "refresh")
    for token_type in token_types:
        token = signed(claims_of(uuid.uuid4(), NOW, token_type), claim, WRONG_TYPES[kind])
        with pytest.raises(InvalidToken) as raised:
            decode_token(token, expected_type=token_type, secret=SECRET, now=NOW)
        assert type(raised.value) is InvalidToken
        assert raised.value.detail


@pytest.mark.parametrize("claim", CLAIMS)
def test_an_access_token_with_a_wrong_claim_type_is_a_401(
    client: TestClient, session: Session, clock: FrozenClock, claim: str
) -> None:
    user = make_user(session, Role.shopper)
    kinds = [kind for c, kind in KINDS_OF_CASES if c == claim]
    answers = {
        kind: problem(read_me(client, signed(claims_of(user, clock(), "access"), claim, value)))
        for kind, value in WRONG_TYPES.items()
        if kind in kinds
    }
    assert answers == dict.fromkeys(kinds, (401, "invalid-token", "Invalid token"))


@pytest.mark.parametrize("claim", [*CLAIMS, "fam"])
def test_a_refresh_token_with_a_wrong_claim_type_is_a_401(
    client: TestClient, session: Session, clock: FrozenClock, claim: str
) -> None:
    user = make_user(session, Role.shopper)
    claims = claims_of(user, clock(), "refresh") | {"fam": uuid.uuid4().hex}
    # A refresh token from before families has no `fam` (its family is named after its
    # jti); one whose jti is no uuid is not one of ours.
    claims["jti"] = "not-a-uuid" if claim == "fam" else claims["jti"]
    kinds = [kind for c, kind in KINDS_OF_CASES if c == claim] or list(WRONG_TYPES)
    answers = {
        kind: problem(refresh(client, signed(claims, claim, value)))
        for kind, value in WRONG_TYPES.items()
        if kind in kinds
    }
    assert answers == dict.fromkeys(kinds, (401, "invalid-token", "Invalid token"))


def problem(response: Response) -> tuple[int, str, str]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    body = response.json()
    assert body["status"] == response.status_code
    return response.status_code, body["code"], body["title"]


@pytest.mark.parametrize(
    ("claim", "value", "detail"),
    [
        ("sub", "not-a-uuid", "The token's subject is not a user id."),
        ("sub", "x" * 10_000, "The token's subject is not a user id."),
        ("ver", -1, "The token's version is not a whole number."),
        ("ver", 1.0, "The token's version is not a whole number."),
        ("jti", "", "The token's id is not one this service issues."),
        ("jti", "j" * 65, "The token's id is not one this service issues."),
        ("typ", "refresh", "Expected an access token."),
        ("typ", "ACCESS", "Expected an access token."),
        ("iat", 10**400, "The token was issued in the future."),
    ],
)
def test_wrong_values_of_the_right_type_are_invalid(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    claim: str,
    value: Any,
    detail: str,
) -> None:
    user = make_user(session, Role.shopper)
    token = signed(claims_of(user, clock(), "access"), claim, value)
    assert assert_problem(read_me(client, token), 401, "invalid-token")["detail"] == detail


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("ver", MISSING),  # issued before versions existed: version 0
        ("exp", 10**400),  # a whole number beyond any float is still compared exactly
        ("exp", 1_900_000_000.5),  # NumericDate may have a fraction
        ("iat", 1_700_000_000.25),
    ],
    ids=["ver-missing", "exp-huge", "exp-float", "iat-float"],
)
def test_legitimate_forms_of_the_claims_are_accepted(
    client: TestClient, session: Session, clock: FrozenClock, claim: str, value: Any
) -> None:
    user = make_user(session, Role.shopper)
    token = signed(claims_of(user, clock(), "access"), claim, value)
    response = read_me(client, token)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(user.id)


def test_an_expired_fractional_exp_is_expired(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = make_user(session, Role.shopper)
    token = signed(claims_of(user, clock(), "access"), "exp", clock().timestamp() - 0.5)
    assert_problem(read_me(client, token), 401, "token-expired")
