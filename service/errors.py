"""Domain errors rendered as RFC 9457 ``application/problem+json``."""

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any, ClassVar

from pydantic import BaseModel

from service.error_codes import ErrorCode

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"


class Problem(BaseModel):
    """An error response: what went wrong, for people (title, detail) and programs (code)."""

    type: str
    title: str
    status: int
    detail: str
    code: ErrorCode
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


class ServiceError(Exception):
    """Base of every error the services raise; the router never builds responses for them."""

    status: ClassVar[int] = 400
    code: ClassVar[ErrorCode] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    @classmethod
    def schema(cls) -> dict[str, Any]:
        """OpenAPI ``responses`` entry for this error alone."""
        return problem_responses(cls)[cls.status]


def problem_responses(*errors: type[ServiceError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` of a route that can raise ``errors``: one entry per status.

    Each status's description lists its codes and titles, and its schema is a Problem whose
    ``code`` is restricted to them, so a client can switch on the codes the spec promises.
    """
    by_status: dict[int, dict[str, str]] = {}
    for error in errors:
        by_status.setdefault(error.status, {}).setdefault(error.code, error.title)
    return {status: _entry(codes) for status, codes in sorted(by_status.items())}


def _entry(titles: dict[str, str]) -> dict[str, Any]:
    return {
        "description": "; ".join(f"{code}: {title}" for code, title in sorted(titles.items())),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": problem_schema(titles)}},
    }


def problem_schema(codes: Iterable[str]) -> dict[str, Any]:
    """A Problem whose ``code`` is one of ``codes``."""
    return {
        "allOf": [
            {"$ref": PROBLEM_REF},
            {"properties": {"code": {"enum": sorted(codes)}}},
        ]
    }


def problem_type(code: str) -> str:
    return f"https://mshop.example/problems/{code}"


def title_for(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(
    *,
    status: int,
    code: ErrorCode,
    detail: str,
    instance: str,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The ``application/problem+json`` body, whether a handler or a middleware sends it."""
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title or title_for(status),
        "status": status,
        "detail": detail,
        "code": code,
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = errors
    return body


class NotAuthenticated(ServiceError):
    status = 401
    code: ClassVar[ErrorCode] = "not-authenticated"
    title = "Not authenticated"


class InvalidToken(NotAuthenticated):
    status = 401
    code: ClassVar[ErrorCode] = "invalid-token"
    title = "Invalid token"


class TokenExpired(NotAuthenticated):
    status = 401
    code: ClassVar[ErrorCode] = "token-expired"
    title = "Token expired"


class InvalidCredentials(NotAuthenticated):
    status = 401
    code: ClassVar[ErrorCode] = "invalid-credentials"
    title = "Invalid credentials"


class BadRequest(ServiceError):
    """A request that cannot be read at all (a broken multipart body, say)."""


class Forbidden(ServiceError):
    status = 403
    code: ClassVar[ErrorCode] = "forbidden"
    title = "Forbidden"


class NotFound(ServiceError):
    status = 404
    code: ClassVar[ErrorCode] = "not-found"
    title = "Not found"


class MethodNotAllowed(ServiceError):
    status = 405
    code: ClassVar[ErrorCode] = "method-not-allowed"
    title = "Method not allowed"


class Conflict(ServiceError):
    status = 409
    code: ClassVar[ErrorCode] = "conflict"
    title = "Conflict"


class PayloadTooLarge(ServiceError):
    status = 413
    code: ClassVar[ErrorCode] = "payload-too-large"
    title = "Payload too large"


class UnsupportedMediaType(ServiceError):
    status = 415
    code: ClassVar[ErrorCode] = "unsupported-media-type"
    title = "Unsupported media type"


class ValidationFailed(ServiceError):
    status = 422
    code: ClassVar[ErrorCode] = "validation-failed"
    title = "Validation failed"


class TooManyRequests(ServiceError):
    status = 429
    code: ClassVar[ErrorCode] = "too-many-requests"
    title = "Too many requests"


class HeadersTooLarge(ServiceError):
    """A request head past ``MSHOP_SERVER__MAX_HEADER_BYTES``, answered by the server's
    protocol before the app runs (service/serving.py)."""

    status = 431
    code: ClassVar[ErrorCode] = "headers-too-large"
    title = "Request header fields too large"


class ServiceUnavailable(ServiceError):
    status = 503
    code: ClassVar[ErrorCode] = "service-unavailable"
    title = "Service unavailable"


class DatabaseBusy(ServiceUnavailable):
    """The write lock (SQLite) or a row lock (PostgreSQL) was not granted within the lock
    timeout: the server is busy, nothing was stored, the client retries."""

    code: ClassVar[ErrorCode] = "database-busy"
    title = "Database busy"

    def __init__(
        self, detail: str = "The server is busy writing; nothing was stored. Retry shortly."
    ) -> None:
        super().__init__(detail, headers={"Retry-After": "2"})


class StorageDown(ServiceUnavailable):
    """The object store cannot be reached (answered by the handler of storage failures)."""

    code: ClassVar[ErrorCode] = "storage-unavailable"
    title = "Storage unavailable"


class InternalError(ServiceError):
    """Answered for a bug, never raised on purpose; named so its code has a home."""

    status = 500
    code: ClassVar[ErrorCode] = "internal-error"
    title = "Internal error"


# The problem the generic handler answers for each status no ServiceError covered.
BY_STATUS: dict[int, type[ServiceError]] = {
    e.status: e
    for e in (
        BadRequest,
        NotAuthenticated,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        PayloadTooLarge,
        UnsupportedMediaType,
        ValidationFailed,
        TooManyRequests,
        HeadersTooLarge,
        InternalError,
        ServiceUnavailable,
    )
}
