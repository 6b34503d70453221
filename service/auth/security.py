"""Password hashing (argon2) and signed tokens (JWT, HS256)."""

import datetime as dt
import math
import uuid
from collections.abc import Mapping
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from service.errors import InvalidToken, TokenExpired

TokenType = Literal["access", "refresh"]
_ARTICLE: dict[TokenType, str] = {"access": "an", "refresh": "a"}
ALGORITHM = "HS256"
# Our ids are 32 hex digits; anything much longer is not one of ours.
MAX_JTI_LENGTH = 64
# API processes on several machines may disagree on the time by this much.
CLOCK_LEEWAY_SECONDS = 60
# Access tokens whose signature this process has verified, kept to skip verifying them
# again; the least recently used go first. About 1.4 kB each with the token's own text
# (1.1 kB of claims measured with tracemalloc), so 3 MB at most.
VERIFIED_TOKENS = 2048

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A real hash with the hasher's own parameters: verifying against it for unknown
    accounts keeps login timing uniform. Made on first use, not at import, where its
    argon2 work was a tenth of the API's start-up (bench/demo.py)."""
    return _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def needs_rehash(hashed: str) -> bool:
    """Whether ``hashed`` was made with other parameters than the hasher's own."""
    return _hasher.check_needs_rehash(hashed)


def verify_password(password: str, hashed: str | None) -> bool:
    """Check ``password`` against ``hashed``; with no hash, the same work against a dummy."""
    try:
        return _hasher.verify(hashed or _dummy_hash(), password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


class TokenClaims(NamedTuple):
    subject: uuid.UUID
    # The user's token_version when the token was issued.
    version: int
    # The token's own id.
    jti: str
    # A refresh token's family (one login's chain of refresh tokens); None on access tokens
    # and on refresh tokens issued before families existed.
    family: uuid.UUID | None = None


def encode_token(
    *,
    subject: uuid.UUID,
    token_type: TokenType,
    secret: str,
    now: dt.datetime,
    ttl: dt.timedelta,
    version: int = 0,
    jti: str | None = None,
    family: uuid.UUID | None = None,
) -> str:
    claims: dict[str, Any] = {
        "sub": str(subject),
        "typ": token_type,
        "ver": version,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": jti or uuid.uuid4().hex,
    }
    if family is not None:
        claims["fam"] = family.hex
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(
    token: str, *, expected_type: TokenType, secret: str, now: dt.datetime
) -> TokenClaims:
    """Return the claims of a valid token of the expected type, or raise a 401.

    The signature only proves the token is ours, not that every claim has the type we wrote:
    a claim of the wrong type (a string ``exp``, a list ``sub``, NaN) is an invalid token,
    never an error of the server's.
    """
    # Access tokens come back with every request; a refresh token is exchanged once.
    claims = (_verified if expected_type == "access" else _read_claims)(token, secret)
    if claims["typ"] != expected_type:
        raise InvalidToken(f"Expected {_ARTICLE[expected_type]} {expected_type} token.")
    expires = _numeric_date(claims, "exp")
    issued = _numeric_date(claims, "iat")
    if expires <= now.timestamp():
        raise TokenExpired("The token has expired; log in again or refresh it.")
    if issued > now.timestamp() + CLOCK_LEEWAY_SECONDS:
        raise InvalidToken("The token was issued in the future.")
    subject = _uuid(claims, "sub", "The token's subject is not a user id.")
    # Tokens issued before versions existed carry none: version 0, which every user started at.
    version = claims.get("ver", 0)
    if type(version) is not int or version < 0:
        raise InvalidToken("The token's version is not a whole number.")
    jti = claims["jti"]
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
        raise InvalidToken("The token's id is not one this service issues.")
    family = None
    if "fam" in claims:
        family = _uuid(claims, "fam", "The token's family is not an id.")
    return TokenClaims(subject, version, jti, family)


def _read_claims(token: str, secret: str) -> Mapping[str, Any]:
    """The claims of a token signed with ``secret``; ``InvalidToken`` for any other."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            # Times are checked by the caller, against the injected clock so tests can move
            # time, and with their types checked first.
            options={
                "require": ["sub", "exp", "iat", "typ", "jti"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken("The token is malformed or its signature is wrong.") from exc
    return MappingProxyType(claims)  # kept by ``_verified`` for every use: nobody may change it


# The claims of an access token, read once per token and secret. A phone sends the same
# access token with every request until it expires, and checking its HMAC and parsing its
# JSON was most of what checking a token cost. Only a token whose signature verifies is kept
# (``lru_cache`` keeps no exception), so only tokens this service issued take room; every
# check of the claims themselves, the times included, runs on each use in ``decode_token``.
_verified = lru_cache(maxsize=VERIFIED_TOKENS)(_read_claims)


def _numeric_date(claims: Mapping[str, Any], name: str) -> int | float:
    """A JWT NumericDate: a finite number of seconds (JSON's true and false are not)."""
    value: object = claims[name]
    # Whole numbers are compared exactly, however large (float() of 10**400 overflows).
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise InvalidToken(f"The token's {name} is not a time.")


def _uuid(claims: Mapping[str, Any], name: str, message: str) -> uuid.UUID:
    value = claims[name]
    if not isinstance(value, str) or len(value) > 36:
        raise InvalidToken(message)
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidToken(message) from exc
