"""The OpenRosa envelope around every ``/openrosa`` request (ASGI middleware).

``Date``, which OpenRosa also asks for, is the HTTP server's (uvicorn adds it to every
response; a second one here would repeat it).

Collect shows the ``<message>`` of an ``OpenRosaResponse``; it cannot read problem+json. So
for these paths this turns every problem the app answers (a route's error, the body guard's
413, a 404, a 500) into that XML, in the shopper's language, and adds the headers the spec
asks on every response. A request without ``X-OpenRosa-Version`` is refused here, before any
route or database work.
"""

import json
from typing import ClassVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service import languages
from service.error_codes import ErrorCode
from service.errors import PROBLEM_MEDIA_TYPE, BadRequest
from service.openrosa import documents, messages

PREFIX = "/openrosa"
VERSION = "1.0"


class OpenRosaVersionMissing(BadRequest):
    """Answered by the envelope itself, before routing (never raised)."""

    code: ClassVar[ErrorCode] = "openrosa-version-missing"
    title = "X-OpenRosa-Version missing"


def is_openrosa(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


class OpenRosaEnvelope:
    def __init__(self, app: ASGIApp, *, max_submission_bytes: int) -> None:
        self.app = app
        self.max_submission_bytes = max_submission_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_openrosa(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        lang = languages.negotiated(headers.get(b"accept-language", b"").decode("latin-1"))
        extra = [
            (b"x-openrosa-version", VERSION.encode()),
            (b"content-language", lang.encode()),
            (b"x-openrosa-accept-content-length", str(self.max_submission_bytes).encode()),
        ]
        if headers.get(b"x-openrosa-version", b"").strip() != VERSION.encode():
            text = messages.message(
                lang,
                status=400,
                code=OpenRosaVersionMissing.code,
                detail="Send the header X-OpenRosa-Version: 1.0 (use ODK Collect).",
            )
            await _send_xml(send, 400, documents.response(text), extra)
            return
        start: Message | None = None
        body = bytearray()

        async def wrapped(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                kept = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() != b"content-language"
                ]
                message = {**message, "headers": [*kept, *extra]}
                content_type = dict(kept).get(b"content-type", b"").decode("latin-1")
                if content_type.startswith(PROBLEM_MEDIA_TYPE):
                    start = message  # held until its body is complete, then rewritten
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _send_xml(
                send, start["status"], self._rewrite(bytes(body), lang), start["headers"]
            )

        await self.app(scope, receive, wrapped)

    @staticmethod
    def _rewrite(problem: bytes, lang: str) -> bytes:
        try:
            parsed = json.loads(problem)
            status, code, detail = int(parsed["status"]), str(parsed["code"]), str(parsed["detail"])
        except (ValueError, KeyError, TypeError):
            status, code, detail = 500, "internal-error", "An unexpected error occurred."
            parsed = {}
        # A problem may carry its own words for the shopper (a form's unreadable answer).
        for error in parsed.get("errors") or ():
            worded = error.get("message") if isinstance(error, dict) else None
            if isinstance(worded, dict) and isinstance(worded.get(lang), str):
                return documents.response(worded[lang])
        return documents.response(messages.message(lang, status=status, code=code, detail=detail))


async def _send_xml(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    kept = [(k, v) for k, v in headers if k.lower() not in (b"content-type", b"content-length")]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                *kept,
                (b"content-type", documents.XML_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
