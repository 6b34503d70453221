"""The console's session cookie: who signed in, the form token, and when it was last used.

The cookie is a JWT signed with a key derived from the app's secret for this use only, so
no console cookie is ever accepted as an API token, nor an API token as a cookie. It names
the sign-in (a refresh family of ``auth.sessions``, which logout revokes), the account's
token version (a password change ends the session, as it does API tokens), a CSRF token and
the time of the last request (idle timeout). A visitor not signed in has one too, carrying
only the CSRF token, so the sign-in form is protected as every other form.
"""

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, replace
from typing import Any

import jwt

COOKIE = "mshop_console"
LANGUAGE_COOKIE = "mshop_lang"
CSRF_FIELD = "csrf_token"
_ALGORITHM = "HS256"
_TYPE = "console"


@dataclass(frozen=True)
class ConsoleSession:
    csrf: str
    seen: float
    user_id: uuid.UUID | None = None
    family_id: uuid.UUID | None = None
    version: int = 0

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None and self.family_id is not None

    def touched(self, now: dt.datetime) -> "ConsoleSession":
        return replace(self, seen=now.timestamp())

    def idle(self, now: dt.datetime, idle_minutes: int) -> bool:
        return now.timestamp() - self.seen > idle_minutes * 60


def anonymous(now: dt.datetime) -> ConsoleSession:
    """A new visitor's session: a fresh CSRF token, nobody signed in."""
    return ConsoleSession(csrf=secrets.token_urlsafe(32), seen=now.timestamp())


def signed_in(
    now: dt.datetime, *, user_id: uuid.UUID, family_id: uuid.UUID, version: int
) -> ConsoleSession:
    """The session after a sign-in: a new CSRF token too, so one seen before is worthless."""
    return ConsoleSession(
        csrf=secrets.token_urlsafe(32),
        seen=now.timestamp(),
        user_id=user_id,
        family_id=family_id,
        version=version,
    )


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"mshop console session", hashlib.sha256).digest()


def encode(state: ConsoleSession, secret: str) -> str:
    claims: dict[str, Any] = {"typ": _TYPE, "csrf": state.csrf, "seen": state.seen}
    if state.user_id is not None and state.family_id is not None:
        claims |= {"sub": str(state.user_id), "fam": state.family_id.hex, "ver": state.version}
    return jwt.encode(claims, _key(secret), algorithm=_ALGORITHM)


def decode(value: str | None, secret: str) -> ConsoleSession | None:
    """The session in a cookie, or None for a missing, forged or malformed one."""
    if not value:
        return None
    try:
        claims = jwt.decode(value, _key(secret), algorithms=[_ALGORITHM])
    except jwt.PyJWTError:
        return None
    csrf, seen = claims.get("csrf"), claims.get("seen")
    if claims.get("typ") != _TYPE or not isinstance(csrf, str) or not csrf:
        return None
    if not isinstance(seen, int | float) or isinstance(seen, bool):
        return None
    state = ConsoleSession(csrf=csrf, seen=float(seen))
    if "sub" not in claims:
        return state
    try:
        user_id, family_id = uuid.UUID(str(claims["sub"])), uuid.UUID(hex=str(claims["fam"]))
    except (KeyError, ValueError):
        return None
    version = claims.get("ver")
    if not isinstance(version, int) or isinstance(version, bool):
        return None
    return replace(state, user_id=user_id, family_id=family_id, version=version)


def csrf_matches(state: ConsoleSession, sent: object) -> bool:
    """Whether a form's token is the session's (in constant time)."""
    return isinstance(sent, str) and hmac.compare_digest(sent.encode(), state.csrf.encode())
