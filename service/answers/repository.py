"""Every query on answers."""

import datetime as dt
import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, delete, func, insert, select

from service.answers.models import Answer, DroppedAnswer
from service.db_types import UtcDateTime
from service.driver_sql import DriverStatement, one_of

_ANSWERS: sa.Table = Answer.__table__  # type: ignore[attr-defined]
_DROPPED: sa.Table = DroppedAnswer.__table__  # type: ignore[attr-defined]


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


# The sync's statements are built once, in Core, with their lists as one parameter each
# (``driver_sql.one_of``): no ORM compile step, and a cache key computed once.


def _state_statement(*, postgres: bool) -> sa.CompoundSelect[Any]:
    def null(type_: Any) -> Any:
        # Cast: PostgreSQL types a bare NULL as text, which no later branch's column matches.
        return sa.cast(sa.null(), type_)

    def sent_from(table: sa.Table) -> sa.Select[Any]:
        return sa.select(
            sa.literal_column("'s'").label("kind"),
            table.c.client_id,
            table.c.content_hash,
            table.c.item_code,
            null(UtcDateTime()).label("answered_at"),
            null(sa.Integer()).label("row_id"),
            null(sa.Integer()).label("versions"),
        ).where(one_of(table.c.client_id, "client_ids", postgres=postgres))

    answers = _ANSWERS.c
    # An item with versions has a current one (its first answer is current, and a current
    # answer is retired only for a newer one), so its count rides on the current answer's
    # row: read through (visit_id, item_code) alone, one row per item.
    version = _ANSWERS.alias("version")
    versions = (
        sa.select(func.count())
        .where(version.c.visit_id == answers.visit_id, version.c.item_code == answers.item_code)
        .scalar_subquery()
    )
    current = sa.select(
        sa.literal_column("'c'"),
        null(sa.Uuid()),
        null(sa.String()),
        answers.item_code,
        answers.answered_at,
        answers.id,
        versions,
    ).where(
        answers.is_current,
        answers.visit_id == sa.bindparam("visit_id"),
        one_of(answers.item_code, "item_codes", postgres=postgres),
    )
    return sa.union_all(sent_from(_ANSWERS), sent_from(_DROPPED), current)


def _retire_statement(*, postgres: bool) -> sa.Update:
    return (
        sa.update(_ANSWERS)
        .where(one_of(_ANSWERS.c.id, "ids", postgres=postgres))
        .values(is_current=False)
    )


_INSERTED = [c for c in _ANSWERS.columns if not c.primary_key]
# Columns every row of a batch has the same value in: bound once, not repeated in each row.
SHARED = ("visit_id", "received_at", "author_id")
# PostgreSQL: the rows as one JSON document, typed by json_to_recordset; a constant text.
# (Arrays, one per column, cost twice the CPU: psycopg dumps array elements in Python.)
_RECORDS = (
    sa.func.json_to_recordset(sa.cast(sa.bindparam("rows", type_=sa.Text), sa.JSON))
    .table_valued(*(sa.column(c.name, c.type) for c in _INSERTED if c.name not in SHARED))
    .render_derived(name="r", with_types=True)
)
_FROM_JSON = DriverStatement(
    sa.insert(_ANSWERS).from_select(
        [c.name for c in _INSERTED],
        sa.select(
            *(
                sa.bindparam(c.name, type_=c.type)
                if c.name in SHARED
                # A JSON null value comes out as SQL NULL; stored as JSON null, as the ORM does.
                else sa.func.coalesce(
                    _RECORDS.c.value, sa.cast(sa.literal_column("'null'"), sa.JSON)
                )
                if c.name == "value"
                else _RECORDS.c[c.name]
                for c in _INSERTED
            )
        ),
    )
)
_STATE = {
    postgres: DriverStatement(_state_statement(postgres=postgres)) for postgres in (False, True)
}
_RETIRE = {
    postgres: DriverStatement(_retire_statement(postgres=postgres)) for postgres in (False, True)
}


