"""The other write model issue 15 offers, whole, for ``bench/sync.py``: each batch appended as
one row, its answers derived just after by a thread of the same process.

``PUT /api/v1/visits/{id}/answers-deferred`` (mounted by ``bench/sync_app.py``, not the API)
does what a sync must do before it answers, through the raw driver: under the visit's lock it
reads the batch's client ids sent before (stored answers, dropped ones and the batches not yet
derived), refuses one sent with other content (409), works out each answer's outcome against
the item's current answer (stored or still pending), appends the new answers as one row and
the audit row, and commits. A deriver thread then takes every pending batch at once and
derives their answers in SQL, in the database's own code: inserted in order, then per item
touched the newest made current (ties: the one stored first, as the sync rules). Like the
floor: no token, no checklist, no value checks, no version cap.

It measures whether deriving after the answer, coalesced across batches and done by the
database, costs the process less than writing the rows in the request. The deriver runs in the
server's process (the embedded default has no other), so its CPU counts, as it would in use;
``bench/sync.py`` waits for it to derive every batch before the next endpoint's turn and counts
that wait in this endpoint's time.

What it does not hold, and a product would have to: two visits sending one client id with
different content at once on PostgreSQL both pass the check (neither sees the other's pending
batch) and the deriver keeps the first, so the second is answered ``created`` and never
stored. Closing that takes a unique key per answer written in the request: the per-answer
write this model exists to avoid. Checking client ids against pending batches also expands
their JSON without an index, which costs more as the deriver falls behind.
"""

import datetime as dt
import json
import threading
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException

from service.answers.schemas import AnswerIn, SyncOutcome, SyncResult
from service.answers.service import content_hash

if TYPE_CHECKING:
    from bench.sync_app import RawDatabase

BATCHES = "bench_batches"

# Each batch's body: [client id, item code, value, N/A, answered at, content hash] per answer,
# ids and times as the database stores them (SQLite: 32 hex digits and UTC text).
_SQLITE_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {BATCHES} (id INTEGER PRIMARY KEY, visit_id TEXT NOT NULL, "
    "author_id TEXT NOT NULL, received_at TEXT NOT NULL, body TEXT NOT NULL, "
    "derived INT NOT NULL DEFAULT 0)",
    f"CREATE INDEX IF NOT EXISTS ix_{BATCHES}_pending ON {BATCHES} (visit_id) WHERE NOT derived",
)
_POSTGRES_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {BATCHES} (id bigserial PRIMARY KEY, visit_id uuid NOT NULL, "
    "author_id uuid NOT NULL, received_at timestamptz NOT NULL, body json NOT NULL, "
    "derived boolean NOT NULL DEFAULT false)",
    f"CREATE INDEX IF NOT EXISTS ix_{BATCHES}_pending ON {BATCHES} (visit_id) WHERE NOT derived",
)

_SQLITE_DERIVE = (
    # The pending batches' answers, in the order they were sent, none current yet; an id
    # stored already is left as it is.
    "INSERT INTO answers (client_id, visit_id, item_code, value, na, answered_at, received_at, "
    "content_hash, is_current, author_id) SELECT j.value->>0, b.visit_id, j.value->>1, "
    "json(j.value->2), j.value->>3, j.value->>4, b.received_at, j.value->>5, 0, b.author_id "
    f"FROM {BATCHES} b, json_each(b.body) j WHERE b.id IN (SELECT value FROM json_each(:ids)) "
    "ORDER BY b.id, j.key ON CONFLICT DO NOTHING",
    "DELETE FROM temp.touched",
    "INSERT OR IGNORE INTO temp.touched (visit_id, item_code) SELECT b.visit_id, j.value->>1 "
    f"FROM {BATCHES} b, json_each(b.body) j WHERE b.id IN (SELECT value FROM json_each(:ids))",
    "UPDATE temp.touched SET winner = (SELECT a.id FROM answers a WHERE a.visit_id = "
    "touched.visit_id AND a.item_code = touched.item_code ORDER BY a.answered_at DESC, a.id "
    "LIMIT 1)",
    # Retire before crowning: the database allows one current answer per item.
    "UPDATE answers SET is_current = 0 WHERE id IN (SELECT a.id FROM temp.touched t JOIN "
    "answers a ON a.visit_id = t.visit_id AND a.item_code = t.item_code AND a.is_current AND "
    "a.id != t.winner)",
    "UPDATE answers SET is_current = 1 WHERE id IN (SELECT winner FROM temp.touched) AND NOT "
    "is_current",
    f"UPDATE {BATCHES} SET derived = 1 WHERE id IN (SELECT value FROM json_each(:ids))",
)
_POSTGRES_DERIVE = (
    "INSERT INTO answers (client_id, visit_id, item_code, value, na, answered_at, received_at, "
    "content_hash, is_current, author_id) SELECT (e->>0)::uuid, b.visit_id, e->>1, e->2, "
    "(e->>3)::boolean, (e->>4)::timestamptz, b.received_at, e->>5, false, b.author_id "
    f"FROM {BATCHES} b, json_array_elements(b.body) WITH ORDINALITY AS j(e, n) "
    "WHERE b.id = ANY(%(ids)s) ORDER BY b.id, j.n ON CONFLICT DO NOTHING",
    "CREATE TEMP TABLE IF NOT EXISTS touched (visit_id uuid, item_code text, winner bigint, "
    "PRIMARY KEY (visit_id, item_code)) ON COMMIT DELETE ROWS",
    "INSERT INTO touched (visit_id, item_code) SELECT DISTINCT b.visit_id, e->>1 "
    f"FROM {BATCHES} b, json_array_elements(b.body) e WHERE b.id = ANY(%(ids)s)",
    "UPDATE touched SET winner = (SELECT a.id FROM answers a WHERE a.visit_id = "
    "touched.visit_id AND a.item_code = touched.item_code ORDER BY a.answered_at DESC, a.id "
    "LIMIT 1)",
    "UPDATE answers a SET is_current = false FROM touched t WHERE a.visit_id = t.visit_id AND "
    "a.item_code = t.item_code AND a.is_current AND a.id != t.winner",
    "UPDATE answers SET is_current = true WHERE id IN (SELECT winner FROM touched) AND NOT "
    "is_current",
    f"UPDATE {BATCHES} SET derived = true WHERE id = ANY(%(ids)s)",
)


