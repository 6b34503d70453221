"""Make the generated OpenAPI say what the API does: every error is a Problem document."""

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from service.errors import PROBLEM_MEDIA_TYPE, Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# Any operation with a body can meet the request guards and the body parser.
BODY_ERRORS = {
    "400": "The body could not be parsed",
    "413": "The body is larger than the limit",
    "415": "The body's media type is not accepted",
    "422": "Validation failed",
}


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": copy.deepcopy(PROBLEM_REF)}}


def _fix_operation(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if "requestBody" in operation:
        for status, description in BODY_ERRORS.items():
            responses.setdefault(status, {"description": description})
    for status, response in responses.items():
        if status[0] in "45":
            response["content"] = _problem_content()


def install(app: FastAPI) -> None:
    """Post-process the app's spec once: Problem schema for 4xx/5xx, body errors listed."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = generate()
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for path_item in spec.get("paths", {}).values():
            for operation in path_item.values():
                _fix_operation(operation)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
