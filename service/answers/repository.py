"""Every query on answers."""

import uuid
from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from service.answers.models import Answer


def by_client_ids(session: Session, client_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Answer]:
    rows = session.exec(select(Answer).where(col(Answer.client_id).in_(list(client_ids)))).all()
    return {row.client_id: row for row in rows}


def current(session: Session, visit_id: uuid.UUID) -> dict[str, Answer]:
    rows = session.exec(
        select(Answer).where(col(Answer.visit_id) == visit_id, col(Answer.is_current))
    ).all()
    return {row.item_code: row for row in rows}


def page(
    session: Session, visit_id: uuid.UUID, *, history: bool, limit: int, offset: int
) -> tuple[list[Answer], int]:
    """One page of the visit's current answers (or every version), by item then time."""
    query = select(Answer).where(col(Answer.visit_id) == visit_id)
    if not history:
        query = query.where(col(Answer.is_current))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Answer.item_code), col(Answer.answered_at), col(Answer.id))
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def add(session: Session, answer: Answer) -> None:
    session.add(answer)
    session.flush()


def add_all(session: Session, answers: Sequence[Answer]) -> None:
    session.add_all(answers)
    session.flush()


def retire_all(session: Session, answers: Sequence[Answer]) -> None:
    """Clear the current flag; flushed at once, before any new current answer is inserted."""
    for answer in answers:
        answer.is_current = False
        session.add(answer)
    if answers:
        session.flush()
