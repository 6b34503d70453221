"""Accounts: creation, listing, and the life cycle (edit, deactivate, password, unlock)."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import ClassVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service import db
from service.auth import repository
from service.auth.emails import normalise_email, skeleton_key
from service.auth.models import User
from service.auth.roles import CREATABLE_ROLES, MANAGED_ROLES, Role
from service.auth.schemas import PasswordChange, UserCreate, UserUpdate
from service.auth.security import hash_password, verify_password
from service.auth.sessions import wait_for_throttle
from service.auth.throttle import LoginThrottle
from service.error_codes import ErrorCode
from service.errors import Conflict, Forbidden, NotFound, ValidationFailed


class UserExists(Conflict):
    code: ClassVar[ErrorCode] = "user-exists"
    title = "User exists"


class UserConflict(Conflict):
    code: ClassVar[ErrorCode] = "user-conflict"
    title = "User conflict"


class EmailConfusable(Conflict):
    code: ClassVar[ErrorCode] = "email-confusable"
    title = "E-mail looks like another account's"


class UserNotFound(NotFound):
    code: ClassVar[ErrorCode] = "user-not-found"
    title = "User not found"


class RoleNotGrantable(Forbidden):
    code: ClassVar[ErrorCode] = "role-not-grantable"
    title = "Role not grantable"


class SelfDemotion(Conflict):
    code: ClassVar[ErrorCode] = "self-demotion"
    title = "Cannot demote yourself"


class PasswordTooShort(ValidationFailed):
    code: ClassVar[ErrorCode] = "password-too-short"
    title = "Password too short"


class OldPasswordRequired(ValidationFailed):
    code: ClassVar[ErrorCode] = "old-password-required"
    title = "Old password required"


class WrongPassword(Forbidden):
    code: ClassVar[ErrorCode] = "wrong-password"
    title = "Wrong password"


def check_password(password: str, *, min_length: int, field: str = "password") -> None:
    """Apply the password rules: at least ``min_length`` characters (the schema caps the length).

    Raises:
        PasswordTooShort: with the body field it concerns in ``errors``.
    """
    if len(password) < min_length:
        message = f"A password needs at least {min_length} characters."
        raise PasswordTooShort(
            message,
            errors=[{"loc": ["body", field], "msg": message, "type": "password-too-short"}],
        )


def create_user(
    session: Session, user_in: UserCreate, *, now: dt.datetime, min_password_length: int
) -> User:
    """Create an account with an argon2-hashed password.

    Raises:
        PasswordTooShort: the password breaks the rules.
        UserExists: the email is taken.
        EmailConfusable: the email looks like another account's (a look-alike).
    """
    check_password(user_in.password, min_length=min_password_length)
    _check_email_free(session, user_in.email)
    user = User.model_validate(
        user_in,
        update={"hashed_password": hash_password(user_in.password), "created_at": now},
    )
    try:
        with db.savepoint(session):
            return repository.add(session, user)
    except IntegrityError:
        # Another request created the same or a look-alike address since the check (the
        # savepoint's rollback took ``user`` out of the session).
        _check_email_free(session, user_in.email)
        raise


def _check_email_free(session: Session, email: str) -> None:
    """Raise unless ``email`` is free and looks like no account's e-mail."""
    if repository.get_by_email(session, email) is not None:
        raise UserExists(f"A user with email {email} already exists.")
    if repository.get_by_skeleton(session, skeleton_key(email)) is not None:
        # Which account is not said: the caller may not be allowed to see it.
        raise EmailConfusable(
            f"{email} looks like the e-mail of an existing account (letters of other "
            "alphabets or look-alike characters); use the address as it is spelled."
        )


def create_user_as(
    session: Session,
    actor: User,
    user_in: UserCreate,
    *,
    now: dt.datetime,
    min_password_length: int,
) -> tuple[User, bool]:
    """Create an account on behalf of ``actor``, who may create only some roles.

    Returns the account and whether it was created: a retry (the same ``client_id`` and
    content, the password included) answers the account it made.

    Raises:
        RoleNotGrantable: ``actor`` may not create accounts of that role.
        UserConflict: the ``client_id`` made an account with other content.
        PasswordTooShort, UserExists, EmailConfusable: as ``create_user``.
    """
    if user_in.role not in CREATABLE_ROLES[actor.role]:
        raise RoleNotGrantable(f"A {actor.role} cannot create {user_in.role} accounts.")
    if user_in.client_id is not None:
        existing = repository.get_by_client_id(session, user_in.client_id)
        if existing is not None:
            return _retried(existing, user_in), False
    try:
        user = create_user(session, user_in, now=now, min_password_length=min_password_length)
    except (UserExists, IntegrityError):
        # The same client id, sent twice at once (a double click), won the race a moment
        # ago: answer as its retry is answered (the e-mail then exists, or the id clashed).
        raced = None
        if user_in.client_id is not None:
            raced = repository.get_by_client_id(session, user_in.client_id)
        if raced is None:
            raise
        return _retried(raced, user_in), False
    return user, True


