"""Every query on users and their sign-in sessions."""

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, func, or_, update
from sqlmodel import Session, col, select

from service.auth.emails import skeleton_key
from service.auth.models import RefreshFamily, User
from service.auth.roles import Role


def get_by_id(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def get_by_client_id(session: Session, client_id: uuid.UUID) -> User | None:
    return session.exec(select(User).where(col(User.client_id) == client_id)).first()


def get_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email)).first()


def get_by_skeleton(session: Session, key: str) -> User | None:
    """The account whose e-mail has this skeleton key (``emails.skeleton_key``), if any."""
    return session.exec(select(User).where(col(User.email_skeleton_hash) == key)).first()


def list_users(
    session: Session,
    *,
    roles: Sequence[Role] | None,
    email: str | None,
    role: Role | None,
    active: bool | None,
    limit: int,
    offset: int,
    search: str | None = None,
) -> tuple[list[User], int]:
    conditions: list[ColumnElement[bool]] = []
    if search is not None:
        conditions.append(
            or_(
                col(User.full_name).icontains(search, autoescape=True),
                col(User.email).icontains(search, autoescape=True),
            )
        )
    if roles is not None:
        conditions.append(col(User.role).in_(list(roles)))
    if email is not None:
        conditions.append(col(User.email) == email)
    if role is not None:
        conditions.append(col(User.role) == role)
    if active is not None:
        conditions.append(col(User.is_active) == active)
    query = select(User).where(*conditions)
    count = select(func.count()).select_from(User).where(*conditions)
    rows = session.exec(query.order_by(col(User.email)).limit(limit).offset(offset)).all()
    return list(rows), session.exec(count).one()


def add(session: Session, user: User) -> User:
    """Insert ``user`` with the skeleton of its e-mail (unique: look-alikes collide here)."""
    user.email_skeleton_hash = skeleton_key(user.email)
    session.add(user)
    session.flush()
    return user


# --- Sign-in sessions (refresh token families) ---------------------------------------------


def add_family(session: Session, family: RefreshFamily) -> RefreshFamily:
    session.add(family)
    session.flush()
    return family


def get_family(session: Session, family_id: uuid.UUID) -> RefreshFamily | None:
    return session.exec(select(RefreshFamily).where(col(RefreshFamily.id) == family_id)).first()


def rotate_family(
    session: Session,
    family_id: uuid.UUID,
    *,
    presented_jti: str,
    next_jti: str,
    now: dt.datetime,
    expires_at: dt.datetime,
) -> bool:
    """Make ``next_jti`` the family's usable token if ``presented_jti`` still is; True if so.

    One compare-and-set statement: of two requests presenting the same token at once, the
    database lets one update the row (PostgreSQL's row lock, SQLite's write lock); the other
    then finds the condition false and is told it lost.
    """
    statement = (
        update(RefreshFamily)
        .where(
            col(RefreshFamily.id) == family_id,
            col(RefreshFamily.current_jti) == presented_jti,
            col(RefreshFamily.revoked_at).is_(None),
        )
        .values(
            current_jti=next_jti, previous_jti=presented_jti, used_at=now, expires_at=expires_at
        )
        .execution_options(synchronize_session=False)
    )
    return session.exec(statement).rowcount == 1


def revoke_family(session: Session, family_id: uuid.UUID, *, now: dt.datetime, reason: str) -> None:
    """Revoke the family (if not already): none of its tokens can be exchanged any more."""
    session.exec(
        update(RefreshFamily)
        .where(col(RefreshFamily.id) == family_id, col(RefreshFamily.revoked_at).is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )


def delete_expired_families(
    session: Session, *, now: dt.datetime, user_id: uuid.UUID | None = None
) -> int:
    """Remove families whose current token has expired (all of one user's, or everyone's).

    Every token of such a family has expired too: a family's expiry moves with each rotation
    and is never earlier than any token it issued.
    """
    statement = delete(RefreshFamily).where(col(RefreshFamily.expires_at) <= now)
    if user_id is not None:
        statement = statement.where(col(RefreshFamily.user_id) == user_id)
    return session.exec(statement.execution_options(synchronize_session=False)).rowcount
