"""Answer history: capped per item (older versions only counted), paged, retries still no-ops."""

import datetime as dt
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event
from sqlmodel import Session, col, select

from service.answers.models import Answer, DroppedAnswer
from service.auth.models import User
from service.config import Settings
from service.visits.models import Visit, VisitEvent
from tests.conftest import FrozenClock
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path

KEEP = 5
PAGE = 3
MAX_PAGE = 10
T0 = dt.datetime(2026, 3, 18, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
RATINGS = ["overall_rating", "staff_competence", "help_desk_courtesy", "staff_politeness"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings with a small cap and small pages, so tests stay short."""
    limits = settings.limits.model_copy(
        update={
            "answer_versions_per_item": KEEP,
            "answer_page_size": PAGE,
            "max_answer_page_size": MAX_PAGE,
        }
    )
    return settings.model_copy(update={"limits": limits})


def version(item_code: str, n: int) -> dict[str, Any]:
    """The ``n``-th answer to a rating item, a minute after the one before."""
    return {
        "client_id": str(uuid.uuid4()),
        "item_code": item_code,
        "value": 1 + n % 5,
        "answered_at": (T0 + dt.timedelta(minutes=n)).isoformat(),
    }


def sync(client: TestClient, visit: Visit, headers: dict[str, str], *answers: Any) -> Any:
    return client.put(
        api_path("sync_answers", visit_id=visit.id),
        json={"answers": list(answers)},
        headers=headers,
    )


def listing(
    client: TestClient, visit: Visit, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    response = client.get(
        api_path("list_answers", visit_id=visit.id), params=params, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def stored(session: Session, visit: Visit) -> tuple[set[str], set[str]]:
    """Client ids of the versions kept and of those dropped, read from the tables."""
    session.expire_all()
    kept = session.exec(select(Answer.client_id).where(col(Answer.visit_id) == visit.id)).all()
    dropped = session.exec(
        select(DroppedAnswer.client_id).where(col(DroppedAnswer.visit_id) == visit.id)
    ).all()
    return {str(c) for c in kept}, {str(c) for c in dropped}


def sync_events(session: Session, visit: Visit) -> int:
    session.expire_all()
    rows = session.exec(
        select(VisitEvent).where(col(VisitEvent.visit_id) == visit.id, VisitEvent.action == "sync")
    ).all()
    return len(rows)


@pytest.fixture
def thirty(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> tuple[Visit, dict[str, str], list[dict[str, Any]]]:
    """A visit whose overall rating was answered 30 times, one sync each, oldest first."""
    visit = make_visit(session, shopper=shopper)
    phone = bearer(shopper, clock)
    versions = [version("overall_rating", n) for n in range(30)]
    for answer in versions:
        assert sync(client, visit, phone, answer).json()["created"] == 1
    return visit, phone, versions


class TestCap:
    def test_thirty_versions_keep_five_and_count_twenty_five(
        self,
        client: TestClient,
        session: Session,
        thirty: tuple[Visit, dict[str, str], list[dict[str, Any]]],
    ) -> None:
        visit, phone, versions = thirty
        history = listing(client, visit, phone, history="true", limit=MAX_PAGE)
        # The newest five, oldest first; the last one sent is current.
        assert [a["client_id"] for a in history["items"]] == [v["client_id"] for v in versions[25:]]
        assert [a["is_current"] for a in history["items"]] == [False] * 4 + [True]
        assert history["total"] == KEEP
        assert history["dropped"] == [{"item_code": "overall_rating", "count": 25}]
        kept, dropped = stored(session, visit)
        assert kept == {v["client_id"] for v in versions[25:]}
        assert dropped == {v["client_id"] for v in versions[:25]}
        current = listing(client, visit, phone)
        assert [(a["client_id"], a["value"]) for a in current["items"]] == [
            (versions[29]["client_id"], versions[29]["value"])
        ]
        assert current["dropped"] == history["dropped"]

    def test_one_batch_of_thirty_is_capped_in_the_same_sync(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        versions = [version("overall_rating", n) for n in range(30)]
        other = version("staff_competence", 0)
        body = sync(client, visit, phone, *reversed(versions), other).json()
        assert (body["created"], body["unchanged"]) == (31, 0)
        outcomes = {r["client_id"]: r["outcome"] for r in body["results"]}
        assert outcomes[versions[29]["client_id"]] == outcomes[other["client_id"]] == "created"
        assert sorted(outcomes.values()).count("superseded") == 29
        kept, dropped = stored(session, visit)
        assert kept == {v["client_id"] for v in versions[25:]} | {other["client_id"]}
        assert dropped == {v["client_id"] for v in versions[:25]}
        history = listing(client, visit, phone, history="true", limit=MAX_PAGE)
        assert history["dropped"] == [{"item_code": "overall_rating", "count": 25}]

    def test_a_late_old_version_is_counted_and_the_current_stays(
        self,
        client: TestClient,
        session: Session,
        thirty: tuple[Visit, dict[str, str], list[dict[str, Any]]],
    ) -> None:
        visit, phone, versions = thirty
        late = version("overall_rating", -10)  # answered before all of them, sent last
        body = sync(client, visit, phone, late).json()
        assert [r["outcome"] for r in body["results"]] == ["superseded"]
        kept, dropped = stored(session, visit)
        assert late["client_id"] in dropped
        assert kept == {v["client_id"] for v in versions[25:]}
        history = listing(client, visit, phone, history="true", limit=MAX_PAGE)
        assert history["dropped"] == [{"item_code": "overall_rating", "count": 26}]
        assert [a["client_id"] for a in history["items"] if a["is_current"]] == [
            versions[29]["client_id"]
        ]

    def test_the_current_version_is_kept_when_times_tie(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        # Same phone time: the first stays current (only a later answer replaces it), though
        # it is the oldest row; ranking by arrival alone would drop it.
        same = [version("overall_rating", 0) | {"value": 1 + n % 5} for n in range(KEEP + 1)]
        for answer in same:
            assert sync(client, visit, phone, answer).json()["created"] == 1
        history = listing(client, visit, phone, history="true")
        current = listing(client, visit, phone)["items"]
        assert [(a["client_id"], a["value"]) for a in current] == [(same[0]["client_id"], 1)]
        assert history["total"] == KEEP
        kept, dropped = stored(session, visit)
        assert same[0]["client_id"] in kept
        assert dropped == {same[1]["client_id"]}

    def test_pruning_is_two_statements_whatever_is_dropped(
        self,
        client: TestClient,
        session: Session,
        connection: Connection,
        clock: FrozenClock,
        shopper: User,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(" ".join(str(args[2]).split()))

        event.listen(connection, "before_cursor_execute", record)
        try:
            batch = [version(item, n) for item in RATINGS for n in range(20)]
            assert sync(client, visit, phone, *batch).json()["created"] == 80
        finally:
            event.remove(connection, "before_cursor_execute", record)
        pruning = [s for s in statements if s.startswith(("INSERT INTO dropped_answers", "DELETE"))]
        assert [s.split(" ", 3)[:3] for s in pruning] == [
            ["INSERT", "INTO", "dropped_answers"],
            ["DELETE", "FROM", "answers"],
        ]
        history = listing(client, visit, phone, history="true", limit=MAX_PAGE)
        assert history["dropped"] == [{"item_code": item, "count": 15} for item in sorted(RATINGS)]


class TestRetries:
    def test_resending_a_dropped_version_changes_nothing(
        self,
        client: TestClient,
        session: Session,
        thirty: tuple[Visit, dict[str, str], list[dict[str, Any]]],
    ) -> None:
        visit, phone, versions = thirty
        before = listing(client, visit, phone, history="true", limit=MAX_PAGE)
        events = sync_events(session, visit)
        response = sync(client, visit, phone, versions[0])
        assert response.status_code == 200, response.text
        assert response.json() == {
            "created": 0,
            "unchanged": 1,
            "results": [
                {
                    "client_id": versions[0]["client_id"],
                    "item_code": "overall_rating",
                    "outcome": "unchanged",
                }
            ],
        }
        assert listing(client, visit, phone, history="true", limit=MAX_PAGE) == before
        assert sync_events(session, visit) == events
        kept, dropped = stored(session, visit)
        assert (len(kept), len(dropped)) == (KEEP, 25)

    def test_resending_every_version_at_once_changes_nothing(
        self,
        client: TestClient,
        session: Session,
        thirty: tuple[Visit, dict[str, str], list[dict[str, Any]]],
    ) -> None:
        visit, phone, versions = thirty
        body = sync(client, visit, phone, *versions).json()
        assert (body["created"], body["unchanged"]) == (0, 30)
        kept, dropped = stored(session, visit)
        assert kept | dropped == {v["client_id"] for v in versions}
        assert (len(kept), len(dropped)) == (KEEP, 25)

    def test_a_dropped_client_id_with_other_content_is_409(
        self,
        client: TestClient,
        session: Session,
        thirty: tuple[Visit, dict[str, str], list[dict[str, Any]]],
    ) -> None:
        visit, phone, versions = thirty
        changed = versions[0] | {"value": 1 + (versions[0]["value"] % 5)}
        fresh = version("staff_competence", 0)
        body = assert_problem(sync(client, visit, phone, fresh, changed), 409, "answer-conflict")
        assert body["errors"] == [
            {"client_id": versions[0]["client_id"], "item_code": "overall_rating"}
        ]
        kept, dropped = stored(session, visit)
        assert fresh["client_id"] not in kept  # the whole batch was refused
        assert (len(kept), len(dropped)) == (KEEP, 25)

    def test_a_dropped_client_id_sent_to_another_visit_is_409(
        self,
        client: TestClient,
        session: Session,
        shopper: User,
        thirty: tuple[Visit, dict[str, str], list[dict[str, Any]]],
    ) -> None:
        _, phone, versions = thirty
        other = make_visit(session, shopper=shopper)
        response = sync(client, other, phone, versions[0])
        assert_problem(response, 409, "answer-conflict")
        assert stored(session, other) == (set(), set())


class TestPages:
    def test_pages_walk_every_kept_version_once(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        # 7 versions of each of four items: 5 kept each, 20 in all, 8 dropped.
        sync(client, visit, phone, *[version(item, n) for item in RATINGS for n in range(7)])
        seen: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = listing(client, visit, phone, history="true", limit=PAGE, offset=offset)
            assert (page["limit"], page["offset"], page["total"]) == (PAGE, offset, 20)
            assert page["dropped"] == [{"item_code": item, "count": 2} for item in sorted(RATINGS)]
            seen += page["items"]
            offset += PAGE
            if offset >= page["total"]:
                break
        kept, _ = stored(session, visit)
        assert len(seen) == len({a["client_id"] for a in seen}) == 20
        assert {a["client_id"] for a in seen} == kept
        order = [(a["item_code"], a["answered_at"]) for a in seen]
        assert order == sorted(order)
        past_end = listing(client, visit, phone, history="true", offset=20)
        assert (past_end["items"], past_end["total"]) == ([], 20)

    def test_page_size_defaults_and_is_held_to_its_maximum(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        sync(client, visit, phone, *[version(item, n) for item in RATINGS for n in range(4)])
        default = listing(client, visit, phone, history="true")
        assert (default["limit"], len(default["items"]), default["total"]) == (PAGE, PAGE, 16)
        most = listing(client, visit, phone, history="true", limit=1000)
        assert (most["limit"], len(most["items"])) == (MAX_PAGE, MAX_PAGE)
        current = listing(client, visit, phone)
        assert (current["limit"], current["total"], current["dropped"]) == (PAGE, 4, [])
        assert [a["item_code"] for a in current["items"]] == sorted(RATINGS)[:PAGE]

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("limit=0", "limit"),
            ("limit=-5", "limit"),
            ("limit=many", "limit"),
            ("offset=-1", "offset"),
            ("offset=99999999", "offset"),
            ("history=perhaps", "history"),
        ],
    )
    def test_bad_paging_is_a_422_problem(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        query: str,
        field: str,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        response = client.get(
            api_path("list_answers", visit_id=visit.id) + f"?history=true&{query}",
            headers=bearer(shopper, clock),
        )
        assert_problem(response, 422, "validation-failed", field=field)


def test_the_cap_and_page_sizes_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MSHOP_LIMITS__ANSWER_VERSIONS_PER_ITEM", "7")
    monkeypatch.setenv("MSHOP_LIMITS__ANSWER_PAGE_SIZE", "25")
    monkeypatch.setenv("MSHOP_LIMITS__MAX_ANSWER_PAGE_SIZE", "75")
    limits = Settings().limits
    assert (limits.answer_versions_per_item, limits.answer_page_size) == (7, 25)
    assert limits.max_answer_page_size == 75


def test_the_defaults_keep_twenty_versions_and_page_by_two_hundred(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("ANSWER_VERSIONS_PER_ITEM", "ANSWER_PAGE_SIZE", "MAX_ANSWER_PAGE_SIZE"):
        monkeypatch.delenv(f"MSHOP_LIMITS__{name}", raising=False)
    limits = Settings().limits
    assert (limits.answer_versions_per_item, limits.answer_page_size) == (20, 200)
    assert limits.max_answer_page_size == 500
