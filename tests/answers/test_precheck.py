"""Answers checked before the visit's lock, against the checklist the visit was last read with.

A later sync of a visit this process has seen checks its answers before it queues for the
lock (``checklists.pinned.pinned_checklist``); what the lock then reads decides, and the
refusals come in the same order as on a first sync.
"""

import uuid
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import User
from service.auth.roles import Role
from service.checklists import pinned
from service.checklists.format import ResolvedChecklist
from service.visits.models import Visit
from tests.conftest import FrozenClock
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user

T0 = "2026-03-18T10:00:00+05:00"


def answer(item_code: str, value: Any) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "item_code": item_code,
        "value": value,
        "answered_at": T0,
    }


def sync(client: TestClient, visit: Visit, headers: dict[str, str], *answers: Any) -> Any:
    return client.put(
        api_path("sync_answers", visit_id=visit.id),
        json={"answers": list(answers)},
        headers=headers,
    )


class NoItems:
    def item(self, code: str) -> Any:
        raise KeyError(code)


@pytest.fixture
def seen(client: TestClient, session: Session, clock: FrozenClock, shopper: User) -> Visit:
    """A visit synced once, so this process has its checklist pinned."""
    visit = make_visit(session, shopper=shopper)
    response = sync(client, visit, bearer(shopper, clock), answer("overall_rating", 4))
    assert response.status_code == 200, response.text
    assert pinned.pinned_checklist(visit.id) is not None
    return visit


def test_another_shoppers_invalid_answers_are_not_found_first(
    client: TestClient, session: Session, clock: FrozenClock, seen: Visit
) -> None:
    stranger = make_user(session, Role.shopper)
    response = sync(client, seen, bearer(stranger, clock), answer("overall_rating", "many"))
    assert_problem(response, 404, "visit-not-found")


def test_invalid_answers_are_refused_when_checked_before_the_lock(
    client: TestClient, clock: FrozenClock, shopper: User, seen: Visit
) -> None:
    response = sync(
        client, seen, bearer(shopper, clock), answer("overall_rating", "many"), answer("x", 1)
    )
    body = assert_problem(response, 422, "answers-invalid")
    assert [e["index"] for e in body["errors"]] == [0, 1]


def test_a_stale_pin_is_checked_again_under_the_lock(
    client: TestClient,
    clock: FrozenClock,
    shopper: User,
    seen: Visit,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = pinned.pinned_checklist(seen.id)
    # Another checklist under another hash, which has none of the items.
    monkeypatch.setitem(pinned._CHECKLISTS, "stale", cast(ResolvedChecklist, NoItems()))
    monkeypatch.setitem(pinned._PINS, seen.id, "stale")
    response = sync(client, seen, bearer(shopper, clock), answer("overall_rating", 5))
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1
    assert pinned.pinned_checklist(seen.id) == before
