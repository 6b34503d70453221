"""/docs, /redoc and the start page: local files only, rendered offline by a real browser.

The browser tests drive the system's Chromium (Debian's ``chromium``; ``MSHOP_CHROMIUM`` names
another) through Playwright against the app served by uvicorn on loopback, with every request to
any other host aborted and recorded. They save screenshots to ``build/screenshots/``.
"""

import json
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, Request, Route, expect, sync_playwright
from pydantic import SecretStr
from sqlmodel import Session

from service.auth.roles import Role
from service.config import AuthSettings, DatabaseSettings, Settings, StorageSettings
from service.docs_pages import CONSOLE_URL, STATIC_URL, start_page
from service.main import create_app
from tests.conftest import SECRET
from tests.fixtures.db import migrated_engine
from tests.fixtures.routes import api_path
from tests.fixtures.server import running
from tests.fixtures.users import PASSWORD, make_user

SCREENSHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# ReDoc 2 always shows this logo; the page's content security policy refuses it.
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
START_LINKS = {"/docs", "/redoc", "/openapi.json", "/healthz", "/readyz", CONSOLE_URL}
# The start page's intro in each language, and its links to itself in the others.
INTROS = {
    "ru": "мониторинг государственных услуг Казахстана",
    "kk": "мемлекеттік қызметтерін",
    "en": "mystery-shopper monitoring",
}


def start_links(language: str) -> set[str]:
    return START_LINKS | {f"/?lang={other}" for other in INTROS if other != language}


RENDER_TIMEOUT_MS = 60_000


class _Assets(HTMLParser):
    """Every URL a page names: src/href attributes and the Swagger UI's spec `url:`."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "spec-url") and value is not None:
                self.urls.append(value)
            if tag == "html" and name == "lang":
                self.lang = value


def _parse(html: str) -> _Assets:
    parser = _Assets()
    parser.feed(html)
    return parser


def _operation_ids(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(tag, operationId) of every operation, once per tag as Swagger UI lists them."""
    return [
        (tag, operation["operationId"])
        for path_item in spec["paths"].values()
        for method, operation in path_item.items()
        if method in HTTP_METHODS
        for tag in operation.get("tags") or ["default"]
    ]


# --- without a browser ---------------------------------------------------------------------


class TestDocsPages:
    @pytest.mark.parametrize("path", ["/docs", "/redoc"])
    def test_page_names_only_local_urls(self, client: TestClient, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        urls = _parse(response.text).urls
        assert urls, "the page names its script"
        assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls
        assert "cdn" not in response.text
        assert "fonts.googleapis" not in response.text
        script = "swagger-ui-bundle.js" if path == "/docs" else "redoc.standalone.js"
        assert f"{STATIC_URL}/{script}" in urls

    def test_swagger_ui_loads_the_apps_openapi(self, client: TestClient, app: FastAPI) -> None:
        body = client.get("/docs").text
        assert f"url: '{app.openapi_url}'" in body
        assert "oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect'" in body

    @pytest.mark.parametrize("path", ["/docs", "/redoc"])
    def test_page_may_load_from_this_server_only(self, client: TestClient, path: str) -> None:
        policy = client.get(path).headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "img-src 'self' data:" in policy
        assert "http" not in policy

    def test_swagger_ui_asks_no_online_validator(self, client: TestClient) -> None:
        assert '"validatorUrl": null' in client.get("/docs").text

    def test_oauth2_redirect_page_is_served(self, client: TestClient) -> None:
        response = client.get("/docs/oauth2-redirect")
        assert response.status_code == 200
        assert "swaggerUIRedirectOauth2" in response.text

    @pytest.mark.parametrize(
        ("name", "content_type", "starts_with"),
        [
            ("swagger-ui-bundle.js", "text/javascript", b"/*! For license information"),
            ("swagger-ui.css", "text/css", b".swagger-ui"),
            ("redoc.standalone.js", "text/javascript", b"/*! For license information"),
            ("favicon.png", "image/png", b"\x89PNG"),
        ],
    )
    def test_static_file_is_served_with_its_type(
        self, client: TestClient, name: str, content_type: str, starts_with: bytes
    ) -> None:
        response = client.get(f"{STATIC_URL}/{name}")
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] == content_type
        assert response.content.startswith(starts_with)

    def test_swagger_ui_is_version_5(self, client: TestClient) -> None:
        # OpenAPI 3.1 (which the app publishes) needs Swagger UI 5 or later.
        bundle = client.get(f"{STATIC_URL}/swagger-ui-bundle.js").text
        assert 'PACKAGE_VERSION:"5.' in bundle

    def test_missing_static_file_is_a_problem(self, client: TestClient) -> None:
        response = client.get(f"{STATIC_URL}/nothing-here.js")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 404

    def test_pages_stay_out_of_the_schema(self, app: FastAPI) -> None:
        paths = app.openapi()["paths"]
        assert not {"/", "/docs", "/redoc", "/docs/oauth2-redirect"} & set(paths)


