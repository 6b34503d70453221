"""App tokens: made, found, revoked; and the QR code that sets up Collect with one.

A token is 32 random bytes (256 bits), shown once; the database keeps its SHA-256. A slow
password hash (argon2) protects *guessable* secrets against an attacker holding the hashes;
a 256-bit random token cannot be guessed, so one fast hash is as safe, and it lets a request
find its token by an indexed equality instead of verifying every stored hash.
"""

import base64
import datetime as dt
import hashlib
import io
import json
import secrets
import uuid
import zlib
from typing import Any, ClassVar

import segno
from sqlmodel import Session

from service.auth.models import User
from service.auth.roles import Role
from service.errors import Conflict, ErrorCode, Forbidden, NotFound, ValidationFailed
from service.openrosa import repository
from service.openrosa.models import AppToken

TOKEN_BYTES = 32


class AppTokenNotFound(NotFound):
    code: ClassVar[ErrorCode] = "app-token-not-found"
    title = "App token not found"


class TooManyAppTokens(Conflict):
    code: ClassVar[ErrorCode] = "too-many-app-tokens"
    title = "Too many app tokens"


class AppTokenRevoked(Forbidden):
    code: ClassVar[ErrorCode] = "app-token-revoked"
    title = "App token revoked"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    session: Session, user: User, actor: User, *, label: str, now: dt.datetime, limit: int
) -> tuple[AppToken, str]:
    """A new token for shopper ``user``; the token itself is returned this once.

    Raises:
        ValidationFailed: ``user`` is not an active shopper (only shoppers use Collect).
        TooManyAppTokens: the shopper already holds ``limit`` active tokens.
    """
    if user.role != Role.shopper or not user.is_active:
        raise ValidationFailed("App tokens are for active shoppers only.")
    if repository.count_active(session, user.id) >= limit:
        raise TooManyAppTokens(
            f"The shopper already holds {limit} active app tokens; revoke one first."
        )
    token = new_token()
    row = AppToken(
        user_id=user.id,
        token_hash=hash_token(token),
        label=label,
        created_at=now,
        created_by_id=actor.id,
    )
    repository.add(session, row)
    return row, token


def get(session: Session, user: User, token_id: uuid.UUID) -> AppToken:
    row = repository.get_token(session, token_id)
    if row is None or row.user_id != user.id:
        raise AppTokenNotFound(f"The user has no app token {token_id}.")
    return row


def revoke(session: Session, row: AppToken, *, now: dt.datetime) -> AppToken:
    """Revoke the token; revoking it again changes nothing."""
    if row.revoked_at is None:
        row.revoked_at = now
        repository.add(session, row)
    return row


def user_for(session: Session, token: str, *, now: dt.datetime) -> User:
    """The active shopper holding ``token``.

    Raises:
        AppTokenRevoked: the token is unknown, revoked, or its account inactive. One answer
            for all three, so a caller learns nothing about tokens it does not hold.
    """
    found = repository.active_token(session, hash_token(token))
    if found is None:
        raise AppTokenRevoked("This server link is not valid any more; ask for a new QR code.")
    row, user = found
    if not user.is_active or user.role != Role.shopper:
        raise AppTokenRevoked("This server link is not valid any more; ask for a new QR code.")
    # Once a minute at most: every Collect request would otherwise write a row.
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=1):
        repository.touch(session, row.id, now)
    return user


def collect_settings(server_url: str, *, project: str) -> dict[str, Any]:
    """Collect's settings for a project on our server, as its QR code carries them.

    ``match_exactly`` keeps the phone's forms exactly those the server lists (each shopper's
    open visits), ``autosend`` sends finished forms on any network, and a locked server URL
    keeps the token from being changed or read back in the settings screen.
    """
    return {
        "general": {
            "server_url": server_url,
            "form_update_mode": "match_exactly",
            "autosend": "wifi_and_cellular",
        },
        "admin": {"change_server": False},
        "project": {"name": project, "icon": "M"},
    }


def settings_payload(settings: dict[str, Any]) -> str:
    """The QR's text: the JSON, zlib-compressed, then base64, as Collect reads it."""
    raw = json.dumps(settings, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.b64encode(zlib.compress(raw)).decode("ascii")


def phone_payload(server_url: str, user: User) -> str:
    """The QR text that sets up Collect on ``user``'s phone with the server ``server_url``."""
    return settings_payload(collect_settings(server_url, project=f"mshop: {user.full_name}"))


def qr_png(payload: str) -> bytes:
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="png", scale=8, border=4)
    return out.getvalue()
