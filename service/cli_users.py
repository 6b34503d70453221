"""``mshop users``: accounts from the command line (create, list, passwords, locks)."""

import argparse
import getpass
import sys

from sqlmodel import Session

from service.auth import service as auth_service
from service.auth.emails import normalise_email
from service.auth.models import User
from service.auth.roles import Role
from service.auth.schemas import UserCreate, UserUpdate
from service.cli_support import CliError, session_of, upgrade, validated
from service.clock import now_utc
from service.config import Settings


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CliError("no password on standard input")
        return password
    if not sys.stdin.isatty():
        # getpass would warn that it may echo, then fail at the input's end.
        raise CliError("standard input is not a terminal: pass the password with --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise CliError("the passwords differ")
    return first


def _user_by_email(session: Session, email: str) -> User:
    user = auth_service.get_user_by_email(session, email)
    if user is None:
        raise CliError(f"there is no user {normalise_email(email)}")
    return user


def cmd_users_create(args: argparse.Namespace) -> None:
    settings = Settings()
    user_in = validated(
        lambda: UserCreate(
            email=args.email,
            full_name=args.full_name or args.email,
            role=Role(args.role),
            password=_read_password(args),
        )
    )
    upgrade(settings)
    with session_of(settings) as session:
        user = auth_service.create_user(
            session, user_in, now=now_utc(), min_password_length=settings.auth.password_min_length
        )
        print(f"created {user.role} {user.email} ({user.id})")


# Pages read from the database at a time; the console prints every matching account.
_LIST_BATCH = 500


def cmd_users_list(args: argparse.Namespace) -> None:
    settings = Settings()
    upgrade(settings)
    with session_of(settings) as session:
        offset = 0
        while True:
            users, total = auth_service.list_users(
                session,
                None,
                email=args.email,
                role=Role(args.role) if args.role else None,
                limit=_LIST_BATCH,
                offset=offset,
            )
            for user in users:
                state = "active" if user.is_active else "disabled"
                print(f"{user.email}\t{user.role}\t{state}\t{user.id}\t{user.full_name}")
            offset += len(users)
            if not users or offset >= total:
                break
    print(f"{total} user(s)", file=sys.stderr)


def cmd_users_set_password(args: argparse.Namespace) -> None:
    settings = Settings()
    password = _read_password(args)
    upgrade(settings)
    with session_of(settings) as session:
        user = _user_by_email(session, args.email)
        auth_service.set_password(
            session, user, password, min_length=settings.auth.password_min_length
        )
        print(f"password set for {user.email}; its sessions are ended")


def _set_active(args: argparse.Namespace, active: bool) -> None:
    settings = Settings()
    upgrade(settings)
    with session_of(settings) as session:
        user = _user_by_email(session, args.email)
        auth_service.update_user(None, user, UserUpdate(is_active=active))
        print(f"{'activated' if active else 'deactivated'} {user.role} {user.email}")


def cmd_users_deactivate(args: argparse.Namespace) -> None:
    _set_active(args, active=False)


def cmd_users_activate(args: argparse.Namespace) -> None:
    _set_active(args, active=True)


def cmd_users_unlock(args: argparse.Namespace) -> None:
    settings = Settings()
    upgrade(settings)
    with session_of(settings) as session:
        user = _user_by_email(session, args.email)
        # No throttle here: the running API processes read the unlock from the account's row.
        auth_service.unlock_user(session, user, now=now_utc(), throttle=None)
        print(f"unlocked {user.email}: its failed logins no longer count")


def cmd_users_cleanup(_args: argparse.Namespace) -> None:
    settings = Settings()
    upgrade(settings)
    with session_of(settings) as session:
        removed = auth_service.remove_expired_sessions(session, now=now_utc())
    print(f"users: {removed} expired sign-in sessions removed")
