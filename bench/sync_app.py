"""The API with the answer-sync baselines mounted beside it, for ``bench/sync.py`` only.

Same process, same uvicorn, same middleware for every endpoint, so a ratio measures the route
and nothing else:

- ``PUT /api/v1/visits/{id}/answers``: the real sync.
- ``PUT /api/v1/visits/{id}/answers-floor``: the database floor. The same body through the
  same Pydantic model, written with the fewest statements through the raw driver (``sqlite3``
  or ``psycopg``), in one transaction: lock the visit; read the batch's client ids sent before
  and the current answers of its items (one ``UNION ALL``); retire the replaced answers (one
  ``UPDATE``); insert the new ones (one multi-row ``INSERT``); the audit row; ``COMMIT``. No
  token, no checklist, no value checks, no version cap: what any sync must cost the database.
- ``PUT /api/v1/visits/{id}/answers-bare``: parses the body and answers its size.
- ``PUT /api/v1/visits/{id}/answers-journal``: what the write model the issue offers instead
  of rows per answer would cost a request (not a goal, and not the API): the same body through
  the same model, appended as one row keyed by its client ids (a retry adds nothing) under
  the visit's lock, through the raw driver; no token, no conflict check against earlier
  batches, no answers derived. What a sync then still owes (the 409 on a reused client id,
  newest wins per item, the answers reviews and reports read) is left to later work.
- ``PUT /api/v1/visits/{id}/answers-deferred``: that write model whole (not a goal either):
  the checks a sync owes before it answers, the batch appended, its answers derived after by
  a thread of this process (``bench/sync_deferred.py``).
- ``GET /bench/statements``: statements the API's engine has run, for statements per sync;
  ``GET /bench/deriver``: the deferred model's derivations.

The floor and the bare endpoint are added to the sync's own router, after its routes, with
paths of the sync's shape, so finding each costs what finding a sync does: the router tries
the routes in order until one matches. Mounted after the whole API, under ``/bench``, each
was tried against every route first: 0.13 ms more than a sync to be found (180 against 55 us,
timed on this machine), about 5% of the floor and a sixth of the bare endpoint, which
flattered the sync's ratios to both.

    uvicorn --factory bench.sync_app:create   (settings from MSHOP_* as for the API)
"""

import datetime as dt
import hashlib
import json
import queue
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from fastapi import APIRouter, FastAPI, HTTPException, Response
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bench.sync_deferred import Deriver, create_batches, deferred_sync
from service.answers.schemas import AnswerBatch, AnswerIn, SyncOutcome, SyncResult
from service.answers.service import content_hash
from service.config import get_settings
from service.main import create_app
from service.responses import model_json
from service.visits.routes_answers import router as answers_router

Connection = sqlite3.Connection | psycopg.Connection[Any]


class RawDatabase:
    """A few raw driver connections to the API's database, and SQLite's one writer."""

    def __init__(self, url: str, size: int) -> None:
        parsed = make_url(url)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        self.pool: queue.LifoQueue[Connection] = queue.LifoQueue()
        # As the API does (service/db/sqlite_locks.py): writers of this process queue on a
        # lock in front of SQLite's, instead of sleeping in its busy handler.
        self.writer = threading.Lock()
        for _ in range(size):
            self.pool.put(self._connect(parsed))

    def _connect(self, parsed: Any) -> Connection:
        if self.sqlite:
            conn = sqlite3.connect(
                parsed.database, check_same_thread=False, isolation_level=None, timeout=5
            )
            for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
                conn.execute(f"PRAGMA {pragma}")
            return conn
        conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        return psycopg.connect(conninfo)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        conn = self.pool.get()
        try:
            if self.sqlite:
                with self.writer:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        yield conn
                        conn.execute("COMMIT")
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
            else:
                assert isinstance(conn, psycopg.Connection)
                with conn.transaction():
                    yield conn
        finally:
            self.pool.put(conn)

    # SQLAlchemy's storage on SQLite: UUIDs as 32 hex digits, UTC times as text.
    def uuid(self, value: uuid.UUID) -> Any:
        return value.hex if self.sqlite else value

    def time(self, value: dt.datetime) -> Any:
        utc = value.astimezone(dt.UTC)
        return utc.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else utc

    def marks(self, n: int) -> str:
        return ", ".join(["?"] * n)


COLUMNS = (
    "client_id, visit_id, item_code, value, na, answered_at, received_at, content_hash, "
    "is_current, author_id"
)
# PostgreSQL: lists as arrays and the rows as one JSON document (as the API does), so each
# statement is one constant text psycopg converts once and the server prepares once.
PG_STATE = (
    "SELECT client_id, NULL::text, NULL::int, NULL::timestamptz FROM answers "
    "WHERE client_id = ANY(%(ids)s) "
    "UNION ALL SELECT client_id, NULL, NULL, NULL FROM dropped_answers "
    "WHERE client_id = ANY(%(ids)s) "
    "UNION ALL SELECT NULL, item_code, id, answered_at FROM answers "
    "WHERE visit_id = %(visit)s AND is_current AND item_code = ANY(%(items)s)"
)
PG_INSERT = (
    f"INSERT INTO answers ({COLUMNS}) SELECT r.client_id, r.visit_id, r.item_code, "
    "coalesce(r.value, 'null'::json), r.na, r.answered_at, r.received_at, r.content_hash, "
    "r.is_current, r.author_id FROM json_to_recordset(%s::json) AS r(client_id uuid, "
    "visit_id uuid, item_code text, value json, na boolean, answered_at timestamptz, "
    "received_at timestamptz, content_hash text, is_current boolean, author_id uuid)"
)


