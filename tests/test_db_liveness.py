"""Pooled PostgreSQL connections: checked on checkout by a poll of their socket, pinged only
after sitting idle (service/db_liveness.py)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, text

from service.config import DatabaseSettings
from service.db import create_db_engine
from tests.fixtures.db import postgres_url_or_skip, terminate_backends


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from postgres_url_or_skip("liveness")


@contextmanager
def pooled(url: str, ping_idle_seconds: float) -> Iterator[tuple[Engine, list[object]]]:
    """An engine of one pooled connection, and the list its every ping is appended to;
    disposed of at the end."""
    engine = create_db_engine(
        DatabaseSettings(url=url, pool_size=1, max_overflow=0, ping_idle_seconds=ping_idle_seconds)
    )
    pings: list[object] = []
    do_ping = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return do_ping(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    try:
        yield engine, pings
    finally:
        engine.dispose()


def backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        pid: int = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        return pid


def test_a_busy_connection_is_reused_without_a_ping(pg_url: str) -> None:
    with pooled(pg_url, ping_idle_seconds=60) as (engine, pings):
        first = backend_pid(engine)
        assert [backend_pid(engine) for _ in range(5)] == [first] * 5
        assert pings == []


def test_a_connection_the_server_ended_is_replaced_without_a_ping(pg_url: str) -> None:
    with pooled(pg_url, ping_idle_seconds=60) as (engine, pings):
        first = backend_pid(engine)
        assert terminate_backends(pg_url, first) == 1
        # The checkout sees the goodbye on the socket and opens another connection; the
        # request that asked for one never sees the dead one.
        second = backend_pid(engine)
        assert second != first
        assert backend_pid(engine) == second
        assert pings == []


def test_a_connection_idle_past_the_setting_is_pinged_first(pg_url: str) -> None:
    with pooled(pg_url, ping_idle_seconds=0) as (engine, pings):
        first = backend_pid(engine)
        assert pings == []  # a connection opened for the checkout is not pinged
        assert backend_pid(engine) == first
        assert backend_pid(engine) == first
        assert len(pings) == 2


def test_a_connection_that_fails_its_ping_is_replaced(pg_url: str) -> None:
    with pooled(pg_url, ping_idle_seconds=0) as (engine, pings):

        def silent(dbapi_connection: Any) -> bool:
            # A peer gone without a word (no goodbye to read): only the ping finds out.
            pings.append(dbapi_connection)
            raise OSError("no answer")

        first = backend_pid(engine)
        engine.dialect.do_ping = silent  # type: ignore[method-assign]
        second = backend_pid(engine)
        assert second != first
        assert len(pings) == 1


def test_the_setting_is_bounded() -> None:
    assert DatabaseSettings(ping_idle_seconds=0).ping_idle_seconds == 0
    with pytest.raises(ValueError, match="ping_idle_seconds"):
        DatabaseSettings(ping_idle_seconds=-1)
    with pytest.raises(ValueError, match="ping_idle_seconds"):
        DatabaseSettings(ping_idle_seconds=3601)