def create_batches(raw: "RawDatabase") -> None:
    """The batches' table, in the bench's own database (a scratch one, dropped after)."""
    with raw.transaction() as conn:
        for statement in _SQLITE_SCHEMA if raw.sqlite else _POSTGRES_SCHEMA:
            conn.execute(statement)


class Deriver:
    """One thread deriving every pending batch at once, woken by each append."""

    def __init__(self, raw: "RawDatabase") -> None:
        self.raw = raw
        self.wake = threading.Event()
        self.runs = 0
        self.batches = 0
        self.failures = 0
        threading.Thread(target=self._loop, name="bench-deriver", daemon=True).start()

    def _loop(self) -> None:
        while True:
            self.wake.wait()
            self.wake.clear()
            try:
                self.derive()
            except Exception as exc:  # counted and shown by the bench; the next append retries
                self.failures += 1
                print(f"deriver: {exc!r}", flush=True)

    def derive(self) -> None:
        # SQLite: a temporary table belongs to its connection; the raw pool is a stack, so
        # each statement list creates what it needs where it runs (``IF NOT EXISTS``).
        with self.raw.transaction() as conn:
            if self.raw.sqlite:
                conn.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS touched (visit_id TEXT, item_code TEXT, "
                    "winner INT, PRIMARY KEY (visit_id, item_code))"
                )
                found = conn.execute(f"SELECT id FROM {BATCHES} WHERE NOT derived")
                pending = [r[0] for r in found]
                params: Any = {"ids": json.dumps(pending)}
                statements = _SQLITE_DERIVE
            else:
                # Batches a request appends while this runs wait for the next run.
                pending = [
                    r[0]
                    for r in conn.execute(
                        f"SELECT id FROM {BATCHES} WHERE NOT derived FOR UPDATE SKIP LOCKED"
                    )
                ]
                params = {"ids": pending}
                statements = _POSTGRES_DERIVE
            if not pending:
                return
            for statement in statements:
                conn.execute(statement, params)
        self.runs += 1
        self.batches += len(pending)

    def pending(self) -> int:
        """Batches not derived yet."""
        with self.raw.transaction() as conn:
            found = conn.execute(f"SELECT count(*) FROM {BATCHES} WHERE NOT derived").fetchone()
        return int(found[0]) if found else 0


