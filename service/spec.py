"""Make the generated OpenAPI say what the API does: every error is a Problem document."""

import copy
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI

from service import late_body
from service.errors import (
    BY_STATUS,
    PROBLEM_MEDIA_TYPE,
    PROBLEM_REF,
    BadRequest,
    DatabaseBusy,
    PayloadTooLarge,
    Problem,
    ServiceError,
    UnsupportedMediaType,
    ValidationFailed,
    problem_responses,
    problem_schema,
)

# Any operation with a body can meet the request guards and the body parser.
BODY_ERRORS: tuple[type[ServiceError], ...] = (
    BadRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)


def declared_codes(response: dict[str, Any]) -> list[str] | None:
    """The codes a problem response of the spec promises; ``None``: any code."""
    schema = response.get("content", {}).get(PROBLEM_MEDIA_TYPE, {}).get("schema", {})
    for part in schema.get("allOf", ()):
        enum = part.get("properties", {}).get("code", {}).get("enum")
        if enum is not None:
            return list(enum)
    return None


def _declare(responses: dict[str, Any], error: type[ServiceError]) -> None:
    """Add ``error`` to what the operation declares for its status, keeping what is there."""
    status = str(error.status)
    current: dict[str, Any] = responses.get(status, {})
    codes = declared_codes(current)
    if codes is None:
        # Undeclared, or FastAPI's own 422 entry: the generic problem of that status.
        responses[status] = problem_responses(error)[error.status]
        return
    if error.code in codes:
        return
    merged = problem_responses(error)[error.status]
    merged["description"] = "; ".join(
        sorted([*current["description"].split("; "), merged["description"]])
    )
    merged["content"][PROBLEM_MEDIA_TYPE]["schema"] = problem_schema([*codes, error.code])
    responses[status] = merged


def _declare_router_errors(
    paths: dict[str, Any], router_errors: Mapping[str, tuple[type[ServiceError], ...]]
) -> None:
    for path, path_item in paths.items():
        for prefix, errors in router_errors.items():
            if path != prefix and not path.startswith(prefix + "/"):
                continue
            for operation in path_item.values():
                for error in errors:
                    _declare(operation.setdefault("responses", {}), error)


# Methods that write: the write lock (SQLite) or a row lock (PostgreSQL) may not come in time.
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})


def _fix_operation(method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if method in WRITE_METHODS:
        _declare(responses, DatabaseBusy)
    if "requestBody" in operation:
        for error in BODY_ERRORS:
            _declare(responses, error)
    if operation.get("parameters"):
        # A parameter that does not parse, or a value the database refuses.
        _declare(responses, ValidationFailed)
    for status, response in list(responses.items()):
        if status[0] not in "45":
            continue
        if declared_codes(response) is None and int(status) in BY_STATUS:
            _declare(responses, BY_STATUS[int(status)])
            continue
        # FastAPI may have added an application/json entry; errors are problem+json only.
        schema = response.get("content", {}).get(PROBLEM_MEDIA_TYPE, {}).get("schema")
        response["content"] = {
            PROBLEM_MEDIA_TYPE: {"schema": copy.deepcopy(schema or {"$ref": PROBLEM_REF})}
        }


def install(
    app: FastAPI, *, router_errors: Mapping[str, tuple[type[ServiceError], ...]] | None = None
) -> None:
    """Post-process the app's spec once: Problem schema for 4xx/5xx, body errors listed.

    ``router_errors`` maps a router's path prefix to what its router-level dependencies raise
    on every operation below it: FastAPI lets a route's own entry of a status replace the
    router's, so they are merged into each operation's codes here instead.
    """
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = generate()
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, schema in late_body.body_schemas().items():
            schemas.setdefault(name, schema)
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        _declare_router_errors(spec.get("paths", {}), router_errors or {})
        for path_item in spec.get("paths", {}).values():
            for method, operation in path_item.items():
                _fix_operation(method, operation)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