def _retried(user: User, user_in: UserCreate) -> User:
    """``user``, made by ``user_in``'s client id, if ``user_in`` is its retry."""
    fields = ("email", "full_name", "phone", "role")
    same = all(getattr(user, f) == getattr(user_in, f) for f in fields)
    # The password last: a retry checks it (argon2's work), another body is refused at once.
    if not same or not verify_password(user_in.password, user.hashed_password):
        raise UserConflict(
            f"client_id {user_in.client_id} already created account {user.id} with other "
            "content; use a new client_id for a new account."
        )
    return user


def list_users(
    session: Session,
    actor: User | None,
    *,
    email: str | None = None,
    role: Role | None = None,
    active: bool | None = None,
    search: str | None = None,
    limit: int,
    offset: int,
) -> tuple[list[User], int]:
    """Accounts ``actor`` may see (everyone for admins and the CLI, shoppers for coordinators).

    ``search``: part of the name or of the e-mail address, in any letter case (SQLite folds
    only Latin letters; PostgreSQL folds Cyrillic too).
    """
    roles: Sequence[Role] | None = None if actor is None else sorted(MANAGED_ROLES[actor.role])
    return repository.list_users(
        session,
        roles=roles,
        email=None if email is None else normalise_email(email),
        role=role,
        active=active,
        limit=limit,
        offset=offset,
        search=(search or "").strip() or None,
    )


def managed_user(session: Session, actor: User, user_id: uuid.UUID) -> User:
    """The account ``user_id`` if ``actor`` manages it; others are 404 so ids cannot be probed.

    Raises:
        UserNotFound: no such account, or one outside the actor's scope.
    """
    user = repository.get_by_id(session, user_id)
    if user is None or user.role not in MANAGED_ROLES[actor.role]:
        raise UserNotFound(f"There is no user {user_id} you manage.")
    return user


def update_user(actor: User | None, user: User, changes: UserUpdate) -> User:
    """Change name, phone, role or active state within what ``actor`` may grant.

    ``actor`` is None for the operator at the console (``mshop users``), who may change anything.

    Raises:
        RoleNotGrantable: the new role is not one ``actor`` may create.
        SelfDemotion: an admin deactivating or demoting themself (there is always an admin).
    """
    fields = changes.model_dump(exclude_unset=True)
    role = fields.get("role")
    if actor is not None:
        if role is not None and role != user.role and role not in CREATABLE_ROLES[actor.role]:
            raise RoleNotGrantable(f"A {actor.role} cannot make an account {role}.")
        demoted = role is not None and role != actor.role
        if user.id == actor.id and (fields.get("is_active") is False or demoted):
            raise SelfDemotion(
                "You cannot deactivate your own account or give up your own role; "
                "ask another admin."
            )
    user.sqlmodel_update(fields)
    return user


def password_target(session: Session, actor: User, user_id: uuid.UUID) -> User:
    """Whose password ``actor`` may change: their own, or that of an account they manage."""
    return actor if user_id == actor.id else managed_user(session, actor, user_id)


def set_password(session: Session, user: User, password: str, *, min_length: int) -> None:
    """Store a new password and end every session of the account (its tokens stop working).

    Raises:
        PasswordTooShort: the password breaks the rules.
    """
    check_password(password, min_length=min_length, field="new_password")
    user.hashed_password = hash_password(password)
    user.token_version += 1
    session.flush()


def change_password(
    session: Session,
    actor: User,
    user: User,
    change: PasswordChange,
    *,
    min_length: int,
    throttle: LoginThrottle,
    address: str,
    now: dt.datetime,
) -> None:
    """Set a new password as ``actor``, ending every session of the account.

    Changing one's own password needs the old one, and wrong guesses count against the login
    limit; staff resetting an account they manage do not need it.

    Raises:
        PasswordTooShort, OldPasswordRequired, WrongPassword, TooManyRequests.
    """
    check_password(change.new_password, min_length=min_length, field="new_password")
    if user.id == actor.id:
        if change.old_password is None:
            raise OldPasswordRequired(
                "Send old_password to change your own password.",
                errors=[
                    {
                        "loc": ["body", "old_password"],
                        "msg": "required to change your own password",
                        "type": "old-password-required",
                    }
                ],
            )
        wait_for_throttle(throttle, user.email, address, now, user)
        if not verify_password(change.old_password, user.hashed_password):
            throttle.record_failure(account=user.email, address=address, now=now.timestamp())
            raise WrongPassword("The old password is not right.")
    set_password(session, user, change.new_password, min_length=min_length)


def unlock_user(
    session: Session, user: User, *, now: dt.datetime, throttle: LoginThrottle | None
) -> None:
    """Forget the account's failed logins: at once in ``throttle``'s process, and in every
    other process (and from the console, which has none) through the row's ``login_reset_at``.
    """
    user.login_reset_at = now
    session.flush()
    if throttle is not None:
        throttle.clear(account=user.email)


def remove_expired_sessions(session: Session, *, now: dt.datetime) -> int:
    """Delete every sign-in whose refresh token has expired; return how many.

    A login also sweeps its own user's; this catches users who stopped logging in.
    """
    return repository.delete_expired_families(session, now=now)


def get_user(session: Session, user_id: uuid.UUID) -> User | None:
    return repository.get_by_id(session, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    return repository.get_by_email(session, normalise_email(email))
