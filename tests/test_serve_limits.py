"""``mshop serve`` as a real process: idle and slow connections closed, glibc arenas bounded."""

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

from tests.fixtures.routes import api_path
from tests.test_cli import STRONG, free_port

# Starts `mshop serve` as a process.
pytestmark = pytest.mark.slow

KEEP_ALIVE = 1
HEADER_TIMEOUT = 1.5
BODY_IDLE = 1.5


@dataclass(frozen=True)
class Served:
    pid: int
    port: int


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("serve")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MSHOP_") and k != "MALLOC_ARENA_MAX"
    } | {
        "MSHOP_DATABASE__URL": f"sqlite:///{tmp / 'serve.db'}",
        "MSHOP_STORAGE__LOCAL_DIR": str(tmp / "blobs"),
        "MSHOP_AUTH__SECRET_KEY": STRONG,
        "MSHOP_SERVER__KEEP_ALIVE_SECONDS": str(KEEP_ALIVE),
        "MSHOP_SERVER__HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "MSHOP_SERVER__BODY_IDLE_TIMEOUT_SECONDS": str(BODY_IDLE),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    port = free_port()
    log = tmp / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
            env=env,
            cwd=tmp,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"mshop serve did not come up: {log.read_text()}")
                time.sleep(0.2)
        yield Served(process.pid, port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def connect(served: Served) -> socket.socket:
    return socket.create_connection(("127.0.0.1", served.port), timeout=10)


def closed_after(sock: socket.socket) -> tuple[float, bytes]:
    """Seconds until the server closes the connection, and what it sent meanwhile."""
    started = time.monotonic()
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return time.monotonic() - started, received


def test_the_served_process_runs_with_bounded_malloc_arenas(served: Served) -> None:
    environ = Path(f"/proc/{served.pid}/environ").read_bytes().split(b"\0")
    assert b"MALLOC_ARENA_MAX=2" in environ


def test_an_idle_keep_alive_connection_is_closed(served: Served) -> None:
    with connect(served) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = b""
        while b'"status":"ok"' not in first:  # the whole response, head and body
            first += sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        assert b"connection: close" not in first.lower()  # kept alive, then idle
        waited, more = closed_after(sock)
    assert more == b""
    assert KEEP_ALIVE - 0.5 < waited < KEEP_ALIVE + 3


def test_a_connection_that_sends_nothing_is_closed(served: Served) -> None:
    with connect(served) as sock:
        waited, sent = closed_after(sock)
    assert sent == b""
    assert HEADER_TIMEOUT - 0.5 < waited < HEADER_TIMEOUT + 3


def trickle(sock: socket.socket, data: bytes, pause: float) -> int:
    """Send ``data`` a byte at a time; return how many went before the server hung up."""
    for sent, byte in enumerate(data):
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return sent
        time.sleep(pause)
    return len(data)


def test_headers_trickled_a_byte_at_a_time_are_cut_off(served: Served) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100
    started = time.monotonic()
    with connect(served) as sock:
        sent = trickle(sock, request, 0.1)  # each byte well inside any idle timeout
        assert sent < len(request)
        assert sock.recv(65536) == b""
    assert time.monotonic() - started < HEADER_TIMEOUT + 3


def test_a_stalled_body_is_dropped(served: Served) -> None:
    with connect(served) as sock:
        sock.sendall(
            b"POST " + api_path("login").encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
            b"username=a"
        )
        waited, answer = closed_after(sock)
    assert answer == b""  # dropped by the server, not answered by the app
    assert BODY_IDLE - 0.5 < waited < BODY_IDLE + 3


def test_a_prompt_client_is_served_normally(served: Served) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{served.port}/healthz", timeout=5) as reply:
        assert reply.status == 200
