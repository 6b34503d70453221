"""Request guards that run before routing: media types and body size."""

import json
import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import PROBLEM_MEDIA_TYPE, ErrorCode, problem_body

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


def _accepted(content_type: str) -> bool:
    main = content_type.split(";", 1)[0].strip().lower()
    return main in ACCEPTED_TYPES or (main.startswith("application/") and main.endswith("+json"))


def _problem(scope: Scope, status: int, title: str, code: ErrorCode, detail: str) -> list[Message]:
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
        ],
    }
    return [start, {"type": "http.response.body", "body": body}]


class RequestGuard:
    """Answer 415 to a body the API cannot read and 413 to one over the limit, as problems.

    Known lengths are refused up front; streamed (chunked) bodies are counted as they arrive.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        overrides: tuple[tuple[str, int], ...] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # (path regex, limit): photo uploads may be far larger than any JSON body.
        self.overrides = [(re.compile(pattern), limit) for pattern, limit in overrides]

    def limit_for(self, path: str) -> int:
        return next((n for p, n in self.overrides if p.match(path)), self.max_body_bytes)

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
                _problem(scope, 415, "Unsupported Media Type", "unsupported-media-type", detail),
            )
            return
        limit = self.limit_for(scope["path"])
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
        return _problem(scope, 413, "Payload Too Large", "payload-too-large", detail)

    @staticmethod
    async def _send_all(send: Send, messages: list[Message]) -> None:
        for message in messages:
            await send(message)
