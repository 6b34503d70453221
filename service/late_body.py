"""A JSON body validated on the route's own thread, after the checks that must come first.

FastAPI validates a body model after a route's dependencies and before the route, so a
route whose caller's account is read by its own first statement (``auth.callers.Caller``,
on answer sync) would answer an invalid body before refusing a caller who may not call.
Such a route takes the body parsed but not validated (``LateJsonBody``) and validates it
with ``validated``, which runs the caller's check first when the body is not valid. The
JSON is parsed as FastAPI parses it, on the event loop and before the dependencies, with
the same 422s; the spec shows the model as FastAPI would (``openapi_body``).
"""

import email.message
import inspect
import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

# Models shown in the spec as request bodies of routes that validate them late.
_MODELS: dict[str, type[BaseModel]] = {}


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False  # FastAPI's strict content type, its default: no type, no JSON
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class _Missing:
    """No body was sent (FastAPI: ``Field required`` at ``body``)."""


_MISSING = _Missing()


async def read_json(request: Request) -> object:
    """The body as JSON values, or its bytes when it is not declared JSON (as FastAPI
    passes them to validation), or ``_MISSING``; malformed JSON is a 422 here and a body
    that cannot be parsed otherwise (not text, nested too deep) a 400, as FastAPI answers
    them, before any dependency."""
    body = await request.body()  # bounded by MSHOP_LIMITS__MAX_BODY_BYTES
    if not body:
        return _MISSING
    if not _is_json(request.headers.get("content-type")):
        return body
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", exc.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": exc.msg},
                }
            ]
        ) from exc
    except Exception as exc:
        # Bytes that are no text (UnicodeDecodeError), nesting deeper than Python's stack
        # (RecursionError): whatever else parsing raises, FastAPI's own answer.
        raise HTTPException(400, "There was an error parsing the body") from exc


LateJsonBody = Annotated[object, Depends(read_json)]


def validated(model: type[M], body: object, *, first: Callable[[], object]) -> M:
    """``body`` as ``model``; when it is not one, ``first()`` runs before the 422 (it raises
    what must be answered before a body's errors, such as a caller's refusal)."""
    if isinstance(body, _Missing):
        errors: list[Any] = [
            {"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}
        ]
    else:
        try:
            # As FastAPI validates a body (a non-object is ``model_attributes_type``).
            return model.model_validate(body, from_attributes=True)
        except ValidationError as exc:
            errors = [
                {**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)
            ]
    first()
    raise RequestValidationError(errors)


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """The ``openapi_extra`` of a route that validates ``model`` late: its request body as
    FastAPI shows a body model (``spec.install`` adds the model's schemas)."""
    _MODELS[model.__name__] = model
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"content": {"application/json": {"schema": ref}}, "required": True}}


def body_schemas() -> dict[str, Any]:
    """The component schemas of the models ``openapi_body`` showed, made by FastAPI as for a
    body parameter (its schemas differ from pydantic's own in details, such as an ``Any``
    field's default), so the spec reads as if FastAPI had validated them."""
    app = FastAPI()
    for name, model in _MODELS.items():
        app.add_api_route(f"/{name}", _taking(model), methods=["PUT"])
    schemas: dict[str, Any] = app.openapi().get("components", {}).get("schemas", {})
    return schemas


def _taking(model: type[BaseModel]) -> Callable[..., Any]:
    async def endpoint(**_body: Any) -> None:
        """Never called: FastAPI reads only its signature."""

    body = inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=model)
    endpoint.__signature__ = inspect.Signature([body])  # type: ignore[attr-defined]
    return endpoint
