"""``MSHOP_SERVER__GRACEFUL_SHUTDOWN_SECONDS``: on shutdown a request in flight is finished
within the grace, and one that outlasts it is cut so the process still exits."""

import asyncio
import http.client
import json
import threading
from collections.abc import Callable

from fastapi import FastAPI

from service.config import ServerSettings
from tests.fixtures.server import serve_options, serving


def holding_app(entered: threading.Event, seconds: float) -> FastAPI:
    """An app whose ``/hold`` answers after ``seconds``, noting when it started."""
    app = FastAPI()

    @app.get("/hold")
    async def hold() -> dict[str, bool]:
        entered.set()
        await asyncio.sleep(seconds)
        return {"done": True}

    return app


def in_background(call: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """Run ``call`` in a thread; its result (or the exception it raised) lands in the list."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as exc:  # the test reads it
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def fetch(base: str, path: str) -> object:
    """GET ``path``'s JSON, closing the connection however the exchange ends."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request("GET", path)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def test_a_request_in_flight_finishes_within_the_grace() -> None:
    entered = threading.Event()
    options = serve_options(ServerSettings(graceful_shutdown_seconds=30))
    with serving(holding_app(entered, 0.5), **options) as served:
        client, outcome = in_background(lambda: fetch(served.base, "/hold"))
        assert entered.wait(timeout=30)
        served.server.should_exit = True  # what SIGTERM does
        served.thread.join(timeout=30)
        client.join(timeout=30)
        assert not served.thread.is_alive()
    assert outcome == [{"done": True}]


def test_a_request_outlasting_the_grace_is_cut_and_the_server_exits() -> None:
    entered = threading.Event()
    options = serve_options(ServerSettings(graceful_shutdown_seconds=1))
    # The request would take an hour: only the grace running out lets the server stop.
    with serving(holding_app(entered, 3600), **options) as served:
        client, outcome = in_background(lambda: fetch(served.base, "/hold"))
        assert entered.wait(timeout=30)
        served.server.should_exit = True
        served.thread.join(timeout=30)
        assert not served.thread.is_alive()
        client.join(timeout=30)
    assert len(outcome) == 1
    assert isinstance(outcome[0], Exception)  # the connection closed with no answer