def floor_sync(raw: RawDatabase, visit_id: uuid.UUID, answers: Sequence[AnswerIn]) -> SyncResult:
    """Store the batch as the sync does, with the fewest statements: the floor of its cost."""
    now = dt.datetime.now(dt.UTC)
    m = raw.marks
    ids = [raw.uuid(a.client_id) for a in answers]
    items = sorted({a.item_code for a in answers})
    vid = raw.uuid(visit_id)
    with raw.transaction() as conn:
        lock = "?" if raw.sqlite else "%s FOR UPDATE"
        found = conn.execute(f"SELECT shopper_id FROM visits WHERE id = {lock}", (vid,)).fetchone()
        if found is None:
            raise HTTPException(404, "no such visit")
        author = found[0]
        if raw.sqlite:
            state = conn.execute(
                "SELECT client_id, NULL, NULL, NULL FROM answers "
                f"WHERE client_id IN ({m(len(ids))}) "
                "UNION ALL SELECT client_id, NULL, NULL, NULL FROM dropped_answers "
                f"WHERE client_id IN ({m(len(ids))}) "
                "UNION ALL SELECT NULL, item_code, id, answered_at FROM answers "
                f"WHERE visit_id = ? AND is_current AND item_code IN ({m(len(items))})",
                (*ids, *ids, vid, *items),
            )
        else:
            state = conn.execute(PG_STATE, {"ids": ids, "visit": vid, "items": items})
        rows = state.fetchall()
        sent = {str(r[0]) for r in rows if r[0] is not None}
        current = {r[1]: (r[2], r[3]) for r in rows if r[0] is None}
        new = [a for a, i in zip(answers, ids, strict=True) if str(i) not in sent]
        # Newest wins per item (times compared as stored: both sides are UTC).
        newest = {code: at for code, (_, at) in current.items()}
        leaders: dict[str, uuid.UUID] = {}
        for a in new:
            at = raw.time(a.answered_at)
            if a.item_code not in newest or at > newest[a.item_code]:
                newest[a.item_code], leaders[a.item_code] = at, a.client_id
        retired = [current[code][0] for code in leaders if code in current]
        if retired and raw.sqlite:
            conn.execute(
                f"UPDATE answers SET is_current = false WHERE id IN ({m(len(retired))})",
                tuple(retired),
            )
        elif retired:
            conn.execute("UPDATE answers SET is_current = false WHERE id = ANY(%s)", (retired,))
        if new:
            records = [
                (
                    a.client_id,
                    a.item_code,
                    a.value,
                    a.na,
                    a.answered_at,
                    content_hash(visit_id, a.item_code, a.value, a.na, a.answered_at),
                    leaders.get(a.item_code) == a.client_id,
                )
                for a in new
            ]
            if raw.sqlite:
                values: list[Any] = []
                for client_id, item_code, value, na, at, digest, is_current in records:
                    values += [
                        raw.uuid(client_id),
                        vid,
                        item_code,
                        json.dumps(value),
                        na,
                        raw.time(at),
                        raw.time(now),
                        digest,
                        is_current,
                        author,
                    ]
                conn.execute(
                    f"INSERT INTO answers ({COLUMNS}) VALUES "
                    + ", ".join([f"({m(10)})"] * len(new)),
                    values,
                )
            else:
                document = [
                    {
                        "client_id": str(client_id),
                        "visit_id": str(visit_id),
                        "item_code": item_code,
                        "value": value,
                        "na": na,
                        "answered_at": at.isoformat(),
                        "received_at": now.isoformat(),
                        "content_hash": digest,
                        "is_current": is_current,
                        "author_id": str(author),
                    }
                    for client_id, item_code, value, na, at, digest, is_current in records
                ]
                conn.execute(PG_INSERT, (json.dumps(document),))
            detail = json.dumps({"created": len(new), "unchanged": len(answers) - len(new)})
            conn.execute(
                "INSERT INTO visit_events (visit_id, actor_id, action, detail, at) VALUES "
                + ("(?, ?, ?, ?, ?)" if raw.sqlite else "(%s, %s, %s, %s::json, %s)"),
                (vid, author, "sync", detail, raw.time(now)),
            )
    stored = {a.client_id for a in new}

    def outcome(a: AnswerIn) -> SyncOutcome:
        if a.client_id not in stored:
            return SyncOutcome.unchanged
        if leaders.get(a.item_code) == a.client_id:
            return SyncOutcome.created
        return SyncOutcome.superseded

    # Built as the sync builds its result (one validation of plain values, a third of the
    # time of 40 model constructions): the floor must not pay what the sync does not.
    results = [
        {"client_id": a.client_id, "item_code": a.item_code, "outcome": outcome(a)} for a in answers
    ]
    return SyncResult.model_validate(
        {"created": len(new), "unchanged": len(answers) - len(new), "results": results}
    )


