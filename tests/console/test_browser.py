"""The console in a real browser: Debian's Chromium driven by Playwright, the app on loopback.

The app runs with real commits on its own SQLite file and its own photo-job runner; the
shopper's side goes through the JSON API, as a phone would. Every page of every language is
checked with axe-core (the ``axe.min.js`` shipped in the ``axe-playwright-python`` wheel) and
saved as a screenshot to ``build/screenshots/console/`` (git-ignored; see the README).
"""

import csv
import datetime as dt
import io
import re
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
from service.languages import LANGUAGES
from service.main import create_app
from service.standards import service as standards_service
from tests.conftest import NOW, SECRET
from tests.fixtures import images
from tests.fixtures.db import migrated_engine
from tests.fixtures.factories import complete_answers, make_office, make_visit
from tests.fixtures.routes import api_path
from tests.fixtures.server import running
from tests.fixtures.users import PASSWORD, make_user
from tests.reports.data import build as build_report_data
from tests.test_docs_pages import CHROMIUM_ARGS, _chromium_path
from tests.visits import test_result_follow_up as follow_up_cases

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
    # The acceptance flow's: a visit its shopper sends during the test, an office to assign to.
    flow: "Flow"


@dataclass
class Flow:
    visit_id: uuid.UUID
    checklist_id: int
    shopper_id: uuid.UUID
    shopper_email: str
    office_id: int


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


def _answers(checklist: dict[str, Any], pending: bool) -> list[dict[str, Any]]:
    """Every answer; ``pending``: the result not come yet (its deadline is judged later)."""
    if not pending:
        return complete_answers(checklist)
    given = follow_up_cases.ANSWERS
    skip = {*given, "notification_received_on"}
    answers = [a for a in complete_answers(checklist) if a["item_code"] not in skip]
    return answers + [
        {
            "client_id": str(uuid.uuid4()),
            "item_code": code,
            "value": value,
            "answered_at": follow_up_cases.AT,
        }
        for code, value in given.items()
    ]


def _shopper_sends_visit(
    base: str, visit_id: uuid.UUID, email: str, checklist_id: int, *, pending: bool = False
) -> int:
    """Answers and the required photos through the API, then submit; how many photos."""
    with httpx.Client(base_url=base, timeout=30) as client:
        headers = _api_token(client, email)
        checklist = client.get(
            api_path("read_checklist", checklist_id=checklist_id), headers=headers
        ).json()["checklist"]
        answers = {"answers": _answers(checklist, pending)}
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
        flow_shopper = make_user(session, Role.shopper)
        flow_visit = make_visit(session, shopper=flow_shopper, wave="w-flow")
        office = make_office(session, name="ЦОН Есиль", city="Астана")
        build_report_data(session)
        session.commit()
        visit_id, checklist_id, shopper_email = visit.id, visit.checklist_id, shopper.email
        assert office.id is not None
        flow = Flow(
            flow_visit.id, flow_visit.checklist_id, flow_shopper.id, flow_shopper.email, office.id
        )
    engine.dispose()
    settings = Settings(
        database=DatabaseSettings(url=url, migrate_on_start=False),
        storage=StorageSettings(local_dir=folder / "blobs"),
        auth=AuthSettings(secret_key=SecretStr(SECRET)),
    )
    with running(create_app(settings)) as base:
        photos = _shopper_sends_visit(base, visit_id, shopper_email, checklist_id)
        emails[Role.shopper] = shopper_email
        yield Live(base, emails, visit_id, photos, flow)


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


def pages_of_screens(
    context: BrowserContext,
    live: Live,
    screens: list[tuple[str, Role | None, str | None]],
    language: str,
) -> Iterator[tuple[str, str | None, Page]]:
    """Each screen's name, path and a page signed in as its role in ``language``.

    A role's consecutive screens share one sign-in and one language switch: signing in again
    for every screen (argon2 on the server, three page loads) tested nothing more and cost about
    two fifths of these tests' time.
    """
    page: Page | None = None
    current: Role | None = None  # whose page it is; unread until a page exists
    for name, role, path in screens:
        if page is None or role != current:
            if page is not None:
                page.close()
            context.clear_cookies()
            if role is None:
                page = context.new_page()
                page.goto(f"{live.base}/console/signin")
            else:
                page = sign_in(context, live, role)
            if language != "ru":
                switch_language(page, language)
            current = role
        yield name, path, page
    if page is not None:
        page.close()


def thumbnails_loaded(page: Page) -> int:
    count: int = page.evaluate(
        "Array.from(document.querySelectorAll('td.photos img'))"
        ".filter(i => i.complete && i.naturalWidth > 0).length"
    )
    return count


def _wave_csv(live: Live, first_service: str) -> bytes:
    """Two assignments for the flow's shopper, three days from now (the server's real clock)."""
    day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).date().isoformat()
    start, end = f"{day}T09:00:00+05:00", f"{day}T18:00:00+05:00"
    flow = live.flow
    lines = ["service_code,office_id,shopper_email,channel,window_start_at,window_end_at,wave"]
    lines += [
        f"{code},{flow.office_id},{flow.shopper_email},in_person,{start},{end},w-csv"
        for code in ("S26", first_service)
    ]
    return ("\n".join(lines) + "\n").encode()


def _upload(page: Page, data: bytes) -> None:
    page.locator("#wave-file").set_input_files(
        {"name": "wave.csv", "mimeType": "text/csv", "buffer": data}
    )
    page.locator("form.upload button[type=submit]").click()


