"""Thread-pool hops per request: each sync dependency or endpoint waits for a worker thread.

Trivial dependencies (settings, clock, store, role check, query checks) are ``async`` and run
on the event loop; only what touches the database or does real work takes a worker (the
token's user, the visit, the route itself). A phone's sync makes at most three hops, and no
route more than four (issue 15: nine hops cost 1.5-2.1 ms a request).
"""

import inspect
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from tests.fixtures.routes import api_path

API_PREFIX = api_path("read_me").rsplit("/", 1)[0]


def _on_loop(call: Callable[..., Any]) -> bool:
    target = call if inspect.isroutine(call) else type(call).__call__
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


def _hops_of(call: Callable[..., Any]) -> int:
    if _on_loop(call):
        return 0
    target = call if inspect.isroutine(call) else type(call).__call__
    return 2 if inspect.isgeneratorfunction(target) else 1  # enter and exit


def hops(dependant: Dependant, seen: set[Any] | None = None) -> list[str]:
    """The worker-thread hops one request to ``dependant`` makes, named (cached deps once)."""
    seen = set() if seen is None else seen
    found: list[str] = []
    for sub in dependant.dependencies:
        if sub.call is None or sub.call in seen or inspect.isclass(sub.call):
            continue
        seen.add(sub.call)
        found += hops(sub, seen)
        found += [getattr(sub.call, "__name__", type(sub.call).__name__)] * _hops_of(sub.call)
    return found


def route_hops(app: FastAPI) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None or not str(route.path).startswith(API_PREFIX):
            continue
        assert route.endpoint is not None
        endpoint = [] if _on_loop(route.endpoint) else ["endpoint"]
        table[str(route.name)] = hops(dependant) + endpoint
    return table


def test_a_sync_makes_at_most_three_hops(app: FastAPI) -> None:
    table = route_hops(app)
    # The route reads the visit itself, once and under its lock, with the token's user in
    # the same statement: no VisitDep hop and no CurrentUser hop.
    assert table["sync_answers"] == ["endpoint"]
    # So do the direct upload's tickets and completion.
    for route in ("start_upload", "start_uploads", "complete_uploads"):
        assert table[route] == ["endpoint"], route
    assert len(table["upload_photo"]) <= 3


def test_no_route_makes_more_than_four_hops(app: FastAPI) -> None:
    table = route_hops(app)
    assert len(table) > 40  # the walk found the API's routes
    over = {name: found for name, found in table.items() if len(found) > 4}
    assert over == {}


def test_the_count_sees_sync_dependencies() -> None:
    def sync_dep() -> int:
        return 1

    async def async_dep() -> int:
        return 1

    def sync_gen() -> Any:
        yield 1

    assert [_hops_of(f) for f in (sync_dep, async_dep, sync_gen)] == [1, 0, 2]