JOURNAL = "bench_answer_batches"


def create_journal(raw: RawDatabase) -> None:
    """The journal's table, in the bench's own database (a scratch one, dropped after)."""
    types = ("TEXT", "TEXT", "TEXT") if raw.sqlite else ("uuid", "json", "timestamptz")
    with raw.transaction() as conn:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {JOURNAL} (visit_id {types[0]} NOT NULL, "
            f"batch_key TEXT NOT NULL, body {types[1]} NOT NULL, "
            f"received_at {types[2]} NOT NULL, PRIMARY KEY (visit_id, batch_key))"
        )


def journal_sync(raw: RawDatabase, visit_id: uuid.UUID, batch: AnswerBatch) -> dict[str, int]:
    """Append the batch as one row, keyed by a digest of its client ids, under the visit's lock
    (its answers are derived in order, so batches of one visit are appended one at a time)."""
    key = hashlib.sha256(b"".join(a.client_id.bytes for a in batch.answers)).hexdigest()
    vid = raw.uuid(visit_id)
    mark = "?" if raw.sqlite else "%s"
    with raw.transaction() as conn:
        lock = "?" if raw.sqlite else "%s FOR UPDATE"
        if conn.execute(f"SELECT 1 FROM visits WHERE id = {lock}", (vid,)).fetchone() is None:
            raise HTTPException(404, "no such visit")
        added = conn.execute(
            f"INSERT INTO {JOURNAL} (visit_id, batch_key, body, received_at) "
            f"VALUES ({mark}, {mark}, {mark}, {mark}) ON CONFLICT DO NOTHING",
            (vid, key, batch.model_dump_json(), raw.time(dt.datetime.now(dt.UTC))),
        ).rowcount
    return {"answers": len(batch.answers), "appended": added}


def create() -> FastAPI:
    """The API from MSHOP_* settings, with the floor, the bare, journal and deferred endpoints
    and the counters."""
    settings = get_settings()
    raw = RawDatabase(settings.database.url, settings.database.pool_size)
    counts = {"statements": 0, "begin": 0}
    # Beside the sync, in its router (see the module's docstring), so they also pay what the
    # API's router adds to each route (its query-parameter check) and the path's id check.
    # The router is shared by every app of the process, included already by ``service.api``:
    # FastAPI (>= 0.165, as pyproject requires) includes a router by reference, so routes added
    # now are found; the process serving the bench builds one app, and only once.
    beside_sync = answers_router
    names = ("floor", "bare", "journal", "deferred")
    if any(getattr(route, "name", None) in names for route in beside_sync.routes):
        raise RuntimeError("the bench's endpoints are added once per process")

    @beside_sync.put("/visits/{visit_id:uuid}/answers-floor", response_model=SyncResult)
    def floor(visit_id: uuid.UUID, batch: AnswerBatch) -> Response:
        """Write the batch with the fewest statements through the raw driver."""
        return model_json(floor_sync(raw, visit_id, batch.answers))  # as the API's route does

    @beside_sync.put("/visits/{visit_id:uuid}/answers-bare")
    def bare(visit_id: uuid.UUID, batch: AnswerBatch) -> dict[str, int]:
        """Parse the batch, as the sync's body is parsed, and nothing else."""
        return {"answers": len(batch.answers)}

    @beside_sync.put("/visits/{visit_id:uuid}/answers-journal")
    def journal(visit_id: uuid.UUID, batch: AnswerBatch) -> dict[str, int]:
        """Append the batch as one row under the visit's lock, and nothing else."""
        return journal_sync(raw, visit_id, batch)

    @beside_sync.put("/visits/{visit_id:uuid}/answers-deferred", response_model=SyncResult)
    def deferred(visit_id: uuid.UUID, batch: AnswerBatch) -> Response:
        """Check and append the batch as one row; a thread derives its answers after."""
        return model_json(deferred_sync(raw, deriver, visit_id, batch.answers))

    create_journal(raw)
    create_batches(raw)
    deriver = Deriver(raw)
    app = create_app(settings)

    @event.listens_for(app.state.engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # SQLite's BEGIN DEFERRED is sent as a statement; PostgreSQL's BEGIN and every COMMIT
        # are not (the drivers send them), so they are counted apart.
        counts["begin" if statement.startswith("BEGIN") else "statements"] += 1

    router = APIRouter(prefix="/bench")

    @router.get("/statements")
    async def statements() -> dict[str, int]:
        return counts

    @router.get("/deriver")
    def derived() -> dict[str, int]:
        """The deferred model's derivations: runs, batches derived, failures, batches pending."""
        done = {"runs": deriver.runs, "batches": deriver.batches, "failures": deriver.failures}
        return done | {"pending": deriver.pending()}

    app.include_router(router)
    return app
