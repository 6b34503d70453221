"""Fill a database with plausible demo visits, answers and scores: `mshop demo generate`.

Visits go in by bulk INSERTs (executemany) of ``BATCH`` visits at a time, one transaction per
batch, with their answers and scores, so tens of thousands of visits take minutes, not hours;
each batch is drawn and scored before its transaction begins, so the write lock is held only
for the inserts.
Every scored visit is scored by the real pure rules (``score_visit``) on its own answers and
stored as the rows ``scoring.service.stored_rows`` builds, as a scored visit is.

Deterministic for a seed and a database state: the same seed on the same database adds the
same rows; running again adds new visits (the state changed), never duplicates.
"""

import datetime as dt
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Engine, insert

from service import migrate
from service.answers.service import content_hash
from service.base import metadata
from service.checklists.items import PhotoItem
from service.config import Settings
from service.db import core_transaction, create_db_engine
from service.demo.answers import answers_for
from service.demo.plan import NOW, SHOPPERS, TODAY, Plan, load_catalogue, prepare
from service.isotime import LOCAL_OFFSET
from service.offices.regions import Region
from service.scoring.results import AnswerValue
from service.scoring.rules import score_visit
from service.scoring.service import stored_rows
from service.visits.transitions import VisitStatus

WAVES = [("2026-1", dt.date(2026, 1, 12), 75), ("2026-2", dt.date(2026, 4, 1), 80)]
NEXT_WAVE = ("2026-3", dt.date(2026, 7, 6), 25)
CHANNEL_WEIGHTS = {"in_person": 0.3, "call_1414": 0.45, "egov": 0.25}
# Visits per transaction: small enough that a server answering requests meanwhile (serve
# --demo) waits a fraction of a second at most for SQLite's write lock, large enough that
# the per-statement overhead stays small.
BATCH = 200
# Demo visits have no photo files; the scoring sees required photos as sent, so the findings
# are about service quality rather than about a generator that takes no pictures.
PHOTO_PLACEHOLDER = "demo-photo"


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _window(rng: random.Random, status: VisitStatus) -> tuple[str, dt.datetime]:
    wave, first, days = NEXT_WAVE if status is VisitStatus.assigned else rng.choice(WAVES)
    day = first + dt.timedelta(days=rng.randrange(days))
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return wave, dt.datetime(day.year, day.month, day.day, rng.randint(9, 15), tzinfo=LOCAL_OFFSET)


class _Batch:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def write(self, conn: Connection) -> None:
        for table in ("visits", "answers", "visit_scores", "visit_findings", "visit_criteria"):
            if self.rows[table]:
                conn.execute(insert(metadata.tables[table]), self.rows[table])
        self.rows.clear()


