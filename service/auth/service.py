"""Accounts: creation, login, token issue and refresh."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import ClassVar

from sqlmodel import Session

from service.auth import repository
from service.auth.models import User
from service.auth.roles import CREATABLE_ROLES, Role
from service.auth.schemas import TokenPair, UserCreate
from service.auth.security import (
    TokenType,
    decode_token,
    encode_token,
    hash_password,
    verify_password,
)
from service.errors import Conflict, ErrorCode, Forbidden, InvalidCredentials, InvalidToken


class UserExists(Conflict):
    code: ClassVar[ErrorCode] = "user-exists"
    title = "User exists"


class UserInactive(InvalidCredentials):
    code: ClassVar[ErrorCode] = "user-inactive"
    title = "User inactive"


def create_user(session: Session, user_in: UserCreate, *, now: dt.datetime) -> User:
    """Create an account with an argon2-hashed password.

    Raises:
        UserExists: the email is taken.
    """
    if repository.get_by_email(session, user_in.email) is not None:
        raise UserExists(f"A user with email {user_in.email} already exists.")
    user = User.model_validate(
        user_in,
        update={"hashed_password": hash_password(user_in.password), "created_at": now},
    )
    return repository.add(session, user)


def create_user_as(session: Session, actor: User, user_in: UserCreate, *, now: dt.datetime) -> User:
    """Create an account on behalf of ``actor``, who may create only some roles."""
    if user_in.role not in CREATABLE_ROLES[actor.role]:
        raise Forbidden(f"A {actor.role} cannot create {user_in.role} accounts.")
    return create_user(session, user_in, now=now)


def list_visible_users(
    session: Session, actor: User, *, limit: int, offset: int
) -> tuple[list[User], int]:
    """Admins see everyone; coordinators see the shoppers they manage."""
    roles: Sequence[Role] | None = None if actor.role == Role.admin else [Role.shopper]
    return repository.list_users(session, roles=roles, limit=limit, offset=offset)


def authenticate(session: Session, email: str, password: str) -> User:
    """Return the active user with these credentials.

    Raises:
        InvalidCredentials: unknown email or wrong password (one message for both).
        UserInactive: the account is disabled.
    """
    user = repository.get_by_email(session, email.strip().lower())
    if not verify_password(password, user.hashed_password if user else None) or user is None:
        raise InvalidCredentials("Incorrect email or password.")
    if not user.is_active:
        raise UserInactive("This account is disabled.")
    return user


def issue_tokens(
    user: User, *, secret: str, now: dt.datetime, access_minutes: int, refresh_days: int
) -> TokenPair:
    access_ttl = dt.timedelta(minutes=access_minutes)
    return TokenPair(
        access_token=encode_token(
            subject=user.id, token_type="access", secret=secret, now=now, ttl=access_ttl
        ),
        refresh_token=encode_token(
            subject=user.id,
            token_type="refresh",
            secret=secret,
            now=now,
            ttl=dt.timedelta(days=refresh_days),
        ),
        expires_in=int(access_ttl.total_seconds()),
    )


def user_from_token(
    session: Session, token: str, *, expected_type: TokenType, secret: str, now: dt.datetime
) -> User:
    """Resolve a token to an active user, or raise a 401 error."""
    user_id: uuid.UUID = decode_token(token, expected_type=expected_type, secret=secret, now=now)
    user = repository.get_by_id(session, user_id)
    if user is None:
        raise InvalidToken("The token's user no longer exists.")
    if not user.is_active:
        raise UserInactive("This account is disabled.")
    return user


def get_user(session: Session, user_id: uuid.UUID) -> User | None:
    return repository.get_by_id(session, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    return repository.get_by_email(session, email.strip().lower())
