"""The transaction phases of service/db/, each on its own (the flows test them in use)."""

import asyncio
import datetime as dt
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from service import db
from service.auth.models import User
from service.auth.roles import Role
from service.db import request as db_request
from tests.conftest import AuthHeaders
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user


def test_released_refuses_pending_writes(session: Session) -> None:
    make_user(session, Role.shopper)
    session.add(
        User(
            email="x@example.kz",
            full_name="X",
            role=Role.shopper,
            hashed_password="h",
            created_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        )
    )
    with pytest.raises(RuntimeError, match="pending changes"), db.released(session):
        pass


def test_released_refuses_a_query_inside(session: Session) -> None:
    user = make_user(session, Role.shopper)
    with pytest.raises(RuntimeError, match="inside released"), db.released(session):
        session.get(User, user.id)


def test_released_holds_no_transaction(session: Session) -> None:
    user = make_user(session, Role.shopper)
    with db.released(session):
        assert not session.in_transaction()
    assert session.get(User, user.id) is user


def test_after_commit_runs_only_after_a_commit(session: Session) -> None:
    ran: list[str] = []
    db.after_commit(session, lambda: ran.append("rolled back"))
    db.finish_request(session, committed=False)
    db.after_commit(session, lambda: ran.append("committed"))
    db.finish_request(session, committed=True)
    assert ran == ["committed"]


def test_after_request_commits_in_its_own_transaction_either_way(session: Session) -> None:
    emails: list[str] = []

    def add_user(own: Session) -> None:
        emails.append(make_user(own, Role.analyst).email)

    for committed in (False, True):
        db.after_request(session, add_user)
        db.finish_request(session, committed=committed)
    stored = session.exec(select(User.email).where(User.email.in_(emails))).all()  # type: ignore[attr-defined]
    assert sorted(stored) == sorted(emails)
    assert len(emails) == 2


def test_a_failing_clean_up_is_logged_not_raised(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    def fail(_own: Session) -> None:
        raise ValueError("store down")

    db.after_request(session, fail)
    db.finish_request(session, committed=False)
    assert "clean-up after a request failed" in caplog.text


def test_a_read_transaction_of_its_own_writes_nothing(engine: Engine, session: Session) -> None:
    with db.own_transaction(session, read=True) as own:
        make_user(own, Role.shopper)
    assert session.exec(select(User).where(User.role == Role.shopper)).all() == []
    with db.transaction(engine, read=True) as own:
        assert own.exec(select(User).where(User.role == Role.shopper)).all() == []


def test_each_request_has_a_session_of_its_own(
    client: TestClient, session: Session, auth_headers: AuthHeaders
) -> None:
    """As in production, a request does not share the test's session (tests/conftest.py
    ``app``): its write reaches an object the test holds only once the test reads it again.
    A shared identity map would show it at once and so hide a stale read."""
    headers = auth_headers(Role.admin)
    shopper = make_user(session, Role.shopper)
    response = client.patch(
        api_path("update_user", user_id=str(shopper.id)),
        json={"full_name": "Aigerim Seitkali"},
        headers=headers,
    )
    assert response.json()["full_name"] == "Aigerim Seitkali"
    assert shopper.full_name == "Test Shopper"
    session.refresh(shopper)
    assert shopper.full_name == "Aigerim Seitkali"


class _RecordingEndings(ThreadPoolExecutor):
    """The commit thread, noting what is sent to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.sent: list[bool] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.sent.append(args[-1])  # _end_transaction(session, commit)
        return super().submit(fn, *args, **kwargs)


def _one_request(engine: Engine, commit_in_route: bool) -> tuple[list[bool], int]:
    endings = _RecordingEndings()

    async def request() -> None:
        requests = db.get_session(Session(engine, expire_on_commit=False))
        session = await requests.__anext__()
        make_user(session, Role.shopper)  # flushed: the transaction is open
        if commit_in_route:
            db.commit_now(session)
        with pytest.raises(StopAsyncIteration):
            await requests.__anext__()

    original = db_request._ENDINGS
    db_request._ENDINGS = endings
    try:
        asyncio.run(request())
    finally:
        db_request._ENDINGS = original
        endings.shutdown()
    with Session(engine) as check:
        stored = len(check.exec(select(User)).all())
    return endings.sent, stored


def test_a_request_its_route_committed_ends_on_the_loop(engine: Engine) -> None:
    # commit_now ended the transaction: closing needs no commit thread, and the user stays.
    assert _one_request(engine, commit_in_route=True) == ([], 1)
    # Left open, the transaction is committed on the commit thread.
    assert _one_request(engine, commit_in_route=False) == ([True], 2)
