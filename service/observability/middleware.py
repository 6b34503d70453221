"""Per request: an id (taken from X-Request-ID when sane), one JSON log line, metrics."""

import json
import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import PROBLEM_MEDIA_TYPE, problem_body
from service.observability import metrics
from service.observability.logs import request_id

log = logging.getLogger("mshop.access")
errors_log = logging.getLogger("mshop")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


# Path segments that are secrets: the app token in Collect's server URL (service/openrosa).
# Logged and labelled masked, matched or not, so a token never reaches logs or metrics.
_SECRET_SEGMENT = re.compile(r"(/openrosa/key/)[^/]+")


def logged_path(path: str) -> str:
    return _SECRET_SEGMENT.sub(r"\1{app_token}", path)


def _route_template(scope: Scope) -> str:
    # Label by template, never by raw path, so ids in URLs cannot explode the series count.
    # Included routers record their route without its prefix, so rebuild the template from
    # the path and the matched parameters.
    if "route" not in scope:
        return "unmatched"
    names = {str(v): f"{{{k}}}" for k, v in scope.get("path_params", {}).items()}
    return logged_path("/".join(names.get(part, part) for part in str(scope["path"]).split("/")))


class RequestObserver:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        responded = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status = message["status"]
                responded = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Answered here rather than by Starlette's outermost handler, so the log line and
            # the 500 carry the request's id. A response already started cannot be replaced.
            if responded:
                raise
            errors_log.exception(
                "unhandled error on %s %s", scope["method"], logged_path(scope["path"])
            )
            await _send_internal_error(scope, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope["method"]
            metrics.REQUESTS.labels(method, route, str(status)).inc()
            metrics.LATENCY.labels(method, route).observe(elapsed)
            path = logged_path(scope["path"])
            log.info(
                "%s %s %s",
                method,
                path,
                status,
                extra={
                    "method": method,
                    "path": path,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id.reset(token)


async def _send_internal_error(scope: Scope, send: Send) -> None:
    body = problem_body(
        status=500,
        code="internal-error",
        detail="An unexpected error occurred.",
        instance=logged_path(str(scope["path"])),
    )
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode())],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
