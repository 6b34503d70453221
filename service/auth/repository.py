"""Every query on users."""

import uuid
from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from service.auth.models import User
from service.auth.roles import Role


def get_by_id(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def get_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email)).first()


def list_users(
    session: Session, *, roles: Sequence[Role] | None, limit: int, offset: int
) -> tuple[list[User], int]:
    query = select(User)
    count = select(func.count()).select_from(User)
    if roles is not None:
        query = query.where(col(User.role).in_(list(roles)))
        count = count.where(col(User.role).in_(list(roles)))
    rows = session.exec(query.order_by(col(User.email)).limit(limit).offset(offset)).all()
    return list(rows), session.exec(count).one()


def add(session: Session, user: User) -> User:
    session.add(user)
    session.flush()
    return user
