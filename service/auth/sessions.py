"""Signing in: login within the failed-login limits, token issue, refresh and logout.

A login starts a family of refresh tokens (``RefreshFamily``). Refreshing exchanges the
family's one usable token for a new pair and retires it. The token just retired, presented
again within the retry window, is a phone that lost the answer (or two requests racing with
one token): it gets the same answer, and nothing moves. Any other retired token presented
again was copied, so the family is revoked and every token descended from that login stops
working, the thief's and the owner's alike. The owner logs in again; the thief cannot.
Access tokens stay stateless and live only minutes.
"""

import datetime as dt
import hashlib
import uuid
from typing import ClassVar, NoReturn

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service import db
from service.auth import repository
from service.auth.callers import user_of
from service.auth.emails import normalise_email
from service.auth.models import RefreshFamily, User
from service.auth.schemas import TokenPair
from service.auth.security import (
    TokenClaims,
    decode_token,
    encode_token,
    verify_password,
)
from service.auth.throttle import LoginThrottle
from service.error_codes import ErrorCode
from service.errors import (
    InvalidCredentials,
    InvalidToken,
    TooManyRequests,
)

# The longest a refresh token can live (AuthSettings.refresh_token_days): how long the family
# started for a token issued before families existed is kept at most.
_MAX_REFRESH_LIFE = dt.timedelta(days=365)


class TokenReused(InvalidToken):
    code: ClassVar[ErrorCode] = "token-reused"
    title = "Refresh token reused"


class TokenRevoked(InvalidToken):
    code: ClassVar[ErrorCode] = "token-revoked"
    title = "Session ended"


