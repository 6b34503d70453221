"""The console in a real browser: Debian's Chromium driven by Playwright, the app on loopback.

The app runs with real commits on its own SQLite file and its own photo-job runner; the
shopper's side goes through the JSON API, as a phone would. Every page of every language is
checked with axe-core (the ``axe.min.js`` shipped in the ``axe-playwright-python`` wheel) and
saved as a screenshot to ``build/screenshots/console/`` (git-ignored; see the README).
"""

import csv
import io
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from pydantic import SecretStr
from sqlmodel import Session

from service.auth.roles import Role
from service.checklists import service as checklists_service
from service.config import AuthSettings, DatabaseSettings, Settings, StorageSettings
from service.console.i18n import LANGUAGES
from service.main import create_app
from service.standards import service as standards_service
from tests.conftest import NOW, SECRET
from tests.fixtures import images
from tests.fixtures.db import migrated_engine
from tests.fixtures.factories import complete_answers, make_visit
from tests.fixtures.routes import api_path
from tests.fixtures.server import running
from tests.fixtures.users import PASSWORD, make_user
from tests.reports.data import build as build_report_data
from tests.test_docs_pages import CHROMIUM_ARGS, _chromium_path

pytestmark = pytest.mark.slow

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "console"
AXE = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
SERIOUS = frozenset({"serious", "critical"})
TIMEOUT_MS = 30_000
STATUS_RU = {
    "submitted": "Ожидает проверки",
    "returned": "Возвращён тайному покупателю",
    "approved": "Принят",
}


@dataclass
class Live:
    base: str
    emails: dict[Role, str]
    visit_id: uuid.UUID
    photos: int


def _api_token(client: httpx.Client, email: str) -> dict[str, str]:
    form = {"username": email, "password": PASSWORD}
    token = client.post(api_path("login"), data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def submit(client: httpx.Client, visit_id: uuid.UUID, headers: dict[str, str]) -> None:
    """Submit as the phone does, waiting out photos still being processed (409 + Retry-After)."""
    body = {"client_id": str(uuid.uuid4()), "submitted_at": "2026-03-18T06:00:00Z"}
    deadline = time.monotonic() + 60
    while True:
        response = client.post(
            api_path("submit_visit", visit_id=visit_id), json=body, headers=headers
        )
        if response.status_code != 409 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    photos = client.get(api_path("list_photos", visit_id=visit_id), headers=headers).text
    assert response.status_code == 200, (response.text, photos)


def _shopper_sends_visit(base: str, visit_id: uuid.UUID, email: str, checklist_id: int) -> int:
    """Answers and the required photos through the API, then submit; how many photos."""
    with httpx.Client(base_url=base, timeout=30) as client:
        headers = _api_token(client, email)
        checklist = client.get(
            api_path("read_checklist", checklist_id=checklist_id), headers=headers
        ).json()["checklist"]
        answers = {"answers": complete_answers(checklist)}
        synced = client.put(
            api_path("sync_answers", visit_id=visit_id), json=answers, headers=headers
        )
        assert synced.status_code == 200, synced.text
        listing = client.get(api_path("list_photos", visit_id=visit_id), headers=headers).json()
        # One photo for each item that requires one.
        slots = [row["item_code"] for row in listing["items"] for _ in range(row["missing"])]
        for n, item_code in enumerate(slots):
            form = {
                "item_code": item_code,
                "taken_at": "2026-03-18T10:15:30+05:00",
                "client_id": str(uuid.uuid4()),
            }
            files_ = {"file": ("p.jpg", images.photo(seed=300 + n), "image/jpeg")}
            sent = client.post(
                api_path("upload_photo", visit_id=visit_id),
                data=form,
                files=files_,
                headers=headers,
            )
            assert sent.status_code == 201, sent.text
        submit(client, visit_id, headers)
        return len(slots)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("console")
    url = f"sqlite:///{folder / 'console.db'}"
    engine = migrated_engine(url)
    with Session(engine) as session:
        standards_service.load_standards(session, Settings().catalogue_dir, now=NOW)
        checklists_service.load_template_files(session, Settings().templates_dir, now=NOW)
        emails = {role: make_user(session, role).email for role in Role}
        shopper = make_user(session, Role.shopper)
        visit = make_visit(session, shopper=shopper)
        build_report_data(session)
        session.commit()
        visit_id, checklist_id, shopper_email = visit.id, visit.checklist_id, shopper.email
    engine.dispose()
    settings = Settings(
        database=DatabaseSettings(url=url, migrate_on_start=False),
        storage=StorageSettings(local_dir=folder / "blobs"),
        auth=AuthSettings(secret_key=SecretStr(SECRET)),
    )
    with running(create_app(settings)) as base:
        photos = _shopper_sends_visit(base, visit_id, shopper_email, checklist_id)
        emails[Role.shopper] = shopper_email
        yield Live(base, emails, visit_id, photos)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    path = _chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


def sign_in(context: BrowserContext, live: Live, role: Role) -> Page:
    page = context.new_page()
    page.goto(f"{live.base}/console/")
    expect(page).to_have_url(f"{live.base}/console/signin?next=%2Fconsole%2F")
    page.locator("#email").fill(live.emails[role])
    page.locator("#password").fill(PASSWORD)
    page.locator("form.signin button[type=submit]").click()
    page.wait_for_load_state()
    return page


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def serious_violations(page: Page) -> list[dict[str, Any]]:
    page.evaluate(AXE)
    results: dict[str, Any] = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r)"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in results["violations"]
        if v["impact"] in SERIOUS
    ]


