"""The demo accounts' own visits, read back through the API as a newcomer would."""

import datetime as dt
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import User
from service.config import Settings
from service.demo.accounts import DEMO_ACCOUNTS, RETURN_COMMENT, seed_account_visits
from service.visits.models import Visit
from tests.conftest import FrozenClock
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user


@pytest.fixture
def accounts(session: Session) -> dict[str, User]:
    return {email: make_user(session, role, email=email) for email, _, role in DEMO_ACCOUNTS}


@pytest.fixture
def made(
    app: FastAPI,
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: FrozenClock,
    accounts: dict[str, User],
) -> list[Visit]:
    # The client started the app, so its store is ready.
    return seed_account_visits(session, app.state.store, settings, now=clock(), seed=1)


def visits_of(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get(api_path("list_visits"), params=params, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


@pytest.mark.usefixtures("made")
class TestShopperOne:
    def test_has_a_visit_in_every_open_status_and_a_submitted_one(
        self, client: TestClient, clock: FrozenClock, accounts: dict[str, User]
    ) -> None:
        mine = visits_of(client, bearer(accounts["shopper1@demo.kz"], clock))
        assert sorted(v["status"] for v in mine) == [
            "assigned", "in_progress", "returned", "submitted"
        ]  # fmt: skip
        assert len({v["service_code"] for v in mine}) == 4
        now = clock()
        for visit in mine:
            # Usable today: the window is open now and for days to come.
            start = dt.datetime.fromisoformat(visit["window_start_at"])
            end = dt.datetime.fromisoformat(visit["window_end_at"])
            assert start <= now < end - dt.timedelta(days=6)
            assert visit["notes"].startswith("Демо:")

    def test_returned_visit_carries_the_coordinators_comment_and_can_be_resubmitted(
        self, client: TestClient, clock: FrozenClock, accounts: dict[str, User]
    ) -> None:
        phone = bearer(accounts["shopper1@demo.kz"], clock)
        returned = visits_of(client, phone, status="returned")[0]
        assert returned["review_comment"] == RETURN_COMMENT
        assert "submit" in returned["allowed_actions"]
        photos = client.get(api_path("list_photos", visit_id=returned["id"]), headers=phone).json()
        assert photos["photos"]
        assert all(row["missing"] == 0 for row in photos["items"])
        body = {
            "client_id": "5d1f7c9e-0000-4000-8000-000000000001",
            "submitted_at": "2026-03-18T09:30:00Z",
        }
        again = client.post(
            api_path("submit_visit", visit_id=returned["id"]), json=body, headers=phone
        )
        assert again.status_code == 200, again.text
        assert again.json()["status"] == "submitted"

    def test_in_progress_visit_has_some_answers_not_all(
        self, client: TestClient, clock: FrozenClock, accounts: dict[str, User]
    ) -> None:
        phone = bearer(accounts["shopper1@demo.kz"], clock)
        by_status = {v["status"]: v for v in visits_of(client, phone)}
        started = client.get(
            api_path("list_answers", visit_id=by_status["in_progress"]["id"]), headers=phone
        ).json()
        finished = client.get(
            api_path("list_answers", visit_id=by_status["submitted"]["id"]), headers=phone
        ).json()
        assert 0 < len(started["items"]) == started["total"]
        assert len(finished["items"]) == finished["total"] > started["total"]
        assert (
            client.get(
                api_path("list_answers", visit_id=by_status["assigned"]["id"]), headers=phone
            ).json()["items"]
            == []
        )


@pytest.mark.usefixtures("made")
def test_coordinator_has_a_review_queue(
    client: TestClient, clock: FrozenClock, accounts: dict[str, User]
) -> None:
    queue = visits_of(client, bearer(accounts["coordinator@demo.kz"], clock), status="submitted")
    owners = {v["shopper_id"] for v in queue}
    assert {str(accounts["shopper1@demo.kz"].id), str(accounts["shopper2@demo.kz"].id)} <= owners
    assert all("approve" in v["allowed_actions"] for v in queue)
    assert all(v["score"] is not None for v in queue)


def test_a_second_run_adds_nothing(
    app: FastAPI,
    session: Session,
    settings: Settings,
    clock: FrozenClock,
    made: list[Visit],
) -> None:
    assert len(made) == 5
    assert seed_account_visits(session, app.state.store, settings, now=clock(), seed=1) == []
