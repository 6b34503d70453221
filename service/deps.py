"""Typed dependencies on what the app factory built: settings, object store, login throttle.

Each reads ``request.app.state`` once, here; routers and services take the typed aliases.
The engine's dependency is ``db.EngineDep`` and the clock's ``clock.ClockDep``.
"""

from typing import Annotated

from fastapi import Depends, Request

from service.auth.throttle import LoginThrottle
from service.config import Settings
from service.storage.objects import ObjectStore

__all__ = ["SettingsDep", "StoreDep", "ThrottleDep"]


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> ObjectStore:
    store: ObjectStore = request.app.state.store
    return store


def get_login_throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
StoreDep = Annotated[ObjectStore, Depends(get_store)]
ThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]