class TestStartPage:
    def test_links_docs_spec_and_probes(self, client: TestClient) -> None:
        response = client.get("/")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        page = _parse(response.text)
        # No Accept-Language: Russian, the programme's default.
        assert set(page.urls) == start_links("ru")
        assert page.lang == "ru"
        assert response.headers["content-language"] == "ru"
        assert response.headers["vary"] == "Accept-Language"
        assert "<title>mshop " in response.text
        assert INTROS["ru"] in response.text
        # Tiny and self-contained: nothing to fetch from anywhere.
        assert not {"script", "link", "img", "iframe"} & set(page.tags)
        assert response.headers["content-security-policy"].startswith("default-src 'none'")

    @pytest.mark.parametrize(
        ("query", "accept", "language"),
        [
            ("", "kk-KZ,kk;q=0.9,ru;q=0.8", "kk"),
            ("", "en-US,en;q=0.9", "en"),
            ("", "de;q=0.9,ru;q=0.5", "ru"),
            ("?lang=en", "kk", "en"),  # the switcher's link wins over the header
            ("?lang=kk", None, "kk"),
            ("?lang=xx", "en", "en"),  # an unknown one is ignored
        ],
    )
    def test_speaks_the_readers_language(
        self, client: TestClient, query: str, accept: str | None, language: str
    ) -> None:
        headers = {"Accept-Language": accept} if accept else {}
        response = client.get(f"/{query}", headers=headers)
        assert response.status_code == 200
        page = _parse(response.text)
        assert page.lang == language
        assert response.headers["content-language"] == language
        assert set(page.urls) == start_links(language)
        assert INTROS[language] in response.text
        assert [INTROS[o] in response.text for o in INTROS if o != language] == [False, False]
        assert f"curl -s -X POST http://127.0.0.1{api_path('login')}" in response.text

    def test_every_link_answers(self, client: TestClient) -> None:
        kinds = {
            "/docs": "text/html",
            "/redoc": "text/html",
            "/openapi.json": "application/json",
            "/healthz": "application/json",
            "/readyz": "application/json",
            # The console's start page sends a visitor to its sign-in form.
            CONSOLE_URL: "text/html",
            "/?lang=kk": "text/html",
            "/?lang=en": "text/html",
        }
        for url in _parse(client.get("/").text).urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.headers["content-type"].startswith(kinds[url]), url

    def test_console_is_linked(self, client: TestClient) -> None:
        body = client.get("/").text
        assert CONSOLE_URL in _parse(body).urls
        assert "not yet available" not in body
        assert "Вход" in client.get(CONSOLE_URL).text

    def test_console_is_marked_missing_in_an_app_without_it(self) -> None:
        body = start_page(FastAPI(), "", "http://127.0.0.1/", "en")
        assert f"<code>{CONSOLE_URL}</code>): coming, not yet available" in body
        russian = start_page(FastAPI(), "", "http://127.0.0.1/", "ru")
        assert f"<code>{CONSOLE_URL}</code>): скоро, пока недоступна" in russian
        assert CONSOLE_URL not in _parse(body).urls

    def test_gives_the_first_sign_in_step(self, client: TestClient) -> None:
        body = client.get("/").text
        assert (
            "curl -s -X POST http://127.0.0.1/api/v1/auth/token \\\n"
            "  -d username=shopper1@demo.kz -d password=demo"
        ) in body

    def test_escapes_the_host_it_echoes(self, app: FastAPI) -> None:
        # The base URL comes from the client's Host header.
        body = start_page(app, "", "http://x<script>/", "ru")
        assert "<script>" not in body
        assert "x&lt;script&gt;" in body


