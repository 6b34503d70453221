"""The console's own routes: sign-in, sign-out, language, the start page; and ``install``.

Sign-in is the API's: ``auth.sessions.login`` (the same credential check and failed-login
limits as ``POST /auth/token``) then ``start_session`` (a refresh family that sign-out
revokes). The console's routes are left out of the OpenAPI document: they are pages.
"""

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from service import languages
from service.auth import repository as auth_repository
from service.auth import sessions
from service.auth.deps import ClientAddress, ThrottleDep
from service.auth.roles import STAFF_ROLES, Role
from service.auth.security import decode_token
from service.console import (
    routes_accounts,
    routes_assign,
    routes_dashboard,
    routes_offices,
    routes_reports,
    routes_visits,
)
from service.console import session as console_session
from service.console.deps import (
    CheckedForm,
    CleanUrl,
    ConsoleDep,
    ConsoleForbidden,
    ConsoleNotFound,
    ConsolePageError,
    ConsoleProblem,
    ConsoleRefused,
    CsrfRefused,
    SignedIn,
    SignInRequired,
)
from service.console.pages import PAGE_HEADERS, page, redirect, render, safe_next
from service.db import SessionDep
from service.errors import InvalidCredentials, ServiceError, TooManyRequests
from service.visits import repository_lists as visits_lists
from service.visits import service as visits_service

PREFIX = "/console"
STATIC = f"{PREFIX}/static"

# The prefix is given at inclusion (see service.api.API_PREFIX for why).
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse, name="console_home")
def console_home(session: SessionDep, console: SignedIn) -> Response:
    """Send each role to its screen; shoppers see their visits and are sent to the app."""
    assert console.user is not None
    if console.user.role in STAFF_ROLES:
        return routes_dashboard.dashboard(session, console, wave=None)
    if console.user.role == Role.analyst:
        return redirect(console, f"{PREFIX}/reports/services")
    rows, _ = visits_lists.list_visits(
        session, console.user, visits_lists.VisitFilters(), limit=100, offset=0
    )
    visits = visits_service.page_public(session, rows, console.user)
    return page(console, "shopper.html", {"visits": visits})


@router.get("/signin", response_class=HTMLResponse, name="console_signin_form")
def console_signin_form(
    console: ConsoleDep,
    next_: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
    expired: bool = False,
) -> Response:
    """The sign-in form (it also gives a new visitor the session cookie with its token)."""
    if console.user is not None:
        return redirect(console, safe_next(next_))
    return page(console, "signin.html", {"next": safe_next(next_), "expired": expired})


@router.post("/signin", response_class=HTMLResponse, name="console_signin")
def console_signin(
    session: SessionDep,
    console: ConsoleDep,
    form: CheckedForm,
    throttle: ThrottleDep,
    address: ClientAddress,
) -> Response:
    """Check the e-mail and password as the API's login does, then start a session."""
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    try:
        user = sessions.login(
            session, throttle, email=email, password=password, address=address, now=console.now
        )
    except (InvalidCredentials, TooManyRequests) as exc:
        code = status.HTTP_429_TOO_MANY_REQUESTS if isinstance(exc, TooManyRequests) else 401
        context = {"next": target, "email": email, "failed": exc.code}
        return page(console, "signin.html", context, status_code=code)
    auth = console.settings.auth
    pair = sessions.start_session(
        session,
        user,
        secret=console.secret,
        now=console.now,
        access_minutes=auth.access_token_minutes,
        refresh_days=auth.refresh_token_days,
    )
    claims = decode_token(
        pair.refresh_token, expected_type="refresh", secret=console.secret, now=console.now
    )
    assert claims.family is not None
    console.state = console_session.signed_in(
        console.now, user_id=user.id, family_id=claims.family, version=user.token_version
    )
    return redirect(console, target)