def switch_language(page: Page, language: str) -> None:
    page.locator(f"form.language button[value={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def thumbnails_loaded(page: Page) -> int:
    count: int = page.evaluate(
        "Array.from(document.querySelectorAll('td.photos img'))"
        ".filter(i => i.complete && i.naturalWidth > 0).length"
    )
    return count


class TestCoordinator:
    def test_returns_a_visit_then_approves_it_once_resubmitted(
        self, context: BrowserContext, live: Live
    ) -> None:
        page = sign_in(context, live, Role.coordinator)
        expect(page).to_have_url(f"{live.base}/console/visits")
        page.locator("#f-status").select_option("submitted")
        page.locator(".filters button[type=submit]").click()
        expect(page).to_have_url(f"{live.base}/console/visits?status=submitted&sort=window")
        page.locator(f'a[href="/console/visits/{live.visit_id}"]').click()
        status = page.locator("#visit-status")
        expect(status).to_have_text(STATUS_RU["submitted"])
        # The in-person checklist asks for four photos (hours, stand, ticket, badge).
        assert live.photos >= 2
        page.wait_for_load_state("networkidle")
        assert thumbnails_loaded(page) == live.photos
        screenshot(page, "review-submitted-ru")

        page.locator("#comment").fill("Фото табло размыто, переснимите")
        page.locator("button[name=action][value=return]").click()
        expect(status).to_have_text(STATUS_RU["returned"])
        expect(page.locator("dl.facts")).to_contain_text("Фото табло размыто, переснимите")

        with httpx.Client(base_url=live.base, timeout=30) as client:
            submit(client, live.visit_id, _api_token(client, live.emails[Role.shopper]))
        page.reload()
        expect(status).to_have_text(STATUS_RU["submitted"])
        page.locator("button[name=action][value=approve]").click()
        expect(status).to_have_text(STATUS_RU["approved"])
        expect(page.locator("table").last).to_contain_text("Принять")
        screenshot(page, "review-approved-ru")

    def test_a_post_without_the_form_token_is_refused(
        self, context: BrowserContext, live: Live
    ) -> None:
        page = sign_in(context, live, Role.coordinator)
        # The browser's own cookies go with it; only the form token is missing.
        response = page.request.post(f"{live.base}/console/language", form={"lang": "en"})
        assert response.status == 403
        assert "Форма отклонена" in response.text()
        page.reload()
        expect(page.locator("html")).to_have_attribute("lang", "ru")


class TestAnalyst:
    def test_filters_the_services_report_and_downloads_a_csv(
        self, context: BrowserContext, live: Live
    ) -> None:
        page = sign_in(context, live, Role.analyst)
        expect(page).to_have_url(f"{live.base}/console/reports/services")
        page.locator("#r-from").fill("2026-03-01")
        page.locator("#r-region").select_option("astana")
        page.locator(".filters button[type=submit]").click()
        expect(page).to_have_url(
            # A ranking is of one channel (in person unless another is chosen), as the API's.
            f"{live.base}/console/reports/services?from=2026-03-01&region=astana&channel=in_person"
        )
        rows = page.locator("table.report tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("S33")
        chart = page.locator("figure.chart img")
        expect(chart).to_be_visible()
        page.wait_for_load_state("networkidle")
        # (wait_for_function would evaluate a string, which the page's CSP rightly forbids)
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
        screenshot(page, "services-report-filtered-ru")
        with page.expect_download() as info:
            page.locator("a.button", has_text="CSV").click()
        download = info.value
        data = Path(download.path()).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        rows_csv = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        assert {row["region"] for row in rows_csv} == {"astana"}
        assert "ЦОН №1 Астана" in {row["office_name"] for row in rows_csv}


class TestShopper:
    def test_gets_the_403_page_on_coordinator_pages(
        self, context: BrowserContext, live: Live
    ) -> None:
        page = sign_in(context, live, Role.shopper)
        expect(page.locator("h1")).to_have_text("Мои визиты")
        response = page.goto(f"{live.base}/console/visits")
        assert response is not None
        assert response.status == 403
        expect(page.locator("h1")).to_have_text("Доступ запрещён")
        screenshot(page, "forbidden-shopper-ru")


# Each screen, by who sees it and where it is.
SCREENS = [
    ("signin", None, "/console/signin"),
    ("visits", Role.coordinator, "/console/visits"),
    ("review", Role.coordinator, "/console/visits/{visit_id}"),
    ("services-report", Role.analyst, "/console/reports/services"),
    ("shopper", Role.shopper, "/console/"),
    ("forbidden", Role.shopper, "/console/visits"),
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_passes_axe_core(context: BrowserContext, live: Live, language: str) -> None:
    failures: dict[str, Any] = {}
    for name, role, path in SCREENS:
        context.clear_cookies()
        if role is None:
            page = context.new_page()
            page.goto(f"{live.base}{path}")
        else:
            page = sign_in(context, live, role)
        if language != "ru":
            switch_language(page, language)
        page.goto(f"{live.base}{path.format(visit_id=live.visit_id)}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.wait_for_load_state("networkidle")
        screenshot(page, f"{name}-{language}")
        found = serious_violations(page)
        if found:
            failures[name] = found
        page.close()
    assert failures == {}
