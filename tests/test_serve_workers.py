"""``mshop serve --workers N`` (the Docker image's command) as a real process.

N spawned workers, each with the slow-client guards of service/serving.py, the parent's log
set-up and no migration of their own; one request line per request, from the app's middleware,
none from uvicorn's access log.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.test_cli import STRONG, free_port

# Starts `mshop serve` as a process.
pytestmark = pytest.mark.slow

WORKERS = 2
HEADER_TIMEOUT = 1.5


@dataclass(frozen=True)
class Served:
    pid: int
    port: int
    log: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("serve-workers")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MSHOP_") and k != "MALLOC_ARENA_MAX"
    } | {
        "MSHOP_DATABASE__URL": f"sqlite:///{tmp / 'serve.db'}",
        "MSHOP_STORAGE__LOCAL_DIR": str(tmp / "blobs"),
        "MSHOP_AUTH__SECRET_KEY": STRONG,
        "MSHOP_SERVER__HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    port = free_port()
    log = tmp / "serve.log"
    args = ["serve", "--port", str(port), "--workers", str(WORKERS), "--log-format", "json"]
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", *args],
            env=env,
            cwd=tmp,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180  # a loaded CI machine spawns slowly
        while len(workers(process.pid)) < WORKERS or not answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mshop serve did not come up: {log.read_text()}")
            time.sleep(0.2)
        yield Served(process.pid, port, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, ConnectionError):
        return False


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def workers(pid: int) -> list[int]:
    """uvicorn's worker processes: spawned interpreters (not multiprocessing's helpers)."""
    spawned = []
    for child in children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            spawned.append(child)
    return spawned


def environ(pid: int) -> list[bytes]:
    return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")


def test_workers_are_spawned_with_the_parents_settings_and_do_not_migrate(
    served: Served,
) -> None:
    pids = workers(served.pid)

    assert len(pids) == WORKERS
    for pid in pids:
        env = environ(pid)
        assert b"MSHOP_DATABASE__MIGRATE_ON_START=false" in env  # the parent migrated once
        assert b"MALLOC_ARENA_MAX=2" in env
        assert b"MSHOP_LOG_FORMAT=json" in env


def test_every_worker_closes_a_connection_that_sends_nothing(served: Served) -> None:
    # Connections spread over the workers: several idle ones reach each of them.
    socks = [socket.create_connection(("127.0.0.1", served.port), timeout=10) for _ in range(8)]
    started = time.monotonic()
    try:
        for sock in socks:
            assert sock.recv(65536) == b""  # closed by the server, not answered
    finally:
        for sock in socks:
            sock.close()
    assert time.monotonic() - started < HEADER_TIMEOUT + 3


def test_requests_are_logged_by_the_app_not_by_uvicorns_access_log(served: Served) -> None:
    for _ in range(4):
        assert answers(served.port)
    time.sleep(0.5)

    lines = [json.loads(line) for line in served.log.read_text().splitlines() if line.strip()]

    requests = [line for line in lines if line.get("path") == "/healthz"]
    assert len(requests) >= 4
    assert all(line["logger"] == "mshop.access" for line in requests)
    assert not any(line.get("logger") == "uvicorn.access" for line in lines)
    assert not any("GET /healthz HTTP/1.1" in str(line.get("message")) for line in lines)