def wait_for_throttle(
    throttle: LoginThrottle, account: str, address: str, now: dt.datetime, user: User | None
) -> None:
    """Raise TooManyRequests while ``account`` from ``address``, or ``address``, is over a limit."""
    reset_at = user.login_reset_at.timestamp() if user and user.login_reset_at else None
    wait = throttle.retry_after(
        account=account, address=address, now=now.timestamp(), reset_at=reset_at
    )
    if wait is not None:
        raise TooManyRequests(
            f"Too many failed attempts; try again in {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )


def login(
    session: Session,
    throttle: LoginThrottle,
    *,
    email: str,
    password: str,
    address: str,
    now: dt.datetime,
) -> User:
    """Return the active user with these credentials, within the failed-login limits.

    An unknown e-mail, a wrong password and a disabled account get one and the same answer
    after the same hashing work, so a login confirms neither that an account exists nor,
    for a disabled one, that the password was right.

    Raises:
        TooManyRequests: too many failures for this account from this address, or from it.
        InvalidCredentials: unknown e-mail, wrong password or disabled account.
    """
    account = normalise_email(email)
    user = repository.get_by_email(session, account)
    wait_for_throttle(throttle, account, address, now, user)
    verified = verify_password(password, user.hashed_password if user else None)
    if user is None or not verified or not user.is_active:
        throttle.record_failure(account=account, address=address, now=now.timestamp())
        raise InvalidCredentials("Incorrect email or password.")
    throttle.record_success(account=account, address=address)
    return user


def start_session(
    session: Session,
    user: User,
    *,
    secret: str,
    now: dt.datetime,
    access_minutes: int,
    refresh_days: int,
) -> TokenPair:
    """Issue the first pair of a new family (a login), sweeping the user's expired ones."""
    repository.delete_expired_families(session, now=now, user_id=user.id)
    jti = uuid.uuid4().hex
    family = repository.add_family(
        session,
        RefreshFamily(
            user_id=user.id,
            current_jti=jti,
            created_at=now,
            expires_at=now + dt.timedelta(days=refresh_days),
        ),
    )
    return issue_tokens(
        user,
        secret=secret,
        now=now,
        access_minutes=access_minutes,
        refresh_days=refresh_days,
        family=family.id,
        jti=jti,
    )


def issue_tokens(
    user: User,
    *,
    secret: str,
    now: dt.datetime,
    access_minutes: int,
    refresh_days: int,
    family: uuid.UUID,
    jti: str,
) -> TokenPair:
    """The pair whose refresh token is ``jti``, issued at ``now``: issued again with the same
    arguments, the same two tokens (how a refresh retry is answered)."""
    access_ttl = dt.timedelta(minutes=access_minutes)
    return TokenPair(
        access_token=encode_token(
            subject=user.id,
            token_type="access",
            secret=secret,
            now=now,
            ttl=access_ttl,
            version=user.token_version,
            # Named after its refresh token's id (which is random), so a pair is issued twice
            # alike; one-way, so the access token does not give the refresh token's id away.
            jti=hashlib.sha256(f"access:{jti}".encode()).hexdigest()[:32],
        ),
        refresh_token=encode_token(
            subject=user.id,
            token_type="refresh",
            secret=secret,
            now=now,
            ttl=dt.timedelta(days=refresh_days),
            version=user.token_version,
            jti=jti,
            family=family,
        ),
        expires_in=int(access_ttl.total_seconds()),
    )


def refresh(
    session: Session,
    token: str,
    *,
    secret: str,
    now: dt.datetime,
    access_minutes: int,
    refresh_days: int,
    retry_seconds: int,
) -> TokenPair:
    """Exchange a refresh token for the next pair of its family, retiring it.

    The token the family's last exchange retired, presented again within ``retry_seconds``
    of that exchange (and before the pair it got is exchanged in turn), gets that exchange's
    pair again: the same two tokens.

    Raises:
        InvalidToken, TokenExpired: the token is not a valid refresh token.
        TokenReused: the token was already exchanged, and this is not a retry of its exchange;
            the family is now revoked.
        TokenRevoked: the family was revoked (reuse, logout).
        UserInactive: the account is disabled.
    """
    claims = decode_token(token, expected_type="refresh", secret=secret, now=now)
    family_id = _family_of(session, claims, now)
    next_jti = uuid.uuid4().hex
    # The compare-and-set comes first, so on SQLite the request's first statement takes the
    # write lock and a racing request sees the winner's row, never a stale one.
    rotated = repository.rotate_family(
        session,
        family_id,
        presented_jti=claims.jti,
        next_jti=next_jti,
        now=now,
        expires_at=now + dt.timedelta(days=refresh_days),
    )
    issued_at = now
    if not rotated:
        family = _retried(session, family_id, claims, now, retry_seconds)
        next_jti, issued_at = family.current_jti, family.used_at or now
    user = user_of(session, claims)
    return issue_tokens(
        user,
        secret=secret,
        now=issued_at,
        access_minutes=access_minutes,
        refresh_days=refresh_days,
        family=family_id,
        jti=next_jti,
    )


def logout(session: Session, token: str, *, secret: str, now: dt.datetime) -> None:
    """End the sign-in ``token`` belongs to: no token of its family can be exchanged again.

    Any token of the family will do, a retired one too; ending a session already ended is
    no error.
    """
    claims = decode_token(token, expected_type="refresh", secret=secret, now=now)
    family_id = _family_of(session, claims, now)
    repository.revoke_family(session, family_id, now=now, reason="logout")


def _family_of(session: Session, claims: TokenClaims, now: dt.datetime) -> uuid.UUID:
    """The token's family; a token issued before families existed starts one of its own.

    Such a token's family is named after its own id (a uuid4 in hex), so its first use finds
    or creates the same row and a second use of it is a reuse like any other.
    """
    if claims.family is not None:
        return claims.family
    try:
        family_id = uuid.UUID(hex=claims.jti)
    except ValueError as exc:
        raise InvalidToken("The token is not one this service issues; log in again.") from exc
    if repository.get_family(session, family_id) is None:
        try:
            with db.savepoint(session):
                repository.add_family(
                    session,
                    RefreshFamily(
                        id=family_id,
                        user_id=claims.subject,
                        current_jti=claims.jti,
                        created_at=now,
                        expires_at=now + _MAX_REFRESH_LIFE,
                    ),
                )
        except IntegrityError:
            pass  # a parallel first use made it (or the user is gone: found out below)
    return family_id


def _retried(
    session: Session, family_id: uuid.UUID, claims: TokenClaims, now: dt.datetime, seconds: int
) -> RefreshFamily:
    """The family, when a token it no longer takes is a retry of the last exchange; else
    the refusal (``_refuse``)."""
    family = repository.get_family(session, family_id)
    if family is None or family.user_id != claims.subject:
        raise InvalidToken("This sign-in has ended (expired and removed); log in again.")
    if family.revoked_at is not None:
        raise TokenRevoked("This sign-in was ended; log in again.")
    retry = (
        seconds > 0
        and family.previous_jti == claims.jti
        and family.used_at is not None
        and now - family.used_at <= dt.timedelta(seconds=seconds)
    )
    if retry:
        return family
    _refuse(session, family_id, now)


def _refuse(session: Session, family_id: uuid.UUID, now: dt.datetime) -> NoReturn:

    def revoke(own: Session) -> None:
        repository.revoke_family(own, family_id, now=now, reason="reuse")

    # The request's transaction rolls back with the 401; the revocation must stay.
    db.after_request(session, revoke)
    raise TokenReused(
        "This refresh token was already used, so it may have been copied: every session "
        "of this sign-in has ended; log in again."
    )
