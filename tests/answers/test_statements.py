"""SQL statements per answer sync: the same for 1, 10, 40 or 200 answers, never above eight,
the token's user included (read in the visit's statement).

A ``before_cursor_execute`` listener on the engine sees every statement a request sends to the
database (issue 15: 52 on SQLite and 12 on PostgreSQL before). Left out, because they are the
transaction's bookkeeping and not its work: ``SAVEPOINT``/``RELEASE`` (the tests run each
request's transaction as a savepoint of their own) and ``BEGIN``/``COMMIT``/``ROLLBACK``
(production's, which psycopg and SQLite's lock switch do not even send as statements).
"""

import datetime as dt
import uuid
from collections import OrderedDict
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from service.answers.models import Answer, DroppedAnswer
from service.auth.models import User
from service.checklists import pinned
from service.checklists import service as checklists_service
from service.config import Settings
from service.visits.models import Visit, VisitEvent
from service.visits.transitions import VisitStatus
from tests.conftest import FrozenClock
from tests.fixtures.factories import complete_answers, make_visit
from tests.fixtures.http import bearer
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.fixtures.statements import Statements

KEEP = 4  # versions kept per item here, so a test can pass the cap in a few syncs
SIZES = [1, 10, 40, 200]
T0 = dt.datetime(2026, 3, 18, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))

