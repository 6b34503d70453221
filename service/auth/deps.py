"""Who is calling, and may they: authentication and role checks as dependencies."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from service.auth import sessions
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


def _present(token: str | None) -> str:
    if not token:
        raise NotAuthenticated("Send an access token: Authorization: Bearer <token>.")
    return token


def get_current_user(
    session: SessionDep,
    clock: ClockDep,
    auth: AuthSettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    try:
        return sessions.user_from_token(
            session, _present(token), expected_type="access", secret=secret_key(auth), now=clock()
        )
    except NotAuthenticated as exc:
        exc.headers.update(BEARER)
        raise


CurrentUser = Annotated[User, Depends(get_current_user)]


def _check_role(user: User, allowed: frozenset[Role]) -> User:
    if user.role not in allowed:
        names = ", ".join(sorted(allowed))
        raise Forbidden(f"This action needs one of the roles: {names}.")
    return user


def require_role(*roles: Role) -> Callable[[User], Awaitable[User]]:
    """Build a dependency that lets through only users holding one of ``roles``."""
    allowed = frozenset(roles)

    async def check(user: CurrentUser) -> User:
        return _check_role(user, allowed)

    return check


class CallerOnRouteThread:
    """A caller whose access token is checked on the event loop (signature, type, expiry)
    and whose account is read, and role checked, by ``user()`` on the route's own thread.

    ``CurrentUser`` reads the account on a worker thread of its own before the route's
    thread starts: for the answer sync, the hottest route, that hand-off and the dependency
    steps around it cost 0.5 ms of a request's 8 ms of server CPU (bench/sync.py on
    PostgreSQL, the two routes side by side in one server). The checks and their answers are
    ``CurrentUser``'s and ``require_role``'s; a route taking this calls ``user()`` before
    anything else.
    """

    __slots__ = ("_allowed", "_claims", "_session", "_user")

    def __init__(self, session: Session, claims: TokenClaims, allowed: frozenset[Role]) -> None:
        self._session = session
        self._claims = claims
        self._allowed = allowed
        self._user: User | None = None

    def user(self) -> User:
        """The caller's account, active and holding one of the route's roles, or a 401/403."""
        if self._user is None:
            try:
                found = sessions.user_of(self._session, self._claims)
            except NotAuthenticated as exc:
                exc.headers.update(BEARER)
                raise
            self._user = _check_role(found, self._allowed)
        return self._user


def caller_on_route_thread(*roles: Role) -> Callable[..., Awaitable[CallerOnRouteThread]]:
    """Build a dependency for a synchronous route whose caller must hold one of ``roles``,
    checked as ``require_role`` does, the account read on the route's thread."""
    allowed = frozenset(roles)

    async def check_token(
        session: SessionDep,
        clock: ClockDep,
        auth: AuthSettingsDep,
        token: Annotated[str | None, Depends(oauth2_scheme)],
    ) -> CallerOnRouteThread:
        try:
            claims = decode_token(
                _present(token), expected_type="access", secret=secret_key(auth), now=clock()
            )
        except NotAuthenticated as exc:
            exc.headers.update(BEARER)
            raise
        return CallerOnRouteThread(session, claims, allowed)

    return check_token


AdminUser = Annotated[User, Depends(require_role(Role.admin))]
StaffUser = Annotated[User, Depends(require_role(Role.admin, Role.coordinator))]
ShopperUser = Annotated[User, Depends(require_role(Role.shopper))]
ShopperOnRouteThread = Annotated[CallerOnRouteThread, Depends(caller_on_route_thread(Role.shopper))]

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
