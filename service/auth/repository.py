"""Every query on users."""

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from service.auth.models import User
from service.auth.roles import Role


def get_by_id(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def get_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email)).first()


def list_users(
    session: Session,
    *,
    roles: Sequence[Role] | None,
    email: str | None,
    role: Role | None,
    active: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[User], int]:
    conditions: list[ColumnElement[bool]] = []
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
    session.add(user)
    session.flush()
    return user
