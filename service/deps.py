"""Typed dependencies on what the app factory built: settings, store, start-up jobs, throttle.

Each reads ``request.app.state`` once, here; routers and services take the typed aliases.
The engine's dependency is ``db.EngineDep`` and the clock's ``clock.ClockDep``. A domain's
own state (the login throttle of ``auth``) is read through ``state_dependency`` so that this
root module never imports the domain back (tests/test_imports.py).
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from service.config import Settings
from service.startup import StartupJob
from service.storage.objects import ObjectStore

__all__ = ["JobsDep", "SettingsDep", "StoreDep", "state_dependency"]

T = TypeVar("T")


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> ObjectStore:
    store: ObjectStore = request.app.state.store
    return store


async def get_jobs(request: Request) -> tuple[StartupJob, ...]:
    jobs: tuple[StartupJob, ...] = request.app.state.jobs
    return jobs


def state_dependency(name: str, kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency returning ``app.state.<name>``, checked to be a ``kind``.

    Raises (when called):
        TypeError: the app factory set something else under ``name``.
    """

    async def read(request: Request) -> T:
        value = getattr(request.app.state, name)
        if not isinstance(value, kind):
            raise TypeError(f"app.state.{name} is a {type(value).__name__}, not {kind.__name__}")
        return value

    read.__name__ = f"get_{name}"
    return read


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
StoreDep = Annotated[ObjectStore, Depends(get_store)]
JobsDep = Annotated[tuple[StartupJob, ...], Depends(get_jobs)]
