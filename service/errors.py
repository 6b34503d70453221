"""Domain errors rendered as RFC 9457 ``application/problem+json``."""

from http import HTTPStatus
from typing import Any, ClassVar, Literal

from pydantic import BaseModel

PROBLEM_MEDIA_TYPE = "application/problem+json"

ErrorCode = Literal[
    "bad-request",
    "not-authenticated",
    "invalid-token",
    "token-expired",
    "invalid-credentials",
    "user-inactive",
    "forbidden",
    "not-found",
    "method-not-allowed",
    "conflict",
    "payload-too-large",
    "unsupported-media-type",
    "validation-failed",
    "query-parameter-unknown",
    "too-many-requests",
    "internal-error",
    "service-unavailable",
    "user-not-found",
    "user-exists",
    "role-not-grantable",
    "self-demotion",
    "password-too-short",
    "old-password-required",
    "wrong-password",
    "service-not-found",
    "standard-version-exists",
    "standard-not-in-force",
    "checklist-not-found",
    "checklist-not-offered",
    "checklist-version-exists",
    "checklist-invalid",
    "office-not-found",
    "visit-not-found",
    "visit-conflict",
    "transition-not-allowed",
    "visit-not-editable",
    "assignment-invalid",
    "shopper-not-active",
    "service-not-offered-at-office",
    "channel-not-available-at-office",
    "deadline-case-out-of-range",
    "window-in-the-past",
    "bulk-file-invalid",
    "bulk-rows-invalid",
    "bulk-cell-too-long",
    "answer-conflict",
    "answers-invalid",
    "submission-incomplete",
    "score-not-found",
    "score-locked",
    "photo-not-found",
    "photo-conflict",
    "photo-item-invalid",
    "too-many-photos",
    "image-too-large",
    "image-too-compressed",
    "image-decoder-busy",
    "empty-file",
    "image-corrupt",
    "checksum-mismatch",
    "upload-missing",
    "direct-upload-unavailable",
    "storage-unavailable",
    "report-filters-invalid",
    "export-bom-not-csv",
]


class Problem(BaseModel):
    """An error response: what went wrong, for people (title, detail) and programs (code)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
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
        """OpenAPI ``responses`` entry for this error."""
        return {
            "model": Problem,
            "description": cls.title,
            "content": {PROBLEM_MEDIA_TYPE: {}},
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
    code: str,
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


class Forbidden(ServiceError):
    status = 403
    code: ClassVar[ErrorCode] = "forbidden"
    title = "Forbidden"


class NotFound(ServiceError):
    status = 404
    code: ClassVar[ErrorCode] = "not-found"
    title = "Not found"


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


class ServiceUnavailable(ServiceError):
    status = 503
    code: ClassVar[ErrorCode] = "service-unavailable"
    title = "Service unavailable"