def deferred_sync(
    raw: "RawDatabase", deriver: Deriver, visit_id: uuid.UUID, answers: Sequence[AnswerIn]
) -> SyncResult:
    """Check and append the batch as one row; its answers are derived after the commit."""
    now = dt.datetime.now(dt.UTC)
    sqlite = raw.sqlite
    vid = raw.uuid(visit_id)
    ids = [a.client_id.hex if sqlite else str(a.client_id) for a in answers]
    times = [raw.time(a.answered_at) if sqlite else a.answered_at for a in answers]
    hashes = [content_hash(visit_id, a.item_code, a.value, a.na, a.answered_at) for a in answers]
    items = sorted({a.item_code for a in answers})
    if len({a.client_id for a in answers}) < len(answers):  # as the sync refuses it
        raise HTTPException(422, "a client_id repeats within the batch")
    with raw.transaction() as conn:
        lock = "?" if sqlite else "%s FOR UPDATE"
        found = conn.execute(f"SELECT shopper_id FROM visits WHERE id = {lock}", (vid,)).fetchone()
        if found is None:
            raise HTTPException(404, "no such visit")
        author = found[0]
        rows = conn.execute(*_state(raw, vid, ids, items)).fetchall()
        sent = {str(r[0]).replace("-", ""): r[1] for r in rows if r[0] is not None}
        newest: dict[str, Any] = {}
        for _, _, item, at in rows:
            if item is not None and (item not in newest or at > newest[item]):
                newest[item] = at
        keys = [i.replace("-", "") for i in ids]
        if any(k in sent and sent[k] != h for k, h in zip(keys, hashes, strict=True)):
            raise HTTPException(409, "a client id was used before for a different answer")
        leaders: dict[str, str] = {}
        body = []
        for a, i, k, at, h in zip(answers, ids, keys, times, hashes, strict=True):
            if k in sent:
                continue
            if a.item_code not in newest or at > newest[a.item_code]:
                newest[a.item_code], leaders[a.item_code] = at, k
            body.append([i, a.item_code, a.value, a.na, at if sqlite else at.isoformat(), h])
        if body:
            mark = "?" if sqlite else "%s"
            conn.execute(
                f"INSERT INTO {BATCHES} (visit_id, author_id, received_at, body) "
                f"VALUES ({mark}, {mark}, {mark}, {mark})",
                (vid, author, raw.time(now), json.dumps(body)),
            )
            detail = json.dumps({"created": len(body), "unchanged": len(answers) - len(body)})
            conn.execute(
                "INSERT INTO visit_events (visit_id, actor_id, action, detail, at) VALUES "
                + ("(?, ?, ?, ?, ?)" if sqlite else "(%s, %s, %s, %s::json, %s)"),
                (vid, author, "sync", detail, raw.time(now)),
            )
    if body:
        deriver.wake.set()

    def outcome(a: AnswerIn, k: str) -> SyncOutcome:
        if k in sent:
            return SyncOutcome.unchanged
        return SyncOutcome.created if leaders.get(a.item_code) == k else SyncOutcome.superseded

    results = [
        {"client_id": a.client_id, "item_code": a.item_code, "outcome": outcome(a, k)}
        for a, k in zip(answers, keys, strict=True)
    ]
    return SyncResult.model_validate(
        {"created": len(body), "unchanged": len(answers) - len(body), "results": results}
    )


def _state(
    raw: "RawDatabase", vid: Any, ids: list[str], items: list[str]
) -> tuple[str, Sequence[Any] | dict[str, Any]]:
    """The batch's ids sent before (stored, dropped or pending: id, hash) and its items'
    current answers (stored, or pending for this visit: item, time), in one statement."""
    if raw.sqlite:
        m = raw.marks
        return (
            f"SELECT client_id, content_hash, NULL, NULL FROM answers WHERE client_id IN "
            f"({m(len(ids))}) UNION ALL SELECT client_id, content_hash, NULL, NULL FROM "
            f"dropped_answers WHERE client_id IN ({m(len(ids))}) UNION ALL SELECT j.value->>0, "
            f"j.value->>5, NULL, NULL FROM {BATCHES} b, json_each(b.body) j WHERE NOT b.derived "
            f"AND j.value->>0 IN ({m(len(ids))}) UNION ALL SELECT NULL, NULL, item_code, "
            "answered_at FROM answers WHERE visit_id = ? AND is_current AND item_code IN "
            f"({m(len(items))}) UNION ALL SELECT NULL, NULL, j.value->>1, j.value->>4 FROM "
            f"{BATCHES} b, json_each(b.body) j WHERE b.visit_id = ? AND NOT b.derived",
            (*ids, *ids, *ids, vid, *items, vid),
        )
    return (
        "SELECT client_id::text, content_hash, NULL, NULL::timestamptz FROM answers WHERE "
        "client_id = ANY(%(uuids)s) UNION ALL SELECT client_id::text, content_hash, NULL, NULL "
        "FROM dropped_answers WHERE client_id = ANY(%(uuids)s) UNION ALL SELECT e->>0, e->>5, "
        f"NULL, NULL FROM {BATCHES} b, json_array_elements(b.body) e WHERE NOT b.derived AND "
        "e->>0 = ANY(%(ids)s) UNION ALL SELECT NULL, NULL, item_code, answered_at FROM answers "
        "WHERE visit_id = %(visit)s AND is_current AND item_code = ANY(%(items)s) UNION ALL "
        f"SELECT NULL, NULL, e->>1, (e->>4)::timestamptz FROM {BATCHES} b, "
        "json_array_elements(b.body) e WHERE b.visit_id = %(visit)s AND NOT b.derived",
        {"uuids": [uuid.UUID(i) for i in ids], "ids": ids, "visit": vid, "items": items},
    )
