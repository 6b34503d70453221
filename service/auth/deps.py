"""Who is calling, and may they: authentication and role checks as dependencies."""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from service.auth import service as auth_service
from service.auth.models import User
from service.auth.roles import Role
from service.clock import ClockDep
from service.config import Settings
from service.db import SessionDep
from service.deps import SettingsDep
from service.errors import Forbidden, NotAuthenticated

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

BEARER = {"WWW-Authenticate": "Bearer"}


def secret_key(settings: Settings) -> str:
    return settings.auth.secret_key.get_secret_value()


def get_current_user(
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    if not token:
        raise NotAuthenticated(
            "Send an access token: Authorization: Bearer <token>.", headers=BEARER
        )
    try:
        return auth_service.user_from_token(
            session, token, expected_type="access", secret=secret_key(settings), now=clock()
        )
    except NotAuthenticated as exc:
        exc.headers.update(BEARER)
        raise


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: Role) -> Callable[[User], User]:
    """Build a dependency that lets through only users holding one of ``roles``."""
    allowed = frozenset(roles)

    def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            names = ", ".join(sorted(allowed))
            raise Forbidden(f"This action needs one of the roles: {names}.")
        return user

    return check


AdminUser = Annotated[User, Depends(require_role(Role.admin))]
StaffUser = Annotated[User, Depends(require_role(Role.admin, Role.coordinator))]
ShopperUser = Annotated[User, Depends(require_role(Role.shopper))]