LATER = ["SELECT visits", "SELECT answers", "UPDATE answers", "INSERT answers"]
EVENT = ["INSERT visit_events"]
PRUNE = ["INSERT dropped_answers", "DELETE answers"]
# The visit read as values, then, to start it, as an object (its first sync only).
START = ["SELECT visits", "SELECT visits", "UPDATE visits", "SELECT answers", "INSERT answers"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    limits = settings.limits.model_copy(update={"answer_versions_per_item": KEEP})
    return settings.model_copy(update={"limits": limits})


@pytest.fixture
def templates(session: Session, shopper: User) -> list[dict[str, Any]]:
    """One valid answer for each of 100 of the checklist's value items; the parse cache warm.

    The counts below are per 100 items; the checklist has more (issue 16 added some), and
    the first 100 keep the arithmetic as it was.
    """
    visit = make_visit(session, shopper=shopper)
    pinned.checklist_for_visit(session, visit)
    row = checklists_service.get_checklist(session, visit.checklist_id)
    checklist = checklists_service.public(session, row).checklist.model_dump(
        mode="json", by_alias=True
    )
    answers = complete_answers(checklist)
    assert len(answers) >= 100
    return answers[:100]


def batch(
    templates: list[dict[str, Any]], size: int, *, at: dt.datetime, per_item: int | None = None
) -> list[dict[str, Any]]:
    """``size`` new answers (fresh client ids), over as many items as the templates allow, or
    ``per_item`` versions of each item, a second apart, the later ones newer."""
    per_item = per_item or -(-size // len(templates))
    items = -(-size // per_item)
    return [
        templates[i % items]
        | {
            "client_id": str(uuid.uuid4()),
            "answered_at": (at + dt.timedelta(seconds=i // items)).isoformat(),
        }
        for i in range(size)
    ]


def sync(
    client: TestClient, visit: Visit, headers: dict[str, str], answers: list[dict[str, Any]]
) -> Any:
    return client.put(
        api_path("sync_answers", visit_id=visit.id), json={"answers": answers}, headers=headers
    )


def recorded(
    statements: Statements,
    client: TestClient,
    visit: Visit,
    headers: dict[str, str],
    answers: list[dict[str, Any]],
) -> tuple[Any, list[str]]:
    statements.seen.clear()
    statements.recording = True
    try:
        response = sync(client, visit, headers, answers)
    finally:
        statements.recording = False
    return response, list(statements.seen)


def counts(session: Session, visit: Visit) -> tuple[int, int, int, int]:
    """Answers kept, current, dropped and sync events of the visit, read from the tables."""
    session.expire_all()

    def count(query: Any) -> int:
        found: int = session.exec(select(func.count()).select_from(query.subquery())).one()
        return found

    kept = select(Answer).where(col(Answer.visit_id) == visit.id)
    return (
        count(kept),
        count(kept.where(col(Answer.is_current))),
        count(select(DroppedAnswer).where(col(DroppedAnswer.visit_id) == visit.id)),
        count(
            select(VisitEvent).where(
                col(VisitEvent.visit_id) == visit.id, col(VisitEvent.action) == "sync"
            )
        ),
    )


@pytest.mark.parametrize("size", SIZES)
class TestStatementsPerSync:
    def test_first_sync_starts_the_visit_in_six(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        templates: list[dict[str, Any]],
        statements: Statements,
        size: int,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        response, seen = recorded(
            statements, client, visit, bearer(shopper, clock), batch(templates, size, at=T0)
        )
        assert response.json()["created"] == size, response.text
        assert seen == [*START, *EVENT]
        version = visit.version
        session.refresh(visit)
        # Started by the object read for it: status, time and version as ``move`` sets them.
        assert (visit.status, visit.started_at, visit.version) == (
            VisitStatus.in_progress,
            clock(),
            version + 1,
        )
        items = min(size, 100)
        assert counts(session, visit) == (size, items, 0, 1)

    def test_later_sync_replacing_answers_in_five(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        templates: list[dict[str, Any]],
        statements: Statements,
        size: int,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        assert sync(client, visit, phone, batch(templates, 100, at=T0)).status_code == 200
        later = T0 + dt.timedelta(hours=1)
        response, seen = recorded(
            statements, client, visit, phone, batch(templates, size, at=later)
        )
        body = response.json()
        assert (body["created"], body["unchanged"]) == (size, 0), response.text
        assert seen == [*LATER, *EVENT]
        assert counts(session, visit) == (100 + size, 100, 0, 2)

    def test_later_sync_past_the_cap_prunes_in_seven(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        templates: list[dict[str, Any]],
        statements: Statements,
        size: int,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        for n in range(KEEP):
            answers = batch(templates, 100, at=T0 + dt.timedelta(minutes=n))
            assert sync(client, visit, phone, answers).status_code == 200
        later = T0 + dt.timedelta(hours=1)
        response, seen = recorded(
            statements, client, visit, phone, batch(templates, size, at=later)
        )
        assert response.json()["created"] == size, response.text
        assert seen == [*LATER, *PRUNE, *EVENT]
        assert len(seen) == 7
        assert counts(session, visit) == (100 * KEEP, 100, size, KEEP + 1)

    def test_resend_stores_nothing_in_two(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        templates: list[dict[str, Any]],
        statements: Statements,
        size: int,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        answers = batch(templates, size, at=T0)
        assert sync(client, visit, phone, answers).status_code == 200
        response, seen = recorded(statements, client, visit, phone, answers)
        assert (response.json()["created"], response.json()["unchanged"]) == (0, size)
        assert seen == ["SELECT visits", "SELECT answers"]
        assert counts(session, visit)[3] == 1

    def test_conflict_is_found_in_two(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        templates: list[dict[str, Any]],
        statements: Statements,
        size: int,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        answers = batch(templates, size, at=T0)
        assert sync(client, visit, phone, answers).status_code == 200
        edited = [a | {"answered_at": (T0 + dt.timedelta(hours=1)).isoformat()} for a in answers]
        response, seen = recorded(statements, client, visit, phone, edited)
        assert_problem(response, 409, "answer-conflict")
        assert len(response.json()["errors"]) == size
        assert seen == ["SELECT visits", "SELECT answers"]


@pytest.mark.parametrize("size", SIZES[1:])  # one answer cannot pass the cap on its own
def test_first_sync_past_the_cap_prunes_in_eight(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    shopper: User,
    templates: list[dict[str, Any]],
    statements: Statements,
    size: int,
) -> None:
    visit = make_visit(session, shopper=shopper)
    answers = batch(templates, size, at=T0, per_item=KEEP + 1)
    response, seen = recorded(statements, client, visit, bearer(shopper, clock), answers)
    assert response.json()["created"] == size, response.text
    assert seen == [*START, *PRUNE, *EVENT]
    items = size // (KEEP + 1)
    assert counts(session, visit) == (items * KEEP, items, items, 1)


def test_a_cold_checklist_cache_costs_one_read_then_none(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    shopper: User,
    templates: list[dict[str, Any]],
    statements: Statements,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pinned, "_CHECKLISTS", OrderedDict())
    phone = bearer(shopper, clock)
    first, second = make_visit(session, shopper=shopper), make_visit(session, shopper=shopper)
    _, cold = recorded(statements, client, first, phone, batch(templates, 10, at=T0))
    _, warm = recorded(statements, client, second, phone, batch(templates, 10, at=T0))
    assert cold == [*START[:3], "SELECT checklists", *START[3:], *EVENT]
    assert warm == [*START, *EVENT]
    # Keyed by content hash, not by id: one entry for both visits' checklist.
    assert list(pinned._CHECKLISTS) == [
        checklists_service.get_checklist(session, first.checklist_id).content_hash
    ]


def test_the_parse_cache_is_bounded(
    session: Session, shopper: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    visit = make_visit(session, shopper=shopper)
    row = checklists_service.get_checklist(session, visit.checklist_id)
    monkeypatch.setattr(pinned, "_CHECKLISTS", OrderedDict((f"h{n}", None) for n in range(3)))
    monkeypatch.setattr(pinned, "_CHECKLISTS_MAX", 3)
    parsed = pinned.checklist_by_hash(session, visit.checklist_id, row.content_hash)
    assert list(pinned._CHECKLISTS) == ["h1", "h2", row.content_hash]
    assert pinned.checklist_by_hash(session, visit.checklist_id, row.content_hash) is parsed


def test_a_refused_submit_reads_the_answers_once_and_writes_nothing(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    shopper: User,
    templates: list[dict[str, Any]],
    statements: Statements,
) -> None:
    """Phones poll submit while their photos are processed: each refusal must stay cheap."""
    visit = make_visit(session, shopper=shopper)
    phone = bearer(shopper, clock)
    assert sync(client, visit, phone, batch(templates, 100, at=T0)).status_code == 200
    body = {"client_id": str(uuid.uuid4()), "submitted_at": T0.isoformat()}

    statements.seen.clear()
    statements.recording = True
    try:
        response = client.post(
            api_path("submit_visit", visit_id=visit.id), json=body, headers=phone
        )
    finally:
        statements.recording = False

    assert_problem(response, 422, "submission-incomplete")
    assert statements.seen.count("SELECT answers") == 1, "; ".join(statements.seen)
    writes = [s for s in statements.seen if not s.startswith("SELECT")]
    assert not writes, statements.seen
