"""Answers listed a page at a time, page sizes from settings."""

import datetime as dt
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from service.answers.models import Answer
from service.auth.models import User
from service.config import Settings
from service.visits.models import Visit
from tests.conftest import FrozenClock
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path

PAGE = 3
MAX_PAGE = 10
T0 = dt.datetime(2026, 3, 18, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
RATINGS = ["overall_rating", "staff_competence", "help_desk_courtesy", "staff_politeness"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings with small pages, so tests stay short."""
    limits = settings.limits.model_copy(
        update={"answer_page_size": PAGE, "max_answer_page_size": MAX_PAGE}
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


def stored(session: Session, visit: Visit) -> set[str]:
    """Client ids of the visit's answers, read from the table."""
    session.expire_all()
    kept = session.exec(select(Answer.client_id).where(col(Answer.visit_id) == visit.id)).all()
    return {str(c) for c in kept}


class TestPages:
    def test_pages_walk_every_kept_version_once(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        phone = bearer(shopper, clock)
        # 5 versions of each of four items, 20 in all.
        sync(client, visit, phone, *[version(item, n) for item in RATINGS for n in range(5)])
        seen: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = listing(client, visit, phone, history="true", limit=PAGE, offset=offset)
            assert (page["limit"], page["offset"], page["total"]) == (PAGE, offset, 20)
            seen += page["items"]
            offset += PAGE
            if offset >= page["total"]:
                break
        kept = stored(session, visit)
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
        assert (current["limit"], current["total"]) == (PAGE, 4)
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


def test_page_sizes_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSHOP_LIMITS__ANSWER_PAGE_SIZE", "25")
    monkeypatch.setenv("MSHOP_LIMITS__MAX_ANSWER_PAGE_SIZE", "75")
    limits = Settings().limits
    assert (limits.answer_page_size, limits.max_answer_page_size) == (25, 75)


def test_the_defaults_page_by_two_hundred_up_to_five_hundred(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("ANSWER_PAGE_SIZE", "MAX_ANSWER_PAGE_SIZE"):
        monkeypatch.delenv(f"MSHOP_LIMITS__{name}", raising=False)
    limits = Settings().limits
    assert (limits.answer_page_size, limits.max_answer_page_size) == (200, 500)
