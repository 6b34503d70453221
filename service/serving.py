"""How ``mshop serve`` runs uvicorn: timeouts for idle and slow clients, glibc's arenas, and
which peers' forwarded headers are believed.

uvicorn closes a keep-alive connection idle after a response, but h11 has no read timeout:
a client that connects and sends nothing, or trickles its headers a byte at a time
(slowloris), or stalls half-way through a body, holds its connection and socket forever.
"""

import asyncio
import functools
import logging
import os
import sys
from collections.abc import Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import Message
    from uvicorn.protocols.http.h11_impl import H11Protocol

    from service.config import ServerSettings

log = logging.getLogger("mshop")

# What a client past ``max_connections`` is told to wait before it tries again.
OVERLOAD_RETRY_SECONDS = 5

# glibc gives each thread that contends for malloc its own heap arena (up to 8 per core) and
# rarely returns their memory; decoding photos on many worker threads kept gigabytes resident.
# It reads the variable once, when the process starts, so serve re-executes itself with it set.
ARENA_VARIABLE = "MALLOC_ARENA_MAX"
ARENA_VALUE = "2"


def reexec_with_malloc_arenas(argv: Sequence[str]) -> None:
    """Replace this process with itself plus ``MALLOC_ARENA_MAX=2``, unless already set.

    A value the operator set is kept. Returns only when nothing needs doing.
    """
    if ARENA_VARIABLE in os.environ or not sys.platform.startswith("linux"):
        return
    os.environ[ARENA_VARIABLE] = ARENA_VALUE
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "service.cli", *argv])


def guarded_protocol(server: "ServerSettings") -> "type[H11Protocol]":
    """An h11 protocol that closes connections whose client is too slow to send a request."""
    # Imported here: ``mshop`` imports this module before it re-executes itself for ``serve``
    # and must not pay for uvicorn twice (see service/__main__.py).
    import h11
    from uvicorn.protocols.http import h11_impl
    from uvicorn.protocols.http.h11_impl import H11Protocol

    from service.errors import ServiceUnavailable
    from service.middleware import problem_messages

    header_seconds = server.header_timeout_seconds
    body_seconds = server.body_idle_timeout_seconds
    header_bytes = server.max_header_bytes

    async def overloaded(scope: Any, _receive: Any, send: Any) -> None:
        detail = (
            f"The server holds {server.max_connections} connections or requests at once "
            "(MSHOP_SERVER__MAX_CONNECTIONS); nothing was done. Retry shortly."
        )
        retry = ((b"retry-after", str(OVERLOAD_RETRY_SECONDS).encode()),)
        title, code = ServiceUnavailable.title, ServiceUnavailable.code
        for message in problem_messages(scope, 503, title, code, detail, retry):
            await send(message)

    # Past ``limit_concurrency`` uvicorn answers a plain-text 503 without Retry-After, named
    # in the module of the protocol ours extends: the one place to give it the API's form,
    # the problem every other 503 is (tests/test_serve_overload.py sends a request past it).
    setattr(h11_impl, "service_unavailable", overloaded)  # noqa: B010  # not exported: replaced

    class GuardedH11Protocol(H11Protocol):
        _guard: asyncio.TimerHandle | None = None
        _guard_kind = ""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            # A connection that never completes a request is closed after the header timeout.
            self._arm("headers", header_seconds)

        _at_head = True  # what arrives starts a request (not a body): see send_400_response

        def data_received(self, data: bytes) -> None:
            self._at_head = self.conn.their_state is h11.IDLE
            if self._at_head:
                # h11 bounds only a head still incomplete: a long one arriving whole passes.
                buffered, _closed = self.conn.trailing_data
                pending = buffered + data if buffered else data
                if head_too_long(pending, header_bytes):
                    self._refuse(pending)
                    return
            super().data_received(data)
            state = self.conn.their_state
            if state is h11.IDLE:
                # Part of a next request's head: its deadline runs from its first byte and is
                # not pushed back by more trickling bytes.
                if self._guard_kind != "headers":
                    self._arm("headers", header_seconds)
            elif state is h11.SEND_BODY and not self.flow.read_paused:
                self._arm("body", body_seconds)  # each chunk restarts the idle clock
            else:
                self._disarm()

        def send_400_response(self, msg: str) -> None:
            # h11 could not read a request's head (it keeps what arrived buffered): the
            # problem. A body it could not read (bad chunking) is uvicorn's to answer, as the
            # response may have begun.
            if not self._at_head:
                super().send_400_response(msg)
                return
            self._refuse(self.conn.trailing_data[0])

        def _refuse(self, pending: bytes) -> None:
            """Answer the problem for an unreadable request and close the connection."""
            start, body = refusal_messages(pending, header_bytes)
            status = start["status"]
            lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}".encode("ascii")]
            lines += [name + b": " + value for name, value in start["headers"]]
            self.transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + body["body"])
            self.transport.close()

        def on_response_complete(self) -> None:
            self._disarm()  # the keep-alive timeout takes over the idle connection
            if self.conn.their_state is h11.DONE:
                # A pipelined next request already buffered is parsed by the parent at once,
                # whole, never passing data_received: its head is measured here.
                self._at_head = True
                pending, _closed = self.conn.trailing_data
                if pending and head_too_long(pending, header_bytes):
                    self._refuse(pending)
                    return
            super().on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self, kind: str, seconds: float) -> None:
            self._disarm()
            self._guard_kind = kind
            self._guard = self.loop.call_later(seconds, self._too_slow, kind)

        def _disarm(self) -> None:
            if self._guard is not None:
                self._guard.cancel()
            self._guard, self._guard_kind = None, ""

        def _too_slow(self, kind: str) -> None:
            self._guard, self._guard_kind = None, ""
            if self.flow.read_paused:  # the app, not the client, is behind
                return
            if not self.transport.is_closing():
                log.info("closing a connection from %s: %s too slow", self.client, kind)
                self.transport.close()

    return GuardedH11Protocol


