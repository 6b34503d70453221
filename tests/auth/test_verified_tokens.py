"""Signatures verified once per token (``security._verified``): a token read from the cache is
held to every check a fresh one is, and only tokens signed with the secret take room."""

import datetime as dt
import uuid
from collections.abc import Iterator

import jwt
import pytest

from service.auth import security
from service.auth.security import VERIFIED_TOKENS, decode_token, encode_token
from service.errors import InvalidToken, TokenExpired
from tests.conftest import NOW, SECRET

LIFETIME = dt.timedelta(minutes=30)


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    security._verified.cache_clear()
    yield
    security._verified.cache_clear()


def access_token(subject: uuid.UUID | None = None, *, secret: str = SECRET) -> str:
    return encode_token(
        subject=subject or uuid.uuid4(),
        token_type="access",
        secret=secret,
        now=NOW,
        ttl=LIFETIME,
    )


def test_a_token_is_verified_once_and_read_the_same_each_time() -> None:
    subject = uuid.uuid4()
    token = access_token(subject)
    first = decode_token(token, expected_type="access", secret=SECRET, now=NOW)
    second = decode_token(token, expected_type="access", secret=SECRET, now=NOW)
    assert first == second
    assert first.subject == subject
    info = security._verified.cache_info()
    assert (info.misses, info.hits, info.currsize) == (1, 1, 1)


def test_a_cached_token_still_expires() -> None:
    token = access_token()
    decode_token(token, expected_type="access", secret=SECRET, now=NOW)
    with pytest.raises(TokenExpired):
        decode_token(token, expected_type="access", secret=SECRET, now=NOW + LIFETIME)
    assert security._verified.cache_info().hits == 1


def test_a_cached_token_is_still_of_its_own_type() -> None:
    token = access_token()
    decode_token(token, expected_type="access", secret=SECRET, now=NOW)
    with pytest.raises(InvalidToken, match="Expected a refresh token"):
        decode_token(token, expected_type="refresh", secret=SECRET, now=NOW)


def test_a_token_cached_under_one_secret_is_refused_under_another() -> None:
    # A rotated secret must end every token signed with the old one, cached or not.
    token = access_token()
    decode_token(token, expected_type="access", secret=SECRET, now=NOW)
    with pytest.raises(InvalidToken, match="signature"):
        decode_token(token, expected_type="access", secret=SECRET + "-rotated", now=NOW)


def test_a_token_not_signed_with_the_secret_takes_no_room() -> None:
    forged = access_token(secret="x" * len(SECRET))
    garbage = "not.a.token"
    unsigned = jwt.encode({"sub": str(uuid.uuid4())}, key=None, algorithm="none")
    for token in (forged, garbage, unsigned, forged):
        with pytest.raises(InvalidToken):
            decode_token(token, expected_type="access", secret=SECRET, now=NOW)
    info = security._verified.cache_info()
    assert (info.hits, info.currsize) == (0, 0)


def test_the_cache_keeps_the_most_recent_tokens_up_to_its_bound() -> None:
    tokens = [access_token() for _ in range(VERIFIED_TOKENS + 10)]
    for token in tokens:
        decode_token(token, expected_type="access", secret=SECRET, now=NOW)
    assert security._verified.cache_info().currsize == VERIFIED_TOKENS
    # The newest is still there; the oldest went first and is verified afresh.
    decode_token(tokens[-1], expected_type="access", secret=SECRET, now=NOW)
    decode_token(tokens[0], expected_type="access", secret=SECRET, now=NOW)
    info = security._verified.cache_info()
    assert (info.hits, info.misses) == (1, VERIFIED_TOKENS + 11)


def test_the_claims_kept_cannot_be_changed_by_a_reader() -> None:
    token = access_token()
    decode_token(token, expected_type="access", secret=SECRET, now=NOW)
    claims = security._verified(token, SECRET)
    with pytest.raises(TypeError):
        claims["typ"] = "refresh"  # type: ignore[index]
    assert claims["typ"] == "access"


def test_a_kept_token_with_a_claim_of_the_wrong_type_is_refused_each_time() -> None:
    # Signed with the secret, so its signature is kept; its claims are checked on every use.
    token = jwt.encode(
        {"sub": str(uuid.uuid4()), "typ": "access", "jti": "x", "iat": 0, "exp": "soon"},
        SECRET,
        algorithm="HS256",
    )
    for _ in range(2):
        with pytest.raises(InvalidToken, match="exp is not a time"):
            decode_token(token, expected_type="access", secret=SECRET, now=NOW)
    info = security._verified.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_refresh_tokens_are_not_kept() -> None:
    # Each is exchanged once: keeping them would only push out access tokens in use.
    token = encode_token(
        subject=uuid.uuid4(), token_type="refresh", secret=SECRET, now=NOW, ttl=LIFETIME
    )
    for _ in range(2):
        claims = decode_token(token, expected_type="refresh", secret=SECRET, now=NOW)
    assert claims.version == 0
    assert security._verified.cache_info().currsize == 0
