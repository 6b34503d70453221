"""Signing in: login within the failed-login limits, token issue and token refresh."""

import datetime as dt
from typing import ClassVar

from sqlmodel import Session

from service.auth import repository
from service.auth.models import User
from service.auth.schemas import TokenPair, normalise_email
from service.auth.security import TokenType, decode_token, encode_token, verify_password
from service.auth.throttle import LoginThrottle
from service.errors import ErrorCode, InvalidCredentials, InvalidToken, TooManyRequests


class UserInactive(InvalidCredentials):
    code: ClassVar[ErrorCode] = "user-inactive"
    title = "User inactive"


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


def issue_tokens(
    user: User, *, secret: str, now: dt.datetime, access_minutes: int, refresh_days: int
) -> TokenPair:
    access_ttl = dt.timedelta(minutes=access_minutes)
    return TokenPair(
        access_token=encode_token(
            subject=user.id,
            token_type="access",
            secret=secret,
            now=now,
            ttl=access_ttl,
            version=user.token_version,
        ),
        refresh_token=encode_token(
            subject=user.id,
            token_type="refresh",
            secret=secret,
            now=now,
            ttl=dt.timedelta(days=refresh_days),
            version=user.token_version,
        ),
        expires_in=int(access_ttl.total_seconds()),
    )


def user_from_token(
    session: Session, token: str, *, expected_type: TokenType, secret: str, now: dt.datetime
) -> User:
    """Resolve a token to an active user, or raise a 401 error."""
    claims = decode_token(token, expected_type=expected_type, secret=secret, now=now)
    user = repository.get_by_id(session, claims.subject)
    if user is None:
        raise InvalidToken("The token's user no longer exists.")
    if claims.version != user.token_version:
        raise InvalidToken("The password was changed since this token was issued; log in again.")
    if not user.is_active:
        raise UserInactive("This account is disabled.")
    return user
