"""Request guards that run before routing: media types."""

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from service.errors import PROBLEM_MEDIA_TYPE, problem_type

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
ACCEPTED_TYPES = (
    "application/json",
    "multipart/form-data",
    "application/x-www-form-urlencoded",
)


def _accepted(content_type: str) -> bool:
    main = content_type.split(";", 1)[0].strip().lower()
    return main in ACCEPTED_TYPES or (main.startswith("application/") and main.endswith("+json"))


class MediaTypeGuard:
    """Answer 415 to a body the API cannot read, before any route parses it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in BODY_METHODS:
            headers = dict(scope["headers"])
            length = headers.get(b"content-length", b"0")
            has_body = b"transfer-encoding" in headers or length not in (b"0", b"")
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            if has_body and not _accepted(content_type):
                await self._refuse(scope, send, content_type)
                return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, send: Send, content_type: str) -> None:
        shown = content_type[:100] or "none"
        body = json.dumps(
            {
                "type": problem_type("unsupported-media-type"),
                "title": "Unsupported Media Type",
                "status": 415,
                "detail": f"Content-Type {shown!r} is not accepted; send application/json "
                "or a form.",
                "code": "unsupported-media-type",
                "instance": scope["path"],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 415,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
