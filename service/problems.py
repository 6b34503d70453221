"""Exception handlers: every error leaves the API as ``application/problem+json``."""

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.db import is_lock_timeout
from service.error_codes import ErrorCode
from service.errors import (
    BY_STATUS,
    PROBLEM_MEDIA_TYPE,
    BadRequest,
    DatabaseBusy,
    InternalError,
    ServiceError,
    ServiceUnavailable,
    StorageDown,
    ValidationFailed,
    problem_body,
    title_for,
)
from service.observability.middleware import logged_path
from service.storage.objects import StorageUnavailable

log = logging.getLogger("mshop")


def problem_response(
    request: Request,
    *,
    status: int,
    code: ErrorCode,
    detail: str,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = problem_body(
        status=status,
        code=code,
        detail=detail,
        instance=logged_path(request.url.path),
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
    # The API's own error of the status, so a 413 or a 404 is titled as the API's are.
    known = BY_STATUS.get(exc.status_code)
    code = (known or BadRequest).code
    title = known.title if known is not None else title_for(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) else title
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = allowed
    return problem_response(
        request,
        status=exc.status_code,
        code=code,
        title=title,
        detail=detail,
        headers=headers or None,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    first = errors[0] if errors else {"loc": [], "msg": "invalid input"}
    where = ".".join(str(p) for p in first["loc"])
    return problem_response(
        request,
        status=422,
        code=ValidationFailed.code,
        title=ValidationFailed.title,
        detail=f"{where}: {first['msg']}" if where else str(first["msg"]),
        errors=errors,
    )


async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    # The database refused a value the schema let through (a NUL character, a number out of
    # its column's range, text that is not valid Unicode): the client's input, not our fault.
    log.info(
        "database refused a value on %s: %s", logged_path(request.url.path), type(exc).__name__
    )
    return problem_response(
        request,
        status=422,
        code=ValidationFailed.code,
        title=ValidationFailed.title,
        detail="A value cannot be stored: check for NUL characters, invalid Unicode or numbers "
        "out of range.",
    )


async def _storage_down(request: Request, exc: Exception) -> JSONResponse:
    log.warning("object store unavailable on %s: %s", logged_path(request.url.path), exc)
    return problem_response(
        request,
        status=503,
        code=StorageDown.code,
        title=StorageDown.title,
        detail="The photo store cannot be reached; nothing was stored. Retry later.",
        headers={"Retry-After": "30"},
    )


async def _pool_exhausted(request: Request, exc: Exception) -> JSONResponse:
    log.warning(
        "no database connection free for %s within the pool timeout", logged_path(request.url.path)
    )
    return problem_response(
        request,
        status=503,
        code=ServiceUnavailable.code,
        title=ServiceUnavailable.title,
        detail="The server is busy; nothing was stored. Retry shortly.",
        headers={"Retry-After": "5"},
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    # A lock not granted in time: SQLite's "database is locked" from a writer in another
    # process (the CLI), PostgreSQL's lock_timeout. Any other operational error is ours.
    if not is_lock_timeout(exc):
        return await _unexpected(request, exc)
    log.warning("lock timeout on %s %s", request.method, logged_path(request.url.path))
    busy = DatabaseBusy()
    return problem_response(
        request,
        status=busy.status,
        code=busy.code,
        title=busy.title,
        detail=busy.detail,
        headers=busy.headers,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception(
        "unhandled error on %s %s", request.method, logged_path(request.url.path), exc_info=exc
    )
    return problem_response(
        request, status=500, code=InternalError.code, detail="An unexpected error occurred."
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StorageUnavailable, _storage_down)
    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(PoolTimeout, _pool_exhausted)
    app.add_exception_handler(OperationalError, _database_error)
    app.add_exception_handler(UnicodeEncodeError, _unstorable)
    app.add_exception_handler(Exception, _unexpected)
