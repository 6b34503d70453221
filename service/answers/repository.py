"""Every query on answers."""

import uuid
from collections.abc import Collection, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, delete, func, insert, select, union_all

from service.answers.models import Answer, DroppedAnswer


def known_hashes(session: Session, client_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The content hash each of ``client_ids`` was stored with, kept or dropped: one query."""
    ids = list(client_ids)
    sent = union_all(
        select(col(Answer.client_id), col(Answer.content_hash)).where(
            col(Answer.client_id).in_(ids)
        ),
        select(col(DroppedAnswer.client_id), col(DroppedAnswer.content_hash)).where(
            col(DroppedAnswer.client_id).in_(ids)
        ),
    ).subquery()
    rows = session.exec(select(sent.c.client_id, sent.c.content_hash)).all()
    return dict(rows)


def current(session: Session, visit_id: uuid.UUID) -> dict[str, Answer]:
    rows = session.exec(
        select(Answer).where(col(Answer.visit_id) == visit_id, col(Answer.is_current))
    ).all()
    return {row.item_code: row for row in rows}


def page(
    session: Session, visit_id: uuid.UUID, *, history: bool, limit: int, offset: int
) -> tuple[list[Answer], int]:
    """One page of the visit's current answers (or every kept version), by item then time."""
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


def dropped_counts(session: Session, visit_id: uuid.UUID) -> dict[str, int]:
    """Per item of the visit, how many versions were dropped, for items that lost any."""
    rows = session.exec(
        select(col(DroppedAnswer.item_code), func.count())
        .where(col(DroppedAnswer.visit_id) == visit_id)
        .group_by(col(DroppedAnswer.item_code))
        .order_by(col(DroppedAnswer.item_code))
    ).all()
    return dict(rows)


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


def prune(session: Session, visit_id: uuid.UUID, item_codes: Collection[str], *, keep: int) -> None:
    """Drop every version of ``item_codes`` but the newest ``keep`` of each, in two statements
    whatever their number: their client ids and hashes are copied to ``dropped_answers``, then
    the versions are deleted. The current version ranks first, so it is always kept; the
    others rank by ``answered_at``, the order in which they compete to be current.
    """
    rank = func.row_number().over(
        partition_by=col(Answer.item_code),
        order_by=(
            col(Answer.is_current).desc(),
            col(Answer.answered_at).desc(),
            col(Answer.id).desc(),
        ),
    )
    ranked = (
        sa.select(  # sqlmodel's select takes at most four columns
            col(Answer.id),
            col(Answer.client_id),
            col(Answer.visit_id),
            col(Answer.item_code),
            col(Answer.content_hash),
            rank.label("rank"),
        )
        .where(col(Answer.visit_id) == visit_id, col(Answer.item_code).in_(list(item_codes)))
        .subquery()
    )
    beyond = ranked.c.rank > keep
    session.exec(
        insert(DroppedAnswer).from_select(
            ["client_id", "visit_id", "item_code", "content_hash"],
            select(
                ranked.c.client_id, ranked.c.visit_id, ranked.c.item_code, ranked.c.content_hash
            ).where(beyond),
        )
    )
    session.exec(delete(Answer).where(col(Answer.id).in_(select(ranked.c.id).where(beyond))))
