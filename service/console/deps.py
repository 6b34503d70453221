"""Who is using the console, in which language, and may they: dependencies of its routes.

The session comes from the cookie (``session.py``); the account is checked on every request
as an API token would be: still there, active, the same token version (a password change
signs out), and its sign-in not ended (logout revokes the refresh family). Past the idle
timeout the session is dropped and the visitor sent to sign in again.
"""

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from service import languages
from service.auth import repository as auth_repository
from service.auth.models import User
from service.auth.roles import STAFF_ROLES, Role
from service.clock import ClockDep
from service.config import Settings
from service.console import i18n
from service.console import session as console_session
from service.console.session import ConsoleSession
from service.db import SessionDep
from service.deps import SettingsDep


@dataclass(frozen=True)
class Viewer:
    """What pages show of the signed-in account, read once: an error page is rendered after
    the request's transaction rolled back, when the account's row can no longer be read."""

    id: uuid.UUID
    role: Role
    full_name: str


@dataclass
class Console:
    """One request of the console: its session, user, language and clock."""

    request: Request
    settings: Settings
    state: ConsoleSession
    now: dt.datetime
    language: str
    user: User | None = None
    timed_out: bool = False
    # Cookies a route decided to set (a sign-in, a language), written with the response.
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def viewer(self) -> Viewer | None:
        return self._viewer

    def __post_init__(self) -> None:
        user = self.user
        self._viewer = None if user is None else Viewer(user.id, Role(user.role), user.full_name)

    @property
    def secret(self) -> str:
        return self.settings.auth.secret_key.get_secret_value()

    def gettext(self, message: str) -> str:
        return i18n.translations(self.language).gettext(message)


def _account(session: SessionDep, state: ConsoleSession, now: dt.datetime) -> User | None:
    assert state.user_id is not None
    assert state.family_id is not None
    user = auth_repository.get_by_id(session, state.user_id)
    if user is None or not user.is_active or user.token_version != state.version:
        return None
    family = auth_repository.get_family(session, state.family_id)
    if family is None or family.user_id != user.id or family.revoked_at is not None:
        return None
    return user if family.expires_at > now else None


def get_console(
    request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Console:
    now = clock()
    secret = settings.auth.secret_key.get_secret_value()
    state = console_session.decode(request.cookies.get(console_session.COOKIE), secret)
    language = languages.language_of(request.cookies.get(console_session.LANGUAGE_COOKIE))
    if state is None:
        return Console(request, settings, console_session.anonymous(now), now, language)
    if not state.signed_in:
        return Console(request, settings, state.touched(now), now, language)
    if state.idle(now, settings.console.idle_minutes):
        fresh = console_session.anonymous(now)
        return Console(request, settings, fresh, now, language, timed_out=True)
    user = _account(session, state, now)
    if user is None:
        return Console(request, settings, console_session.anonymous(now), now, language)
    return Console(request, settings, state.touched(now), now, language, user=user)


ConsoleDep = Annotated[Console, Depends(get_console)]


class SignInRequired(Exception):
    """Nobody is signed in (or the session timed out): the visitor goes to the sign-in form."""

    def __init__(self, *, timed_out: bool = False) -> None:
        super().__init__("sign in")
        self.timed_out = timed_out


class ConsolePageError(Exception):
    """Answered with an error page of the console, in the visitor's language."""

    def __init__(self, console: Console | None) -> None:
        super().__init__(type(self).__name__)
        self.console = console


class ConsoleForbidden(ConsolePageError):
    """The signed-in role may not open this page: a 403 page."""


class CsrfRefused(ConsolePageError):
    """A form came without the session's CSRF token: a 403 page, nothing done."""


class ConsoleNotFound(ConsolePageError):
    """No such visit or photo for this user: a 404 page."""


class ConsoleProblem(Exception):
    """A service refused an action: back to ``url`` with the problem's code shown.

    Raised, never returned, so the request's transaction rolls back like the API's would.
    """

    def __init__(self, console: Console, url: str, code: str) -> None:
        super().__init__(code)
        self.console, self.url, self.code = console, url, code


class ConsoleRefused(Exception):
    """A form a service refused, shown again with what was wrong (``response``, a page).

    Raised, never returned, so the request's transaction rolls back like the API's would.
    """

    def __init__(self, response: Response) -> None:
        super().__init__("refused")
        self.response = response


class CleanUrl(Exception):
    """A filter form sent empty fields: the same page at the URL without them."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


async def clean_query(request: Request) -> None:
    """Redirect a query with empty values (a GET form's blank fields) to one without them.

    The filters then read as the API's do, and the URL a user shares names only what is set.
    """
    params = request.query_params.multi_items()
    kept = [(name, value) for name, value in params if value.strip()]
    if len(kept) != len(params):
        query = urlencode(kept)
        raise CleanUrl(request.url.path + (f"?{query}" if query else ""))


CleanQuery = Depends(clean_query)


async def signed_in(console: ConsoleDep) -> Console:
    if console.user is None:
        raise SignInRequired(timed_out=console.timed_out)
    return console


SignedIn = Annotated[Console, Depends(signed_in)]


def require_roles(*roles: Role) -> Callable[[Console], Awaitable[Console]]:
    """A dependency letting through only consoles signed in with one of ``roles``."""
    allowed = frozenset(roles)

    async def check(console: SignedIn) -> Console:
        assert console.user is not None
        if console.user.role not in allowed:
            raise ConsoleForbidden(console)
        return console

    return check


StaffConsole = Annotated[Console, Depends(require_roles(*STAFF_ROLES))]
# Who reads reports through the API (reports/deps.py ReportUser) reads them here.
ReportConsole = Annotated[
    Console, Depends(require_roles(Role.admin, Role.coordinator, Role.analyst))
]


async def checked_form(request: Request, console: ConsoleDep) -> AsyncIterator[FormData]:
    """The posted form, once its CSRF token is the session's; CsrfRefused otherwise.

    Its uploaded files (a wave's CSV) are closed once the request is answered.
    """
    async with request.form() as form:
        if not console_session.csrf_matches(console.state, form.get(console_session.CSRF_FIELD)):
            raise CsrfRefused(console)
        yield form


CheckedForm = Annotated[FormData, Depends(checked_form)]
