"""Every query on answers."""

import datetime as dt
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, delete, func, insert, select

from service.answers.models import Answer, DroppedAnswer
from service.db_types import UtcDateTime

_ANSWERS = Answer.__table__  # type: ignore[attr-defined]
# Rows per INSERT: 10 bound values each stays under SQLite's 32,766 and PostgreSQL's 65,535
# parameters per statement, so a batch up to this size is one statement.
ROWS_PER_INSERT = 3000


@dataclass(frozen=True)
class SyncState:
    """What a sync must know before it writes, read in one statement."""

    sent: dict[uuid.UUID, str]
    """Client id -> content hash of each of the batch's ids stored before (kept or dropped,
    on any visit)."""
    current: dict[str, tuple[int, dt.datetime]]
    """Item -> (row id, answered_at) of its current answer, for the batch's items."""
    kept: dict[str, int]
    """Item -> versions kept, for the batch's items that have any."""


def sync_state(
    session: Session,
    visit_id: uuid.UUID,
    client_ids: Collection[uuid.UUID],
    item_codes: Collection[str],
) -> SyncState:
    """The batch's earlier sends and its items' current answers and version counts, in one
    statement (a ``UNION ALL``; the caller holds the visit's lock, so they stay true)."""
    ids, codes = list(client_ids), list(item_codes)

    def null(type_: Any) -> Any:
        # Cast: PostgreSQL types a bare NULL as text, which no later branch's column matches.
        return sa.cast(sa.null(), type_)

    def sent_from(table: Any) -> sa.Select[Any]:
        return sa.select(
            sa.literal_column("'s'").label("kind"),
            table.c.client_id,
            table.c.content_hash,
            table.c.item_code,
            null(UtcDateTime()).label("answered_at"),
            null(sa.Integer()).label("row_id"),
            null(sa.Integer()).label("versions"),
        ).where(table.c.client_id.in_(ids))

    current = col(Answer.is_current)
    items = (
        sa.select(
            sa.literal_column("'i'"),
            null(sa.Uuid()),
            null(sa.String()),
            col(Answer.item_code),
            func.max(sa.case((current, col(Answer.answered_at)))),
            func.max(sa.case((current, col(Answer.id)))),
            func.count(),
        )
        .where(col(Answer.visit_id) == visit_id, col(Answer.item_code).in_(codes))
        .group_by(col(Answer.item_code))
    )
    rows = session.execute(
        sa.union_all(sent_from(_ANSWERS), sent_from(DroppedAnswer.__table__), items)  # type: ignore[attr-defined]
    ).all()
    sent: dict[uuid.UUID, str] = {}
    now_current: dict[str, tuple[int, dt.datetime]] = {}
    kept: dict[str, int] = {}
    for kind, client_id, digest, item_code, answered_at, row_id, versions in rows:
        if kind == "s":
            sent[client_id] = digest
            continue
        kept[item_code] = versions
        if row_id is not None:
            now_current[item_code] = (row_id, answered_at)
    return SyncState(sent=sent, current=now_current, kept=kept)


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


def insert_all(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert answers as one multi-row ``INSERT`` (per ``ROWS_PER_INSERT``), asking nothing
    back: the ORM would insert them one by one on SQLite to learn each new id."""
    for start in range(0, len(rows), ROWS_PER_INSERT):
        session.execute(sa.insert(_ANSWERS).values(list(rows[start : start + ROWS_PER_INSERT])))


def retire(session: Session, row_ids: Collection[int]) -> None:
    """Clear the current flag of these answers in one statement; run before the new current
    answers are inserted (the database allows one current answer per item)."""
    if row_ids:
        session.execute(
            sa.update(_ANSWERS).where(_ANSWERS.c.id.in_(list(row_ids))).values(is_current=False)
        )


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
