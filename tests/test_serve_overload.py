"""What the server's protocol answers before the app runs, as the API's problems: past
``MSHOP_SERVER__MAX_CONNECTIONS`` a 503 with Retry-After, a head past
``MSHOP_SERVER__MAX_HEADER_BYTES`` a 431, a request that is not HTTP/1.1 a 400 (uvicorn alone
answers plain text)."""

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from service import serving
from service.config import ServerSettings
from tests.fixtures.server import running, serve_options

HEADER_BYTES = 2048


def noting_app(called: list[str]) -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        called.append("ping")
        return {"ok": "yes"}

    return app


@pytest.fixture
def limited() -> Iterator[tuple[str, list[str]]]:
    """A server allowed one connection at a time (its own counts: every request is over)."""
    called: list[str] = []
    with running(noting_app(called), **serve_options(ServerSettings(max_connections=1))) as base:
        yield base, called


@pytest.fixture
def small_heads() -> Iterator[tuple[str, list[str]]]:
    """A server taking request heads of at most ``HEADER_BYTES``."""
    called: list[str] = []
    settings = ServerSettings(max_header_bytes=HEADER_BYTES)
    with running(noting_app(called), **serve_options(settings)) as base:
        yield base, called


def raw_exchange(base: str, request: bytes) -> tuple[str, dict[str, str], dict[str, Any]]:
    """Send ``request`` as bytes; the status line, headers and JSON body of the answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):  # the server closes the connection after a refusal
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return status, headers, json.loads(body)


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


class TestRequestHeads:
    def test_a_head_within_the_limit_reaches_the_app(
        self, small_heads: tuple[str, list[str]]
    ) -> None:
        base, called = small_heads
        request = urllib.request.Request(f"{base}/ping", headers={"X-Pad": "a" * 1500})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read()) == {"ok": "yes"}
        assert called == ["ping"]

    def test_a_head_past_the_limit_is_a_431_problem_naming_the_setting(
        self, small_heads: tuple[str, list[str]]
    ) -> None:
        base, called = small_heads
        pad = "a" * (HEADER_BYTES + 100)
        status, headers, body = raw_exchange(
            base, f"GET /ping?x=1 HTTP/1.1\r\nHost: t\r\nX-Pad: {pad}\r\n\r\n".encode()
        )
        assert status.startswith("HTTP/1.1 431")
        assert headers["content-type"] == "application/problem+json"
        assert headers["connection"] == "close"
        assert body["status"] == 431
        assert body["code"] == "headers-too-large"
        assert body["instance"] == "/ping"
        assert str(HEADER_BYTES) in body["detail"]
        assert "MSHOP_SERVER__MAX_HEADER_BYTES" in body["detail"]
        assert called == []

    def test_a_head_trickling_past_the_limit_is_refused_as_it_arrives(
        self, small_heads: tuple[str, list[str]]
    ) -> None:
        base, called = small_heads
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(b"GET /ping HTTP/1.1\r\nHost: t\r\n")
            piece = b"X-Pad: " + b"a" * 900 + b"\r\n"
            answer = b""
            for _ in range(5):  # the third piece takes the unfinished head past 2048 bytes
                try:
                    conn.sendall(piece)
                except (BrokenPipeError, ConnectionResetError):
                    break  # refused and closed before the client was done
                time.sleep(0.2)
            while chunk := conn.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 431")
        assert json.loads(body)["code"] == "headers-too-large"
        assert called == []

    def test_a_pipelined_head_past_the_limit_never_reaches_the_app(
        self, small_heads: tuple[str, list[str]]
    ) -> None:
        base, called = small_heads
        pad = "a" * (HEADER_BYTES + 100)
        small = b"GET /ping HTTP/1.1\r\nHost: t\r\n\r\n"
        large = f"GET /ping HTTP/1.1\r\nHost: t\r\nX-Pad: {pad}\r\n\r\n".encode()
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(small + large)  # one write: the second waits in the parser's buffer
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        assert answer.count(b"HTTP/1.1 200") == 1
        assert b"HTTP/1.1 431" in answer
        assert b'"headers-too-large"' in answer
        assert called == ["ping"]  # the small one only

    def test_a_request_that_is_not_http_is_a_400_problem(
        self, small_heads: tuple[str, list[str]]
    ) -> None:
        base, called = small_heads
        status, headers, body = raw_exchange(base, b"HELLO THERE\r\n\r\n")
        assert status.startswith("HTTP/1.1 400")
        assert headers["content-type"] == "application/problem+json"
        assert body["code"] == "bad-request"
        assert body["instance"] == ""
        assert "HTTP/1.1" in body["detail"]
        assert called == []