def _visit(plan: Plan, rng: random.Random, batch: _Batch, counts: Counter[str]) -> None:
    service = rng.choice(plan.services)
    offered = [c for c in CHANNEL_WEIGHTS if c in service.checklists]
    channel = rng.choices(offered, [CHANNEL_WEIGHTS[c] for c in offered])[0]
    office, office_quality = (
        rng.choice(plan.in_person) if channel == "in_person" else plan.remote[channel]
    )
    draw = rng.random()
    status = (
        VisitStatus.assigned
        if draw < 0.1
        else VisitStatus.submitted
        if draw < 0.25
        else VisitStatus.approved
    )
    wave, start = _window(rng, status)
    checklist_id, standard_id, checklist = service.checklists[channel]
    visit_id, shopper = _uuid(rng), rng.choice(plan.shoppers)
    done = status is not VisitStatus.assigned
    approved = status is VisitStatus.approved
    submitted = start + dt.timedelta(hours=6) if done else None
    batch.rows["visits"].append({
        "id": visit_id, "client_id": None, "service_code": service.code, "office_id": office,
        "shopper_id": shopper, "channel": channel, "wave": wave, "window_start_at": start,
        "window_end_at": start + dt.timedelta(hours=9), "notes": None, "status": status,
        "checklist_id": checklist_id, "standard_id": standard_id, "deadline_case_index": None,
        "created_at": start - dt.timedelta(days=10), "created_by_id": plan.coordinator,
        "started_at": start + dt.timedelta(minutes=5) if done else None,
        "submitted_at": submitted, "device_submitted_at": submitted, "submit_client_id": None,
        "clock_skew_seconds": None,
        "reviewed_at": submitted + dt.timedelta(days=1) if submitted and approved else None,
        "reviewed_by_id": plan.coordinator if approved else None,
        "review_comment": None, "version": 1,
    })  # fmt: skip
    counts[status.value] += 1
    if not done:
        return
    quality = min(0.995, max(0.3, office_quality + service.difficulty + rng.gauss(0, 0.05)))
    answers = answers_for(
        checklist, service.body, rng=rng, quality=quality, start=start,
        calendar=plan.calendar, today=TODAY,
    )  # fmt: skip
    for n, (code, (value, na)) in enumerate(answers.items()):
        at = start + dt.timedelta(seconds=30 * n)
        batch.rows["answers"].append({
            "client_id": _uuid(rng), "visit_id": visit_id, "item_code": code, "value": value,
            "na": na, "answered_at": at, "received_at": at + dt.timedelta(seconds=2),
            "content_hash": content_hash(visit_id, code, value, na, at), "is_current": True,
            "author_id": shopper,
        })  # fmt: skip
    counts["answers"] += len(answers)
    photos = {
        item.code: [PHOTO_PLACEHOLDER]
        for item in checklist.items()
        if isinstance(item, PhotoItem) and item.required and item.min_count
    }
    result = score_visit(
        checklist,
        service.body,
        {code: AnswerValue(value=value, na=na) for code, (value, na) in answers.items()},
        calendar=plan.calendar,
        today=TODAY,
        photos=photos,
        office_channels=plan.office_channels[office],
    )
    score, findings, criteria = stored_rows(visit_id, checklist, result, now=NOW)
    batch.rows["visit_scores"].append(score.model_dump())
    # Finding ids are the database's to number.
    batch.rows["visit_findings"].extend(f.model_dump(exclude={"id"}) for f in findings)
    batch.rows["visit_criteria"].extend(c.model_dump() for c in criteria)


def add_visits(
    engine: Engine, *, visits: int, seed: int, batch: int = BATCH
) -> Iterator[Counter[str]]:
    """Add ``visits`` demo visits to the migrated database at ``engine``, catalogue loaded.

    Yields the counts so far after each committed batch of ``batch`` visits: by status
    ("assigned", "submitted", "approved") and "answers" stored. Stopping early leaves whole
    batches; the statistics are refreshed once the last batch is in.
    """
    plan = prepare(engine, seed)
    rng = random.Random(f"{seed}:{plan.existing}")
    counts: Counter[str] = Counter()
    for first in range(0, visits, batch):
        rows = _Batch()
        for _ in range(min(batch, visits - first)):
            _visit(plan, rng, rows, counts)
        # Drawn and scored before the transaction: the write lock is held for the inserts only.
        with core_transaction(engine) as conn:
            rows.write(conn)
        yield counts
    with core_transaction(engine) as conn:
        # Fresh statistics: right after a bulk load PostgreSQL still thinks the tables are
        # nearly empty and picks nested loops that make the findings report take minutes.
        conn.exec_driver_sql("ANALYZE")


def generate(engine: Engine, settings: Settings, *, visits: int, seed: int) -> Counter[str]:
    """Load the catalogue and add ``visits`` demo visits to the migrated database at ``engine``.

    Returns:
        Visits by status ("assigned", "submitted", "approved") and "answers" stored.
    """
    load_catalogue(engine, settings, now=NOW)
    counts: Counter[str] = Counter()
    for so_far in add_visits(engine, visits=visits, seed=seed):
        counts = so_far
    return counts


def run_demo_generate(settings: Settings, visits: int, seed: int) -> str:
    """Generate ``visits`` demo visits (migrating the database first); say what was made."""
    started = time.perf_counter()
    engine = create_db_engine(settings.database)
    try:
        migrate.upgrade(engine)
        counts = generate(engine, settings, visits=visits, seed=seed)
    finally:
        engine.dispose()
    took = time.perf_counter() - started
    return (
        f"demo: {visits} visits ({counts['approved']} approved, {counts['submitted']} "
        f"submitted, {counts['assigned']} assigned), {counts['answers']} answers, "
        f"{len(Region) * 2 + 2} offices, {SHOPPERS} shoppers, seed {seed}, in {took:.1f} s"
    )
