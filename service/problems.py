"""Exception handlers: every error leaves the API as ``application/problem+json``."""

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import PROBLEM_MEDIA_TYPE, ServiceError, problem_body, title_for
from service.storage.objects import StorageUnavailable

log = logging.getLogger("mshop")

_CODES_BY_STATUS = {
    400: "bad-request",
    401: "not-authenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    429: "too-many-requests",
    503: "service-unavailable",
}


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = problem_body(
        status=status,
        code=code,
        detail=detail,
        instance=request.url.path,
        title=title,
        errors=errors,
    )
    return JSONResponse(
        jsonable_encoder(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Echoing the whole input back can be large or private; keep location, message and type.
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
        for e in exc.errors()
    ]


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
    )


def _allowed_methods(request: Request) -> str | None:
    # Routing reports only the first partially matching route's methods; the spec knows all.
    app = request.app
    if not hasattr(app.state, "path_methods"):
        app.state.path_methods = [
            (re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$"), ops)
            for path, ops in app.openapi()["paths"].items()
        ]
    for pattern, operations in app.state.path_methods:
        if pattern.match(request.url.path):
            return ", ".join(sorted(m.upper() for m in operations))
    return None


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODES_BY_STATUS.get(exc.status_code, "bad-request")
    detail = exc.detail if isinstance(exc.detail, str) else title_for(exc.status_code)
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = allowed
    return problem_response(
        request, status=exc.status_code, code=code, detail=detail, headers=headers or None
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    first = errors[0] if errors else {"loc": [], "msg": "invalid input"}
    where = ".".join(str(p) for p in first["loc"])
    return problem_response(
        request,
        status=422,
        code="validation-failed",
        title="Validation failed",
        detail=f"{where}: {first['msg']}" if where else str(first["msg"]),
        errors=errors,
    )


async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    # The database refused a value the schema let through (a NUL character, a number out of
    # its column's range, text that is not valid Unicode): the client's input, not our fault.
    log.info("database refused a value on %s: %s", request.url.path, type(exc).__name__)
    return problem_response(
        request,
        status=422,
        code="validation-failed",
        title="Validation failed",
        detail="A value cannot be stored: check for NUL characters, invalid Unicode or numbers "
        "out of range.",
    )


async def _storage_down(request: Request, exc: Exception) -> JSONResponse:
    log.warning("object store unavailable on %s: %s", request.url.path, exc)
    return problem_response(
        request,
        status=503,
        code="storage-unavailable",
        title="Storage unavailable",
        detail="The photo store cannot be reached; nothing was stored. Retry later.",
        headers={"Retry-After": "30"},
    )


async def _pool_exhausted(request: Request, exc: Exception) -> JSONResponse:
    log.warning("no database connection free for %s within the pool timeout", request.url.path)
    return problem_response(
        request,
        status=503,
        code="service-unavailable",
        title="Service unavailable",
        detail="The server is busy; nothing was stored. Retry shortly.",
        headers={"Retry-After": "5"},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        request, status=500, code="internal-error", detail="An unexpected error occurred."
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StorageUnavailable, _storage_down)
    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(PoolTimeout, _pool_exhausted)
    app.add_exception_handler(UnicodeEncodeError, _unstorable)
    app.add_exception_handler(Exception, _unexpected)
