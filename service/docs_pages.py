"""The human-facing pages: Swagger UI, ReDoc and a start page, all served without internet.

FastAPI's own /docs and /redoc load their scripts from a CDN, so on a network without one
they are blank. The scripts come instead from the ``fastapi-offline`` package (Swagger UI 5
for OpenAPI 3.1, ReDoc 2), mounted as static files; only its files are used, the app stays ours.
"""

import html
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles

from service.languages import LANGUAGE_NAMES, LANGUAGES, Language, chosen
from service.start_texts import START_TEXTS

STATIC_URL = "/static/docs"
CONSOLE_URL = "/console/"
TOKEN_URL = "/api/v1/auth/token"
# The pages may load from this server only. ReDoc 2 shows Redocly's logo from its CDN whatever
# the options; the policy stops that and any future third-party request before it leaves the
# browser (no hang offline, nothing told to a third party about who reads the docs).
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'self'"
)
START_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'"
# Swagger UI asks validator.swagger.io for a badge unless the host is loopback: not offline.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}


def assets_dir() -> Path:
    """The folder of Swagger UI and ReDoc files shipped in the ``fastapi-offline`` wheel."""
    return Path(str(files("fastapi_offline") / "static"))


def _has_console(app: FastAPI) -> bool:
    # Link the web console only when something answers there (an app built without it).
    # Routes of included routers are nested: walk them all, as RequestGuard does.
    console = CONSOLE_URL.rstrip("/")
    return any(route.path in (console, CONSOLE_URL) for route in iter_route_contexts(app.routes))


def start_page(app: FastAPI, root: str, base_url: str, language: Language) -> str:
    """The start page's HTML in ``language``: what this is and where to go, with no external
    assets, and links to itself in the other languages.

    ``base_url`` (this server as the client reached it) only fills in the sign-in example.
    """
    said = START_TEXTS[language]
    openapi_url = f"{root}{app.openapi_url}"
    if _has_console(app):
        console = f'<a href="{root}{CONSOLE_URL}">{said["console"]}</a>'
    else:
        console = f"{said['console']} (<code>{CONSOLE_URL}</code>): {said['console_missing']}"
    links = [
        f'<a href="{root}/docs">{said["docs"]}</a>',
        f'<a href="{root}/redoc">{said["redoc"]}</a>',
        f'<a href="{openapi_url}">{said["openapi"]}</a> (<code>{html.escape(openapi_url)}</code>)',
        f'<a href="{root}/healthz">{said["healthz"]}</a> (<code>/healthz</code>)',
        f'<a href="{root}/readyz">{said["readyz"]}</a>',
        console,
    ]
    items = "\n".join(f"<li>{link}</li>" for link in links)
    others = " · ".join(
        f'<a href="{root}/?lang={code}" hreflang="{code}" lang="{code}">{LANGUAGE_NAMES[code]}</a>'
        for code in LANGUAGES
        if code != language
    )
    docs = f'<a href="{root}/docs">{said["docs_link"]}</a>'
    title = html.escape(app.title)
    # The Host header is the client's to choose: escape it like any other input.
    token_url = html.escape(base_url.rstrip("/") + TOKEN_URL)
    return f"""<!doctype html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} {html.escape(app.version)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;
line-height:1.5}}code,pre{{background:#f3f3f3;padding:0 .2em}}pre{{padding:.5em;overflow-x:auto}}
</style>
</head>
<body>
<nav>{others}</nav>
<main>
<h1>{title}</h1>
<p>{said["intro"]}</p>
<ul>
{items}
</ul>
<h2>{said["sign_in"]}</h2>
<p>{said["token"].format(docs=docs)}</p>
<pre>curl -s -X POST {token_url} \\
  -d username=shopper1@demo.kz -d password=demo</pre>
<p>{said["bearer"]}</p>
</main>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """Serve /docs, its OAuth2 redirect, /redoc, their files under /static/docs, and /."""
    app.mount(STATIC_URL, StaticFiles(directory=assets_dir()), name="docs-static")
    openapi_path = app.openapi_url or "/openapi.json"
    redirect_path = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def read_swagger_ui(request: Request) -> HTMLResponse:
        """Answer Swagger UI over the app's OpenAPI document, its files served locally."""
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{openapi_path}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{redirect_path}",
            init_oauth=app.swagger_ui_init_oauth,
            swagger_js_url=f"{root}{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{STATIC_URL}/favicon.png",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS | (app.swagger_ui_parameters or {}),
        )
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        return page

    @app.get(redirect_path, include_in_schema=False)
    def read_swagger_ui_redirect() -> HTMLResponse:
        """Answer the page Swagger UI's OAuth2 flows come back to."""
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def read_redoc(request: Request) -> HTMLResponse:
        """Answer ReDoc over the app's OpenAPI document, with no web fonts or CDN."""
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{openapi_path}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{STATIC_URL}/favicon.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = DOCS_POLICY
        return page

    @app.get("/", include_in_schema=False)
    def read_start_page(request: Request) -> HTMLResponse:
        """Answer a small page saying what this is and where the docs, probes and console are,
        in ``?lang=`` (ru, kk, en), else the Accept-Language header's choice, else Russian."""
        root = request.scope.get("root_path", "")
        language = chosen(request.query_params.get("lang"), request.headers.get("accept-language"))
        page = HTMLResponse(start_page(app, root, str(request.base_url), language))
        page.headers["Content-Security-Policy"] = START_POLICY
        page.headers["Content-Language"] = language
        page.headers["Vary"] = "Accept-Language"
        return page