def _core(session: Session) -> tuple[sa.Connection, bool]:
    """The session's connection (its transaction), and whether it is PostgreSQL's."""
    conn = session.connection()
    return conn, conn.dialect.name == "postgresql"


def sync_state(
    session: Session,
    visit_id: uuid.UUID,
    client_ids: Collection[uuid.UUID],
    item_codes: Collection[str],
) -> SyncState:
    """The batch's earlier sends and its items' current answers and version counts, in one
    statement (a ``UNION ALL``; the caller holds the visit's lock, so they stay true)."""
    conn, postgres = _core(session)
    rows = _STATE[postgres].run(
        conn,
        {"client_ids": list(client_ids), "visit_id": visit_id, "item_codes": list(item_codes)},
    )
    sent: dict[uuid.UUID, str] = {}
    now_current: dict[str, tuple[int, dt.datetime]] = {}
    kept: dict[str, int] = {}
    for kind, client_id, digest, item_code, answered_at, row_id, versions in rows:
        if kind == "s":
            sent[client_id] = digest
        else:
            now_current[item_code] = (row_id, answered_at)
            kept[item_code] = versions
    return SyncState(sent=sent, current=now_current, kept=kept)


def current(session: Session, visit_id: uuid.UUID) -> dict[str, Answer]:
    rows = session.exec(
        select(Answer).where(col(Answer.visit_id) == visit_id, col(Answer.is_current))
    ).all()
    return {row.item_code: row for row in rows}


def current_values(session: Session, visit_id: uuid.UUID) -> dict[str, Any]:
    """Item code -> value of the visit's current answers, without building ORM objects:
    phones poll submit while their photos are processed, and each poll asks this."""
    rows = session.exec(
        select(col(Answer.item_code), col(Answer.value)).where(
            col(Answer.visit_id) == visit_id, col(Answer.is_current)
        )
    ).all()
    return dict(rows)


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


def insert_all(
    session: Session, shared: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert answers in one statement that asks nothing back, compiled once per process;
    ``shared`` holds the columns of ``SHARED``, ``rows`` the others.

    The ORM would insert them one by one on SQLite to learn each new id, and a multi-row
    ``VALUES`` is compiled anew for every batch (6-14 ms for 40 rows). On PostgreSQL this is
    ``INSERT ... SELECT ... FROM json_to_recordset(:rows)``: one statement, one text, one
    parameter. On SQLite, in-process, one ``executemany`` of one ``INSERT`` through the
    driver: the prepared statement is stepped per row in C, and each value is converted to
    what SQLite stores by its column's own type, a shared value once for the batch (through
    SQLAlchemy each of the 400 values of 40 rows took a bind processor: 1.3 ms a sync).
    """
    if set(shared) != set(SHARED):
        raise ValueError(f"shared: exactly {', '.join(SHARED)}, not {', '.join(shared)}")
    if not rows:
        return
    conn, postgres = _core(session)
    if postgres:
        rows_text = json.dumps(rows, default=_json_plain)
        _FROM_JSON.run(conn, {"rows": rows_text, **{name: shared[name] for name in SHARED}})
        return
    _INSERT_ROWS.run_many(conn, rows, shared)


# SQLite: one ``executemany``, each column's values converted by its type (``driver_sql``).
_INSERT_ROWS = DriverStatement(
    sa.insert(_ANSWERS).values({c.name: sa.bindparam(c.name, type_=c.type) for c in _INSERTED})
)


def _json_plain(value: object) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()  # aware (validated on the way in): PostgreSQL keeps the instant
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def retire(session: Session, row_ids: Collection[int]) -> None:
    """Clear the current flag of these answers in one statement; run before the new current
    answers are inserted (the database allows one current answer per item)."""
    if row_ids:
        conn, postgres = _core(session)
        _RETIRE[postgres].run(conn, {"ids": list(row_ids)})


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
