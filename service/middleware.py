"""Request guards that run before routing: media types and body size."""

import json
from collections.abc import Callable
from typing import TypeVar

from fastapi.routing import RouteContext, iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.config import Settings
from service.error_codes import ErrorCode
from service.errors import PROBLEM_MEDIA_TYPE, PayloadTooLarge, problem_body

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
ACCEPTED_TYPES = (
    "application/json",
    "multipart/form-data",
    "application/x-www-form-urlencoded",
    # Checklist templates are written in YAML.
    "application/yaml",
    "application/x-yaml",
    "text/yaml",
)


BodyLimit = Callable[[Settings], int]
Endpoint = TypeVar("Endpoint", bound=Callable[..., object])
_BODY_LIMIT = "mshop_body_limit"


def body_limit(limit: BodyLimit) -> Callable[[Endpoint], Endpoint]:
    """Declare on a route the largest body it accepts, when not ``limits.max_body_bytes``.

    ``limit`` reads it from the settings. RequestGuard finds it through the route a request
    matches, so the limit goes wherever the route goes.
    """

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _BODY_LIMIT, limit)
        return endpoint

    return mark


def _accepted(content_type: str) -> bool:
    main = content_type.split(";", 1)[0].strip().lower()
    return main in ACCEPTED_TYPES or (main.startswith("application/") and main.endswith("+json"))


def problem_messages(
    scope: Scope,
    status: int,
    title: str,
    code: ErrorCode,
    detail: str,
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> list[Message]:
    """A problem as the ASGI messages that send it, for answers made before the app runs;
    the connection is closed after it."""
    body = json.dumps(
        problem_body(status=status, code=code, detail=detail, instance=scope["path"], title=title)
    ).encode()
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            *headers,
        ],
    }
    return [start, {"type": "http.response.body", "body": body}]


class RequestGuard:
    """Answer 415 to a body the API cannot read and 413 to one over the limit, as problems.

    Known lengths are refused up front; streamed (chunked) bodies are counted as they arrive.
    """

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.max_body_bytes = settings.limits.max_body_bytes
        # Routes that declared a limit of their own (body_limit), found on the first request.
        self._declared: list[tuple[RouteContext, int]] | None = None

    def limit_for(self, scope: Scope) -> int:
        """The declared limit of the route ``scope`` matches, else the general one."""
        if self._declared is None:
            # Starlette puts the application in the scope before its middleware runs; FastAPI
            # flattens included routers into routes with their full paths.
            self._declared = [
                (route, limit(self.settings))
                for route in iter_route_contexts(scope["app"].routes)
                if (limit := getattr(route.endpoint, _BODY_LIMIT, None))
            ]
        for route, limit in self._declared:
            if route.matches(scope)[0] is Match.FULL:
                return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"").decode("latin-1")
        has_body = b"transfer-encoding" in headers or length not in ("0", "")
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if has_body and not _accepted(content_type):
            shown = content_type[:100] or "none"
            detail = (
                f"Content-Type {shown!r} is not accepted; send application/json, YAML or a form."
            )
            await self._send_all(
                send,
                problem_messages(
                    scope, 415, "Unsupported Media Type", "unsupported-media-type", detail
                ),
            )
            return
        limit = self.limit_for(scope)
        if length.isdigit() and int(length) > limit:
            await self._send_all(send, self._too_large(scope, limit))
            return
        await self.app(scope, self._counting(receive, limit), send)

    def _counting(self, receive: Receive, limit: int) -> Receive:
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI re-raises HTTPException from body reading; our handler renders it.
                    raise HTTPException(413, f"The request body is larger than {limit} bytes.")
            return message

        return counted

    def _too_large(self, scope: Scope, limit: int) -> list[Message]:
        detail = f"The request body is larger than {limit} bytes."
        return problem_messages(scope, 413, PayloadTooLarge.title, PayloadTooLarge.code, detail)

    @staticmethod
    async def _send_all(send: Send, messages: list[Message]) -> None:
        for message in messages:
            await send(message)