def head_too_long(pending: bytes, header_bytes: int) -> bool:
    """Whether ``pending``, the start of a request, has more than ``header_bytes`` before the
    blank line ending its head (the line and headers; a head still arriving counts whole)."""
    return pending.find(b"\r\n\r\n", 0, header_bytes + 4) == -1 and len(pending) > header_bytes


def refusal_messages(pending: bytes, header_bytes: int) -> "list[Message]":
    """The problem for a request that cannot be read, as ASGI messages: 431 when its head is
    past ``header_bytes``, else 400; ``instance`` is its path when the request line tells."""
    from service.errors import BadRequest, HeadersTooLarge
    from service.middleware import problem_messages

    line = pending.split(b"\r\n", 1)[0].split(b" ")
    target = line[1].decode("latin-1") if len(line) == 3 and len(line[1]) <= 2048 else ""
    scope = {"path": target.split("?", 1)[0]}
    if head_too_long(pending, header_bytes):
        detail = (
            f"The request's line and headers are longer than {header_bytes} bytes "
            "(MSHOP_SERVER__MAX_HEADER_BYTES); nothing was done."
        )
        return problem_messages(scope, 431, HeadersTooLarge.title, HeadersTooLarge.code, detail)
    detail = "The request is not valid HTTP/1.1; nothing was done."
    return problem_messages(scope, 400, BadRequest.title, BadRequest.code, detail)


def proxy_options(forwarded_allow_ips: str) -> dict[str, Any]:
    """uvicorn's proxy header options: trust forwarded headers from these peers only.

    uvicorn's own default reads them from 127.0.0.1 (or $FORWARDED_ALLOW_IPS), so behind a
    pass-through proxy on the same host every client could name its own address. With no
    proxy configured the middleware is left out: the address is the connection's.
    """
    if not forwarded_allow_ips:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": forwarded_allow_ips}


def uvicorn_options(server: "ServerSettings") -> dict[str, Any]:
    """The keyword arguments ``uvicorn.run`` takes for the configured limits."""
    return {
        **proxy_options(server.forwarded_allow_ips),
        "http": guarded_protocol(server),
        "timeout_keep_alive": server.keep_alive_seconds,
        "timeout_graceful_shutdown": server.graceful_shutdown_seconds,
        "limit_concurrency": server.max_connections,
        "h11_max_incomplete_event_size": server.max_header_bytes,
    }


# ``mshop serve --workers N`` spawns N fresh interpreters: they get the app, the protocol and
# the log set-up by import string and environment, since objects made in the parent (a
# class made by ``guarded_protocol``, the app) cannot be sent to a spawned process.
WORKER_LOG_LEVEL = "MSHOP_SERVE_LOG_LEVEL"  # set by serve for its workers


def worker_options(server: "ServerSettings") -> dict[str, Any]:
    """``uvicorn_options`` for ``workers > 1``: the same limits, named by import string."""
    return uvicorn_options(server) | {"http": "service.serving:worker_protocol"}


@functools.cache
def _worker_protocol_class() -> "type[H11Protocol]":
    from service.config import Settings

    return guarded_protocol(Settings().server)


def worker_protocol(**kwargs: Any) -> "H11Protocol":
    """The guarded h11 protocol of a worker, with the timeouts of the environment's settings
    (the parent's, inherited)."""
    return _worker_protocol_class()(**kwargs)


def worker_app() -> "FastAPI":
    """The app of one worker process: settings from the environment, logs as the parent's.

    The parent has migrated the database once and set ``MSHOP_DATABASE__MIGRATE_ON_START``
    to false, so the workers do not all migrate at once.
    """
    from service.config import Settings
    from service.main import create_app
    from service.observability import logs

    settings = Settings()
    logs.configure(os.environ.get(WORKER_LOG_LEVEL, "info"), settings.log_format)
    return create_app(settings)
