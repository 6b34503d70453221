"""Accounts, app tokens, offices and the wave report in a real browser (Debian's Chromium).

An admin opens a shopper's account, makes an app token and the QR code shown on the page is
read back by zxing as a phone's scanner would, its server URL answering as Collect's server;
the printable wave report is shown on screen and as printed (print media, and a PDF printed
by Chromium). Each new page in each language passes axe-core and is saved as a screenshot to
``build/screenshots/console/``. The app, the data and the browser are those of
``test_browser.py``.
"""

import base64
from typing import Any

import httpx2 as httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from service.auth.roles import Role
from service.languages import LANGUAGES
from tests.console import test_browser as base
from tests.fixtures.qr import decode_qr

pytestmark = pytest.mark.slow

# The fixtures of test_browser.py, shared by name (each module starts its own app).
live = base.live
browser = base.browser
context = base.context

WAVE = "/console/reports/wave?from=2026-03-01&to=2026-03-31"
COMPARED = f"{WAVE}&compare_from=2026-02-01&compare_to=2026-02-28"


def open_shoppers_account(page: Page, live: base.Live) -> None:
    email = live.emails[Role.shopper]
    page.goto(f"{live.base}/console/accounts?email={email}")
    page.locator("table.accounts tbody a").first.click()
    expect(page.locator("#app-tokens")).to_be_visible()


def make_qr(page: Page) -> bytes:
    page.locator("#token-label").fill("Redmi 12")
    page.locator("form[action$='/app-tokens'] button[type=submit]").click()
    image = page.locator("#app-token-qr")
    expect(image).to_be_visible()
    source = image.get_attribute("src") or ""
    prefix = "data:image/png;base64,"
    assert source.startswith(prefix)
    return base64.b64decode(source.removeprefix(prefix))


class TestAdmin:
    def test_an_app_tokens_qr_code_sets_up_collect(
        self, context: BrowserContext, live: base.Live
    ) -> None:
        page = base.sign_in(context, live, Role.admin)
        page.locator("nav a[href='/console/accounts']").click()
        expect(page.locator("h1")).to_have_text("Учётные записи")
        open_shoppers_account(page, live)
        png = make_qr(page)
        base.screenshot(page, "app-token-qr-flow-ru")
        settings = decode_qr(png)
        url = settings["general"]["server_url"]
        assert url.startswith(f"{live.base}/openrosa/key/")
        assert settings["project"]["name"].startswith("mshop: ")
        assert settings["admin"] == {"change_server": False}
        # The URL in the code is a working key: Collect's first request is answered.
        with httpx.Client(timeout=30) as client:
            answer = client.head(f"{url}/submission", headers={"X-OpenRosa-Version": "1.0"})
        assert answer.status_code == 204
        page.locator("a", has_text="Назад к учётной записи").click()
        expect(page.locator("table.tokens")).to_contain_text("Redmi 12")
        assert url.rsplit("/", 1)[1] not in page.content()

    def test_the_wave_report_prints_as_tables_1_to_3(
        self, context: BrowserContext, live: base.Live
    ) -> None:
        page = base.sign_in(context, live, Role.analyst)
        page.goto(f"{live.base}{COMPARED}")
        for table in ("#table-1", "#table-2", "#table-3"):
            expect(page.locator(f"{table} tbody tr").first).to_be_visible()
        expect(page.locator("#table-2 thead")).to_contain_text("Изменение")
        base.screenshot(page, "wave-report-compared-ru")
        page.emulate_media(media="print")
        expect(page.locator("form.filters")).to_be_hidden()
        expect(page.locator("header.top")).to_be_hidden()
        expect(page.locator("#table-3")).to_be_visible()
        base.screenshot(page, "wave-report-print-ru")
        pdf = page.pdf(format="A4", landscape=True)
        assert pdf.startswith(b"%PDF")
        base.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (base.SCREENSHOTS / "wave-report-ru.pdf").write_bytes(pdf)


# The new screens: who sees them and where (the QR page is the answer to a form); a role's
# screens side by side (one sign-in).
SCREENS: list[tuple[str, Role | None, str | None]] = [
    ("accounts", Role.admin, "/console/accounts"),
    ("account", Role.admin, None),
    ("office-new", Role.admin, "/console/offices/new"),
    ("app-token-qr", Role.coordinator, None),
    ("offices", Role.coordinator, "/console/offices"),
    ("office", Role.coordinator, "/console/offices/1"),
    ("wave-report", Role.analyst, COMPARED),
]


def _open(page: Page, live: base.Live, name: str, path: str | None) -> None:
    if path is not None:
        page.goto(f"{live.base}{path}")
        return
    open_shoppers_account(page, live)
    if name == "app-token-qr":
        make_qr(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_new_page_passes_axe_core(
    context: BrowserContext, live: base.Live, language: str
) -> None:
    failures: dict[str, Any] = {}
    for name, path, page in base.pages_of_screens(context, live, SCREENS, language):
        _open(page, live, name, path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.wait_for_load_state("networkidle")
        base.screenshot(page, f"{name}-{language}")
        found = base.serious_violations(page)
        if found:
            failures[name] = found
    assert failures == {}
