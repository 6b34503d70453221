"""One rule for every route under /api/v1: a query parameter the route does not declare is 422.

FastAPI ignores undeclared query parameters, so a typo (`?emial=`, `?stauts=`) silently widens
a list to everything. The check runs as a router-level dependency, so no route opts in or out
and the OpenAPI document is unchanged apart from the 422 each operation declares.
"""

from typing import Any, ClassVar

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from service.error_codes import ErrorCode
from service.errors import ValidationFailed


class UnknownQueryParameter(ValidationFailed):
    code: ClassVar[ErrorCode] = "query-parameter-unknown"
    title = "Unknown query parameter"


# Route objects are module-level and live as long as the process; keyed by id, holding the
# route itself so an id can never be reused by another object while its entry exists.
_declared_by_route: dict[int, tuple[APIRoute, frozenset[str]]] = {}


def _model_of(annotation: Any) -> type[BaseModel] | None:
    # A query-parameter model (`Annotated[Filters, Query()]`) declares its fields' names.
    candidates = getattr(annotation, "__args__", None) or (annotation,)
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def declared_query_names(dependant: Dependant) -> frozenset[str]:
    """The query parameter names a route accepts, through all its sub-dependencies."""
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        for field in current.query_params:
            model = _model_of(field.field_info.annotation)
            if model is None:
                names.add(field.alias)
            else:
                names.update(f.alias or name for name, f in model.model_fields.items())
        pending.extend(current.dependencies)
    return frozenset(names)


def _declared(route: APIRoute) -> frozenset[str]:
    cached = _declared_by_route.get(id(route))
    if cached is not None and cached[0] is route:
        return cached[1]
    names = declared_query_names(route.dependant)
    _declared_by_route[id(route)] = (route, names)
    return names


async def reject_unknown_query_parameters(request: Request) -> None:
    """Refuse the request when its query string names a parameter the route does not declare.

    Raises:
        UnknownQueryParameter: one entry in ``errors`` per unknown name.
    """
    if not request.query_params:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    declared = _declared(route)
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in declared]
    if not unknown:
        return
    accepted = ", ".join(sorted(declared)) or "none"
    raise UnknownQueryParameter(
        f"Unknown query parameter {', '.join(unknown)}; this operation accepts: {accepted}.",
        errors=[
            {
                "loc": ["query", name],
                "msg": f"unknown query parameter; accepted: {accepted}",
                "type": "query-parameter-unknown",
            }
            for name in unknown
        ],
    )
