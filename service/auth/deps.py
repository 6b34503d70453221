"""Who is calling, and may they: authentication and role checks as dependencies."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from service.auth import sessions
from service.auth.models import User
from service.auth.roles import Role
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

BEARER = {"WWW-Authenticate": "Bearer"}


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


def get_current_user(
    session: SessionDep,
    clock: ClockDep,
    auth: AuthSettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    if not token:
        raise NotAuthenticated(
            "Send an access token: Authorization: Bearer <token>.", headers=BEARER
        )
    try:
        return sessions.user_from_token(
            session, token, expected_type="access", secret=secret_key(auth), now=clock()
        )
    except NotAuthenticated as exc:
        exc.headers.update(BEARER)
        raise


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """Build a dependency that lets through only users holding one of ``roles``."""
    allowed = frozenset(roles)

    async def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            names = ", ".join(sorted(allowed))
            raise Forbidden(f"This action needs one of the roles: {names}.")
        return user

    return check


AdminUser = Annotated[User, Depends(require_role(Role.admin))]
StaffUser = Annotated[User, Depends(require_role(Role.admin, Role.coordinator))]
ShopperUser = Annotated[User, Depends(require_role(Role.shopper))]

# What the dependencies above answer, for the ``responses=`` of the routes that use them.
# Finding the user takes a pooled connection: 503 when none frees up within the pool timeout.
AUTHENTICATED: tuple[type[ServiceError], ...] = (
    NotAuthenticated,
    InvalidToken,
    TokenExpired,
    sessions.UserInactive,
    ServiceUnavailable,
)
ROLE_CHECKED: tuple[type[ServiceError], ...] = (*AUTHENTICATED, Forbidden)
