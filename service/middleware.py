"""Request guards that run before routing: media types and body size."""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import PROBLEM_MEDIA_TYPE, problem_type

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


def _problem(scope: Scope, status: int, title: str, code: str, detail: str) -> list[Message]:
    body = json.dumps(
        {
            "type": problem_type(code),
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
            "instance": scope["path"],
        }
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

    Starlette's body limit inside this guard counts streamed bodies; where it answers with
    plain text, the guard rewrites that 413 as a problem document like every other error.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

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
        if length.isdigit() and int(length) > self.max_body_bytes:
            await self._send_all(send, self._too_large(scope))
            return
        await self.app(scope, receive, self._rewrite_413(scope, send))

    def _too_large(self, scope: Scope) -> list[Message]:
        detail = f"The request body is larger than {self.max_body_bytes} bytes."
        return _problem(scope, 413, "Payload Too Large", "payload-too-large", detail)

    def _rewrite_413(self, scope: Scope, send: Send) -> Send:
        replaced = False

        async def wrapped(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 413:
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if not content_type.startswith(PROBLEM_MEDIA_TYPE.encode()):
                    replaced = True
                    await self._send_all(send, self._too_large(scope))
                    return
            if replaced:
                return
            await send(message)

        return wrapped

    @staticmethod
    async def _send_all(send: Send, messages: list[Message]) -> None:
        for message in messages:
            await send(message)
