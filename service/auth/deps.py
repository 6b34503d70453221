"""Who is calling, and may they: authentication and role checks as dependencies."""

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from service.auth import callers
from service.auth.models import User
from service.auth.roles import Role
from service.auth.security import TokenClaims, decode_token
from service.auth.throttle import LoginThrottle
from service.clock import ClockDep
from service.config import AuthSettings
from service.db import SessionDep
from service.deps import SettingsDep, state_dependency
from service.errors import (
    Forbidden,
    InvalidToken,
    NotAuthenticated,
    ServiceError,
    ServiceUnavailable,
    TokenExpired,
)

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

_ANY_ROLE = frozenset(Role)


def secret_key(auth: AuthSettings) -> str:
    return auth.secret_key.get_secret_value()


async def get_auth_settings(settings: SettingsDep) -> AuthSettings:
    # Through SettingsDep: only service/deps.py reads the app's state.
    return settings.auth


# The throttle the app factory built; read by service/deps.py, the one reader of app state.
get_login_throttle = state_dependency("login_throttle", LoginThrottle)


async def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


AuthSettingsDep = Annotated[AuthSettings, Depends(get_auth_settings)]
ThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]
ClientAddress = Annotated[str, Depends(client_address)]


def _access_claims(token: str | None, auth: AuthSettings, now: dt.datetime) -> TokenClaims:
    if not token:
        raise NotAuthenticated(
            "Send an access token: Authorization: Bearer <token>.", headers=callers.BEARER
        )
    try:
        return decode_token(token, expected_type="access", secret=secret_key(auth), now=now)
    except NotAuthenticated as exc:
        exc.headers.update(callers.BEARER)
        raise


def get_current_user(
    session: SessionDep,
    clock: ClockDep,
    auth: AuthSettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    claims = _access_claims(token, auth, clock())
    return callers.Caller(claims, _ANY_ROLE).read(session)


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """Build a dependency that lets through only users holding one of ``roles``."""
    allowed = frozenset(roles)

    async def check(user: CurrentUser) -> User:
        return callers.check_role(user, allowed)

    return check


def require_caller(*roles: Role) -> Callable[..., Awaitable[callers.Caller]]:
    """Build a dependency that checks the access token on the event loop and leaves its user
    to the route's first statement, which must pass what it reads to ``Caller.check``.

    For routes that start by reading their visit anyway (answer sync, direct uploads): no
    statement and no worker thread of its own. A token that is missing, malformed, of
    another type or expired is refused here, as by ``CurrentUser``.
    """
    allowed = frozenset(roles)

    async def caller(
        clock: ClockDep,
        auth: AuthSettingsDep,
        token: Annotated[str | None, Depends(oauth2_scheme)],
    ) -> callers.Caller:
        return callers.Caller(_access_claims(token, auth, clock()), allowed)

    return caller


AdminUser = Annotated[User, Depends(require_role(Role.admin))]
StaffUser = Annotated[User, Depends(require_role(Role.admin, Role.coordinator))]
ShopperUser = Annotated[User, Depends(require_role(Role.shopper))]
ShopperCaller = Annotated[callers.Caller, Depends(require_caller(Role.shopper))]

# What the dependencies above answer, for the ``responses=`` of the routes that use them.
# Finding the user takes a pooled connection: 503 when none frees up within the pool timeout.
AUTHENTICATED: tuple[type[ServiceError], ...] = (
    NotAuthenticated,
    InvalidToken,
    TokenExpired,
    callers.UserInactive,
    ServiceUnavailable,
)
ROLE_CHECKED: tuple[type[ServiceError], ...] = (*AUTHENTICATED, Forbidden)
