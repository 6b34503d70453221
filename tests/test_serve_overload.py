"""Past ``MSHOP_SERVER__MAX_CONNECTIONS`` the server answers the API's 503: a problem with
Retry-After, not uvicorn's plain text, before the app is called."""

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI

from service import serving
from service.config import ServerSettings
from tests.fixtures.server import free_port


@pytest.fixture
def limited() -> Iterator[tuple[str, list[str]]]:
    """A server allowed one connection at a time (its own counts: every request is over),
    serving an app that notes each call."""
    called: list[str] = []
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        called.append("ping")
        return {"ok": "yes"}

    settings = ServerSettings(max_connections=1)
    port = free_port()
    options = serving.uvicorn_options(settings)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        http=options["http"],
        limit_concurrency=options["limit_concurrency"],
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start within 30 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", called
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_over_the_limit_is_a_problem_with_retry_after(limited: tuple[str, list[str]]) -> None:
    base, called = limited
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/ping", timeout=10)
    response = refused.value
    assert response.code == 503
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Retry-After"] == str(serving.OVERLOAD_RETRY_SECONDS)
    body = json.loads(response.read())
    assert body["status"] == 503
    assert body["code"] == "service-unavailable"
    assert body["instance"] == "/ping"
    assert "MSHOP_SERVER__MAX_CONNECTIONS" in body["detail"]
    assert called == []  # refused before the app
