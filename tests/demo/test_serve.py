"""``mshop serve --demo`` on an empty folder, as a newcomer runs it: of use at once.

The server listens once the demo accounts exist and loads the rest (catalogue, the accounts'
visits, 1,000 generated visits) after, so the first requests after the port opens must all
succeed, a report included, while the data is still going in. The times are reported (see
``bench/demo.py`` for them against a plain ``mshop serve``), never asserted.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from service.checklists.format import ChecklistChannel
from tests.fixtures.routes import api_path
from tests.fixtures.server import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
# Generous for a busy machine; the time taken is reported, not judged.
GIVE_UP_SECONDS = 300


@dataclass
class Server:
    port: int
    process: "subprocess.Popen[bytes]"
    started: float
    log: Path

    def call(
        self, method: str, path: str, form: dict[str, str] | None = None, token: str = ""
    ) -> tuple[int, dict[str, str], Any]:
        """One request on a new connection: status, headers (lower-case names), JSON body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            headers = {name.lower(): value for name, value in response.getheaders()}
            return response.status, headers, json.loads(response.read())
        finally:
            connection.close()

    def login(self, email: str) -> str:
        status, _, body = self.call(
            "POST", api_path("login"), form={"username": email, "password": "demo"}
        )
        assert status == 200, body
        return str(body["access_token"])

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def wait_for(server: Server, what: str, ready: Callable[[], bool]) -> float:
    while server.elapsed() < GIVE_UP_SECONDS:
        if ready():
            return server.elapsed()
        if server.process.poll() is not None:
            pytest.fail(f"server exited: {server.log.read_text()}")
        time.sleep(0.05)
    pytest.fail(f"{what} not within {GIVE_UP_SECONDS} s: {server.log.read_text()[-3000:]}")


def port_open(port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True

    return check


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """``mshop serve --demo`` in an empty folder: every setting at its default."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSHOP_")}
    env["PYTHONPATH"] = str(ROOT)
    port = free_port()
    log = tmp_path / "serve.log"
    folder = tmp_path / "newcomer"
    folder.mkdir()
    with log.open("w") as out:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--demo", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Server(port, process, started, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_answers_at_once_and_reports_while_the_data_loads(
    server: Server, record_property: Callable[[str, object], None]
) -> None:
    opened = wait_for(server, "the port", port_open(server.port))
    # Each of these is the first and only attempt after the port opened.
    status, _, health = server.call("GET", "/healthz")
    assert (status, health) == (200, {"status": "ok", "version": health["version"]})
    to_healthz = server.elapsed()
    shopper = server.login("shopper1@demo.kz")
    status, _, me = server.call("GET", api_path("read_me"), token=shopper)
    assert status == 200
    assert me["role"] == "shopper"
    to_login = server.elapsed()
    analyst = server.login("analyst@demo.kz")
    status, _, report = server.call("GET", api_path("rank_services"), token=analyst)
    # Whatever is in so far: an answer, not an error.
    assert status == 200, report
    assert isinstance(report["items"], list)
    # ...and it was answered while the data was still loading, readiness says so.
    status, headers, problem = server.call("GET", "/readyz")
    assert status == 503
    assert problem["detail"].startswith("Not ready: demo data: ")
    assert headers["retry-after"] == "1"

    to_full = wait_for(server, "/readyz", lambda: server.call("GET", "/readyz")[0] == 200)
    graded = 0
    for channel in ChecklistChannel:  # rankings count one channel at a time: add them up
        path = f"{api_path('rank_services')}?channel={channel}"
        status, _, report = server.call("GET", path, token=analyst)
        assert status == 200
        graded += report["total"]["graded"]
    # 1,000 visits, about three in four approved and scored, plus none of the accounts'.
    assert 600 < graded < 900
    status, _, mine = server.call("GET", api_path("list_visits"), token=shopper)
    assert {v["status"] for v in mine["items"]} == {
        "assigned", "in_progress", "returned", "submitted"
    }  # fmt: skip
    times = {
        "seconds_to_port": opened,
        "seconds_to_healthz": to_healthz,
        "seconds_to_login": to_login,
        "seconds_to_full_data": to_full,
    }
    for name, seconds in times.items():
        record_property(name, round(seconds, 2))
    print(" ".join(f"{name}={seconds:.2f}" for name, seconds in times.items()))  # noqa: T201
