"""A client that walks away from an export mid-download gets its connection back at once.

Real HTTP through uvicorn: the client reads the start of a large export, then closes the socket.
The export's transaction and pooled connection must be released then, not whenever the garbage
collector next runs; otherwise a handful of abandoned downloads holds every connection.
"""

import gc
import socket
import time
import urllib.parse
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session

from service.auth.roles import Role
from service.config import AuthSettings, DatabaseSettings, Settings, StorageSettings
from service.db import create_db_engine
from service.demo.generate import run_demo_generate
from service.main import create_app
from tests.conftest import NOW, SECRET, FrozenClock
from tests.fixtures.db import database_url_for
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.server import running
from tests.fixtures.users import make_user

# Enough rows (about 25,000 answers, several MB of CSV) that the export is still being
# produced when the client leaves: more than the loopback socket buffers hold.
VISITS = 700
ABANDONED = 3


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = database_url_for("disconnect", tmp_path_factory.mktemp("disconnect") / "export.db")
    run_demo_generate(Settings(database=DatabaseSettings(url=url)), VISITS, 5)
    return url


def _abandon(base: str, path: str, headers: dict[str, str]) -> None:
    """Send the request, read the first 64 KB of the answer, and hang up."""
    url = urllib.parse.urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        head = [f"GET {path} HTTP/1.1", f"Host: {url.netloc}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        received = b""
        while len(received) < 64 * 1024:
            chunk = sock.recv(16 * 1024)
            assert chunk, "the server closed before sending 64 KB"
            received += chunk
        assert received.startswith(b"HTTP/1.1 200")


def _checked_out(engine: Engine, *, within: float) -> int:
    deadline = time.monotonic() + within
    while engine.pool.checkedout() and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.05)
    return engine.pool.checkedout()  # type: ignore[attr-defined,no-any-return]


def test_abandoned_exports_release_their_connections(database: str, tmp_path: Path) -> None:
    clock = FrozenClock(NOW)
    setup = create_db_engine(DatabaseSettings(url=database))
    with Session(setup) as session:
        analyst = make_user(session, Role.analyst)
        session.commit()
        headers = bearer(analyst, clock)
    setup.dispose()
    settings = Settings(
        database=DatabaseSettings(url=database, migrate_on_start=False),
        storage=StorageSettings(local_dir=tmp_path / "blobs"),
        auth=AuthSettings(secret_key=SecretStr(SECRET)),
    )
    app = create_app(settings, clock=clock)
    # The collector would eventually close the abandoned iterators itself; keep it out of
    # the way so the test sees what the response does.
    gc.disable()
    try:
        with running(app) as base:
            path = api_path("export_answers") + "?format=csv&status=approved,submitted"
            for _ in range(ABANDONED):
                _abandon(base, path, headers)
            assert _checked_out(app.state.engine, within=10) == 0
    finally:
        gc.enable()
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.get(api_path("rank_services"), headers=headers).status_code == 200
