"""App tokens: made, found, revoked; and the QR code that sets up Collect with one.

A token is 256 bits no one can guess; the database keeps its SHA-256. A slow password hash
(argon2) protects *guessable* secrets against an attacker holding the hashes; a 256-bit
token cannot be guessed, so one fast hash is as safe, and it lets a request find its token by
an indexed equality instead of verifying every stored hash.

The token is the HMAC-SHA256, under the server's secret key, of the create's ``client_id``:
so a retried create (its answer lost on the way) can answer the same token again without the
token being stored anywhere. Knowing a client id gives nothing without the secret key, and
whoever holds that key can already sign any user's access token.
"""

import base64
import datetime as dt
import hashlib
import hmac
import io
import json
import secrets
import uuid
import zlib
from typing import Any, ClassVar

import segno
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service import db
from service.auth.models import User
from service.auth.roles import Role
from service.error_codes import ErrorCode
from service.errors import Conflict, Forbidden, NotFound, ValidationFailed
from service.openrosa import repository
from service.openrosa.models import AppToken

TOKEN_BYTES = 32
_DERIVATION = b"mshop app token\0"


class AppTokenNotFound(NotFound):
    code: ClassVar[ErrorCode] = "app-token-not-found"
    title = "App token not found"


class TooManyAppTokens(Conflict):
    code: ClassVar[ErrorCode] = "too-many-app-tokens"
    title = "Too many app tokens"


class AppTokenConflict(Conflict):
    code: ClassVar[ErrorCode] = "app-token-conflict"
    title = "App token conflict"


class AppTokenRevoked(Forbidden):
    code: ClassVar[ErrorCode] = "app-token-revoked"
    title = "App token revoked"


def new_token() -> str:
    """A random token of the same form as the ones made (for tokens nobody holds)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def derive_token(key: bytes, client_id: uuid.UUID) -> str:
    """The token a create with ``client_id`` makes: 43 URL-safe characters."""
    digest = hmac.new(key, _DERIVATION + client_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    session: Session,
    user: User,
    actor: User,
    *,
    client_id: uuid.UUID,
    label: str,
    key: bytes,
    now: dt.datetime,
    limit: int,
) -> tuple[AppToken, str, bool]:
    """A new token for shopper ``user``: its row, the token itself and whether it was made.

    A retry (the same ``client_id``, shopper and label) makes nothing and answers the token
    that create made, as long as it works; the limit is not counted again.

    Raises:
        ValidationFailed: ``user`` is not an active shopper (only shoppers use Collect).
        AppTokenConflict: ``client_id`` made a token for another shopper or label, or one
            since revoked, or one made under another secret key (which cannot be shown again).
        TooManyAppTokens: the shopper already holds ``limit`` active tokens.
    """
    if user.role != Role.shopper or not user.is_active:
        raise ValidationFailed("App tokens are for active shoppers only.")
    token = derive_token(key, client_id)
    existing = repository.token_by_client_id(session, client_id)
    if existing is not None:
        return _retried(existing, user, label, token), token, False
    if repository.count_active(session, user.id) >= limit:
        raise TooManyAppTokens(
            f"The shopper already holds {limit} active app tokens, the most allowed "
            "(MSHOP_OPENROSA__MAX_APP_TOKENS_PER_USER); revoke one first."
        )
    row = AppToken(
        client_id=client_id,
        user_id=user.id,
        token_hash=hash_token(token),
        label=label,
        created_at=now,
        created_by_id=actor.id,
    )
    try:
        with db.savepoint(session):
            repository.add(session, row)
    except IntegrityError:
        # The same client_id won a race a moment ago: answer as a retry would be answered.
        raced = repository.token_by_client_id(session, client_id)
        if raced is None:
            raise AppTokenConflict(f"client_id {client_id} was just used.") from None
        return _retried(raced, user, label, token), token, False
    return row, token, True


def _retried(row: AppToken, user: User, label: str, token: str) -> AppToken:
    if row.user_id != user.id or row.label != label:
        raise AppTokenConflict(
            f"client_id {row.client_id} already made app token {row.id} for another shopper "
            "or label; a new token needs a new client_id."
        )
    if row.revoked_at is not None:
        raise AppTokenConflict(
            f"App token {row.id} made with client_id {row.client_id} is revoked; "
            "make a new one with a new client_id."
        )
    if not hmac.compare_digest(row.token_hash, hash_token(token)):
        raise AppTokenConflict(
            f"App token {row.id} was made under another secret key and cannot be shown "
            "again; revoke it and make a new one with a new client_id."
        )
    return row


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
