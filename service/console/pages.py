"""Rendering console pages: one Jinja2 environment, the language's catalogue, the cookies.

Every console response goes out through ``page`` or ``redirect``, which write the session
cookie back (renewed: the idle timeout counts from the last request) with its flags:
``HttpOnly``, ``SameSite=Lax``, and ``Secure`` unless the console is served in local mode
(plain HTTP to a loopback address, where a browser would not send a Secure cookie back).
"""

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from service.console import i18n, labels
from service.console import session as console_session
from service.console.deps import Console
from service.languages import LANGUAGE_NAMES
from service.offices.regions import region_names
from service.standards import service as standards_service

TEMPLATES = Path(__file__).parent / "templates"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
# Pages show who is signed in and carry form tokens: never cached, never framed.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)


def local_mode(request: Request) -> bool:
    """Plain HTTP to this machine: the developer's and the tests' console."""
    return request.url.scheme == "http" and (request.url.hostname or "") in LOOPBACK_HOSTS


def _write_cookies(console: Console, response: Response) -> None:
    secure = not local_mode(console.request)
    response.set_cookie(
        console_session.COOKIE,
        console_session.encode(console.state, console.secret),
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/console",
    )
    for name, value in console.cookies.items():
        response.set_cookie(
            name,
            value,
            max_age=console.settings.console.language_cookie_days * 86400,
            httponly=True,
            secure=secure,
            samesite="lax",
            path="/console",
        )


def localized(obj: object, name: str, language: str) -> str:
    """A checklist text in ``language`` (``text_kk``, ``title_en``...), else in Russian."""
    text = getattr(obj, f"{name}_{language}", None) or getattr(obj, f"{name}_ru", None)
    return str(text or "")


def with_query(path: str, query: dict[str, str], **changes: object) -> str:
    """``path`` with ``query`` and ``changes`` applied (None removes a parameter)."""
    merged: dict[str, object] = {**query, **changes}
    kept = {k: str(v) for k, v in merged.items() if v is not None and v != ""}
    return f"{path}?{urlencode(kept)}" if kept else path


def render(template: str, language: str, context: dict[str, Any]) -> str:
    translations = i18n.translations(language)
    return environment.get_template(template).render(
        context,
        gettext=translations.gettext,
        ngettext=translations.ngettext,
        _=translations.gettext,
        label=lambda names, value: translations.gettext(
            labels.label(getattr(labels, names), value)
        ),
        loc=lambda obj, name: localized(obj, name, language),
        region_names=region_names(language),
        # A catalogue name (``standards.service.Names``) in the page's language, else ``fallback``.
        in_language=lambda names, fallback: names.in_language(language) if names else fallback,
        standard_name=lambda row: standards_service.names_of(row).in_language(language),
        with_query=with_query,
        lang=language,
        languages=LANGUAGE_NAMES,
        fmt_datetime=lambda moment: i18n.local_datetime(moment, language),
        fmt_day=lambda day: i18n.local_day(day, language),
        fmt_number=lambda value, digits=2: i18n.number(value, language, digits),
    )


def page(
    console: Console,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """Render ``template`` for this console's user, language and form token."""
    body = render(
        template,
        console.language,
        {
            "user": console.viewer,
            "csrf_field": console_session.CSRF_FIELD,
            "csrf_token": console.state.csrf,
            "here": console.request.url.path
            + (f"?{console.request.url.query}" if console.request.url.query else ""),
            **(context or {}),
        },
    )
    response = HTMLResponse(body, status_code=status_code, headers=PAGE_HEADERS)
    _write_cookies(console, response)
    return response


def redirect(console: Console, url: str, **query: str) -> RedirectResponse:
    """303 to ``url`` (a console path), with the session cookie renewed."""
    target = f"{url}?{urlencode(query)}" if query else url
    response = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
    _write_cookies(console, response)
    return response


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path only, never another site."""
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return "/console/"
