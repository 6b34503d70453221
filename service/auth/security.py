"""Password hashing (argon2) and signed tokens (JWT, HS256)."""

import datetime as dt
import uuid
from typing import Any, Literal, NamedTuple

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from service.errors import InvalidToken, TokenExpired

TokenType = Literal["access", "refresh"]
ALGORITHM = "HS256"

_hasher = PasswordHasher()
# Verifying against a real hash for unknown accounts keeps login timing uniform.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    try:
        return _hasher.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


class TokenClaims(NamedTuple):
    subject: uuid.UUID
    # The user's token_version when the token was issued.
    version: int


def encode_token(
    *,
    subject: uuid.UUID,
    token_type: TokenType,
    secret: str,
    now: dt.datetime,
    ttl: dt.timedelta,
    version: int = 0,
) -> str:
    claims = {
        "sub": str(subject),
        "typ": token_type,
        "ver": version,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(
    token: str, *, expected_type: TokenType, secret: str, now: dt.datetime
) -> TokenClaims:
    """Return the subject and version of a valid token of the expected type, or raise a 401."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "typ"], "verify_exp": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken("The token is malformed or its signature is wrong.") from exc
    if claims.get("typ") != expected_type:
        raise InvalidToken(f"Expected an {expected_type} token.")
    # Expiry is checked against the injected clock so tests can move time.
    if int(claims["exp"]) <= int(now.timestamp()):
        raise TokenExpired("The token has expired; log in again or refresh it.")
    try:
        subject = uuid.UUID(str(claims["sub"]))
    except ValueError as exc:
        raise InvalidToken("The token's subject is not a user id.") from exc
    # Tokens issued before versions existed carry none: version 0, which every user started at.
    version = claims.get("ver", 0)
    if type(version) is not int:
        raise InvalidToken("The token's version is not a whole number.")
    return TokenClaims(subject, version)