class TestCoordinator:
    def test_runs_a_wave_from_upload_to_the_result_follow_up(
        self, context: BrowserContext, live: Live
    ) -> None:
        """The issue's acceptance flow, with the review's moves made from the keyboard."""
        page = sign_in(context, live, Role.coordinator)
        expect(page).to_have_url(f"{live.base}/console/")
        expect(page.locator("h1")).to_have_text("Сводка: Все визиты")

        # A wave file with one bad row: its problem is shown, nothing is assigned.
        page.locator("header nav a", has_text="Загрузить файл волны").click()
        _upload(page, _wave_csv(live, "X1"))
        bad = page.locator("table.row-errors tbody tr")
        expect(bad).to_have_count(1)
        expect(bad.first).to_contain_text("3")
        expect(bad.first).to_contain_text("service_code")
        expect(bad.first).to_contain_text("Недопустимое значение")
        screenshot(page, "wave-upload-refused-ru")
        _upload(page, _wave_csv(live, "S33"))
        expect(page.locator("#wave-result")).to_contain_text("Назначено визитов: 2")

        # One visit, the shopper and office found by search.
        page.locator("header nav a", has_text="Назначить визит").click()
        page.locator("#shopper-q").fill(live.flow.shopper_email.split("@")[0])
        page.locator("#office-q").fill("Есиль")
        page.locator("form.search button[type=submit]").click()
        page.locator("#shopper-results a").click()
        page.locator("#office-results a").click()
        expect(page.locator("#chosen-office")).to_contain_text("ЦОН Есиль")
        page.locator("#a-service").select_option("S33")
        day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=4)).date().isoformat()
        page.locator("#a-start").fill(f"{day}T09:00")
        page.locator("#a-end").fill(f"{day}T18:00")
        screenshot(page, "assign-filled-ru")
        page.locator("form.assign button[type=submit]").click()
        status = page.locator("#visit-status")
        expect(status).to_have_text("Назначен")

        # The shopper sends the wave's visit with its photos; it waits in the review queue.
        photos = _shopper_sends_visit(
            live.base,
            live.flow.visit_id,
            live.flow.shopper_email,
            live.flow.checklist_id,
            pending=True,
        )
        assert photos >= 2
        page.goto(f"{live.base}/console/waves/w-flow")
        page.locator("#tile-review").click()
        page.locator(f'a[href="/console/visits/{live.flow.visit_id}"]').click()
        expect(status).to_have_text(STATUS_RU["submitted"])
        page.wait_for_load_state("networkidle")
        assert thumbnails_loaded(page) == photos

        # r: to the comment, typed, then the Return button.
        page.keyboard.press("r")
        expect(page.locator("#comment")).to_be_focused()
        page.keyboard.type("Фото табло размыто, переснимите")
        page.locator("#action-return").click()
        expect(status).to_have_text(STATUS_RU["returned"])
        expect(page.locator("dl.facts").first).to_contain_text("Фото табло размыто, переснимите")

        with httpx.Client(base_url=live.base, timeout=30) as client:
            headers = _api_token(client, live.flow.shopper_email)
            submit(client, live.flow.visit_id, headers)
        page.reload()
        expect(status).to_have_text(STATUS_RU["submitted"])
        # a: to the Approve button; Enter approves.
        page.keyboard.press("a")
        expect(page.locator("#action-approve")).to_be_focused()
        page.keyboard.press("Enter")
        expect(status).to_have_text(STATUS_RU["approved"])

        # The result came on 3 April: the deadline is judged again, the visit stays approved.
        verdict = page.locator("#deadline-verdict")
        before = verdict.inner_text()
        page.locator("#received-on").fill("2026-04-03")
        page.locator("#record-result").click()
        expect(verdict).to_have_text("С опозданием")
        assert before != "С опозданием"
        expect(page.locator("#verdict-change")).to_have_text(f"{before} → С опозданием")
        expect(page.locator("#result-received")).not_to_have_text("—")
        expect(status).to_have_text(STATUS_RU["approved"])
        screenshot(page, "review-follow-up-ru")

        # n: on to the next visit waiting in the review queue.
        page.keyboard.press("n")
        expect(page).to_have_url(re.compile(r"/console/visits/[0-9a-f-]{36}$"))
        assert str(live.flow.visit_id) not in page.url
        expect(status).to_have_text(STATUS_RU["submitted"])

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


# Each screen, by who sees it and where it is; a role's screens side by side (one sign-in).
SCREENS: list[tuple[str, Role | None, str | None]] = [
    ("signin", None, "/console/signin"),
    ("visits", Role.coordinator, "/console/visits"),
    ("review", Role.coordinator, "/console/visits/{visit_id}"),
    ("dashboard", Role.coordinator, "/console/"),
    ("wave-dashboard", Role.coordinator, "/console/waves/w-flow"),
    ("assign", Role.coordinator, "/console/assign?shopper_id={shopper_id}&office_id={office_id}"),
    ("assign-search", Role.coordinator, "/console/assign?shopper_q=shopper&office_q=ЦОН"),
    ("wave-upload", Role.coordinator, "/console/assign/wave"),
    ("services-report", Role.analyst, "/console/reports/services"),
    ("shopper", Role.shopper, "/console/"),
    ("forbidden", Role.shopper, "/console/visits"),
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_passes_axe_core(context: BrowserContext, live: Live, language: str) -> None:
    failures: dict[str, Any] = {}
    flow = live.flow
    for name, path, page in pages_of_screens(context, live, SCREENS, language):
        assert path is not None
        where = path.format(
            visit_id=live.visit_id, shopper_id=flow.shopper_id, office_id=flow.office_id
        )
        page.goto(f"{live.base}{where}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.wait_for_load_state("networkidle")
        screenshot(page, f"{name}-{language}")
        found = serious_violations(page)
        if found:
            failures[name] = found
    assert failures == {}