# --- in a real browser ---------------------------------------------------------------------


def _chromium_path() -> str:
    path = os.environ.get("MSHOP_CHROMIUM", "/usr/bin/chromium")
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    message = (
        f"no Chromium at {path}: install Debian's with `apt-get install -y chromium` "
        "(or set MSHOP_CHROMIUM to a Chromium binary); never `playwright install`"
    )
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    path = _chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class LiveApp:
    base_url: str
    email: str
    spec: dict[str, Any]


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The real app on its own SQLite file (real commits, no test rollback) on loopback."""
    folder = tmp_path_factory.mktemp("docs-pages")
    url = f"sqlite:///{folder / 'docs.db'}"
    engine = migrated_engine(url)
    with Session(engine) as session:
        email = make_user(session, Role.coordinator).email
        session.commit()
    engine.dispose()
    settings = Settings(
        database=DatabaseSettings(url=url, migrate_on_start=False),
        storage=StorageSettings(local_dir=folder / "blobs"),
        auth=AuthSettings(secret_key=SecretStr(SECRET)),
    )
    with running(create_app(settings)) as base_url:
        with urllib.request.urlopen(f"{base_url}/openapi.json", timeout=30) as response:
            spec = json.loads(response.read())
        yield LiveApp(base_url, email, spec)


@dataclass
class Traffic:
    local: list[str] = field(default_factory=list)
    # Requests to other hosts that reached the network layer (and were aborted there).
    outside: list[str] = field(default_factory=list)
    # Every request to another host the page tried, including ones its CSP refused first.
    attempted: list[str] = field(default_factory=list)
    # Console errors (content-security refusals among them) and uncaught exceptions.
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def offline_page(browser: Browser) -> Iterator[tuple[Page, Traffic]]:
    """A page that may reach loopback only: anything else is aborted and recorded."""
    context = browser.new_context(service_workers="block", viewport={"width": 1280, "height": 900})
    traffic = Traffic()

    def guard(route: Route) -> None:
        request = route.request
        if urlsplit(request.url).hostname in LOCAL_HOSTS:
            traffic.local.append(f"{request.method} {urlsplit(request.url).path}")
            route.continue_()
        else:
            traffic.outside.append(request.url)
            route.abort("blockedbyclient")

    def watch(request: Request) -> None:
        # Also sees what never reaches the route: requests the page's CSP refused.
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            traffic.attempted.append(request.url)

    def watch_sockets(page: Page) -> None:
        # A context emits no "websocket" event (listening there hears nothing); its pages do.
        page.on("websocket", lambda ws: traffic.attempted.append(ws.url))

    context.route("**/*", guard)
    context.on("request", watch)
    context.on("page", watch_sockets)
    page = context.new_page()
    page.on("console", lambda m: traffic.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: traffic.errors.append(str(exc)))
    page.set_default_timeout(RENDER_TIMEOUT_MS)
    yield page, traffic
    context.close()


def _screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name, full_page=full_page)


class TestInBrowser:
    def test_swagger_ui_lists_every_operation_offline(
        self, live_app: LiveApp, offline_page: tuple[Page, Traffic]
    ) -> None:
        page, traffic = offline_page
        expected = _operation_ids(live_app.spec)
        page.goto(f"{live_app.base_url}/docs")
        blocks = page.locator(".opblock")
        expect(blocks).to_have_count(len(expected), timeout=RENDER_TIMEOUT_MS)
        shown = blocks.evaluate_all("els => els.map(e => e.id)")
        assert sorted(shown) == sorted(f"operations-{tag}-{op}" for tag, op in expected)
        assert page.locator(".info .title").inner_text().startswith("mshop")
        _screenshot(page, "docs.png")
        assert traffic.outside == traffic.attempted == []
        assert traffic.errors == []
        assert "GET /openapi.json" in traffic.local

    def test_swagger_ui_authorize_signs_in_with_the_password_flow(
        self, live_app: LiveApp, offline_page: tuple[Page, Traffic]
    ) -> None:
        page, traffic = offline_page
        page.goto(f"{live_app.base_url}/docs")
        page.locator(".auth-wrapper button.authorize").click()
        page.locator("#oauth_username").fill(live_app.email)
        page.locator("#oauth_password").fill(PASSWORD)
        page.locator(".auth-btn-wrapper button.authorize").click()
        modal = page.locator(".auth-container")
        expect(modal.locator("h6")).to_have_text("Authorized", timeout=RENDER_TIMEOUT_MS)
        expect(modal.locator(".auth-btn-wrapper button.authorize")).to_have_text(
            "Logout", timeout=RENDER_TIMEOUT_MS
        )
        modal.locator(".auth-btn-wrapper button.btn-done").click()
        # The token Swagger UI got is sent with "Try it out": /me answers the signed-in user.
        me = page.locator("#operations-auth-auth-read_me")
        me.locator(".opblock-summary").click()
        me.locator("button.try-out__btn").click()
        me.locator("button.execute").click()
        response = me.locator(".live-responses-table .response")
        expect(response.locator(".response-col_status")).to_have_text(
            "200", timeout=RENDER_TIMEOUT_MS
        )
        expect(response.locator(".response-col_description")).to_contain_text(
            live_app.email, timeout=RENDER_TIMEOUT_MS
        )
        assert "POST " + api_path("login") in traffic.local
        assert "GET " + api_path("read_me") in traffic.local
        assert traffic.outside == traffic.attempted == []

    def test_redoc_lists_every_operation_offline(
        self, live_app: LiveApp, offline_page: tuple[Page, Traffic]
    ) -> None:
        page, traffic = offline_page
        expected = _operation_ids(live_app.spec)
        page.goto(f"{live_app.base_url}/redoc")
        items = page.locator("li[data-item-id*='/operation/']")
        expect(items).to_have_count(len(expected), timeout=RENDER_TIMEOUT_MS)
        shown = items.evaluate_all("els => els.map(e => e.dataset.itemId)")
        assert sorted(shown) == sorted(f"tag/{tag}/operation/{op}" for tag, op in expected)
        _screenshot(page, "redoc.png", full_page=False)  # the whole page is ~50,000 px
        assert traffic.outside == []
        # The one outside request ReDoc tries is its logo, refused by the page's policy.
        assert set(traffic.attempted) <= {REDOCLY_LOGO}
        assert all(REDOCLY_LOGO in error for error in traffic.errors), traffic.errors

    def test_start_page_links_answer(
        self, live_app: LiveApp, offline_page: tuple[Page, Traffic]
    ) -> None:
        page, traffic = offline_page
        page.goto(f"{live_app.base_url}/")
        assert page.title().startswith("mshop")
        assert page.locator("html").get_attribute("lang") == "en"
        expect(page.locator("main")).to_contain_text(
            "for coordinators and analysts", timeout=RENDER_TIMEOUT_MS
        )
        _screenshot(page, "start.png")
        hrefs = page.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        assert set(hrefs) == start_links("en")
        for href in sorted(set(hrefs)):
            response = page.goto(f"{live_app.base_url}{href}")
            assert response is not None
            assert response.status == 200, href
        assert traffic.outside == traffic.attempted == []
        assert traffic.errors == []