@router.post("/signout", name="console_signout")
def console_signout(session: SessionDep, console: SignedIn, _form: CheckedForm) -> Response:
    """End the sign-in for good (its refresh family is revoked), then show the form."""
    assert console.state.family_id is not None
    auth_repository.revoke_family(
        session, console.state.family_id, now=console.now, reason="logout"
    )
    console.state = console_session.anonymous(console.now)
    return redirect(console, f"{PREFIX}/signin")


@router.post("/language", name="console_language")
def console_language(console: ConsoleDep, form: CheckedForm) -> Response:
    """Switch the console's language; the browser remembers it."""
    console.language = languages.language_of(str(form.get("lang", "")))
    console.cookies[console_session.LANGUAGE_COOKIE] = console.language
    return redirect(console, safe_next(str(form.get("next", ""))))


router.include_router(routes_visits.router)
router.include_router(routes_reports.router)
router.include_router(routes_dashboard.router)
router.include_router(routes_assign.router)
router.include_router(routes_accounts.router)
router.include_router(routes_offices.router)


# Which page answers which error, and with which status.
ERROR_PAGES: dict[type[ConsolePageError], tuple[str, int]] = {
    ConsoleForbidden: ("forbidden.html", status.HTTP_403_FORBIDDEN),
    CsrfRefused: ("csrf.html", status.HTTP_403_FORBIDDEN),
    ConsoleNotFound: ("not_found.html", status.HTTP_404_NOT_FOUND),
}


Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def _as_page(problem: Handler) -> Handler:
    """The app's problem handler, answering a console path with a page of the same status.

    A hand-edited console URL (an unknown region, ``to`` before ``from``) or a missing page
    gets a page in the visitor's language rather than a problem+json body.
    """

    async def handler(request: Request, exc: Any) -> Response:
        answer = problem(request, exc)
        response = await answer if inspect.isawaitable(answer) else answer
        if not request.url.path.startswith(f"{PREFIX}/") or request.url.path.startswith(STATIC):
            return response
        code = response.status_code
        template = "not_found.html" if code == status.HTTP_404_NOT_FOUND else "problem.html"
        body = render(template, _language(request), {"user": None})
        return HTMLResponse(body, status_code=code, headers=PAGE_HEADERS)

    return handler


def _language(request: Request) -> str:
    return languages.language_of(request.cookies.get(console_session.LANGUAGE_COOKIE))


def install(app: FastAPI) -> None:
    """Serve the console under /console/ with its static files and its error pages."""
    app.include_router(router, prefix=PREFIX)
    app.mount(STATIC, StaticFiles(packages=[("service.console", "static")]), name="console_static")

    async def sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        # After signing in, a page is opened again; a form's target would only answer 405.
        # A shared link (filters in its query) opens as it was sent, once signed in.
        back = str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
        query = {"next": safe_next(back if request.method == "GET" else None)}
        if exc.timed_out:
            query["expired"] = "1"
        target = f"{PREFIX}/signin?{urlencode(query)}"
        response = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
        # The timed-out session is dropped at once, not only when the form is shown.
        response.delete_cookie(console_session.COOKIE, path=PREFIX)
        return response

    async def error_page(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ConsolePageError)
        template, code = ERROR_PAGES[type(exc)]
        if exc.console is not None:
            return page(exc.console, template, status_code=code)
        body = render(template, _language(request), {"user": None})
        return HTMLResponse(body, status_code=code)

    async def problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ConsoleProblem)
        return redirect(exc.console, exc.url, problem=exc.code)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ConsoleRefused)
        return exc.response

    async def clean(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CleanUrl)
        return RedirectResponse(exc.url, status_code=status.HTTP_303_SEE_OTHER)

    for kind in (ServiceError, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(kind, _as_page(app.exception_handlers[kind]))
    app.add_exception_handler(SignInRequired, sign_in)
    app.add_exception_handler(ConsolePageError, error_page)
    app.add_exception_handler(ConsoleProblem, problem)
    app.add_exception_handler(ConsoleRefused, refused)
    app.add_exception_handler(CleanUrl, clean)
