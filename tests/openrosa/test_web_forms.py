"""A real ODK form engine fills a generated checklist: ODK Web Forms in Debian's Chromium.

The server runs on loopback with real commits (uvicorn, SQLite, its own photo jobs). The
phone's side is ODK's own engine, ``@getodk/web-forms`` (the XForms engine ODK Central uses for
web submissions), given the form and ``visits.csv`` exactly as the Collect-faithful client
downloaded them; a person's clicks and keys answer it, a real JPEG is attached, and its
"Send" makes the submission. The parts it made are posted to ``/submission`` as Collect
posts them; the visit then holds those answers through the JSON API and is scored.
"""

import datetime as dt
import hashlib
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, Geolocation, Page, sync_playwright
from pydantic import SecretStr
from sqlmodel import Session

from service.auth.roles import Role
from service.checklists import service as checklists_service
from service.checklists.format import ChecklistChannel, ResolvedChecklist
from service.checklists.items import MultiChoiceItem
from service.checklists.pinned import checklist_for_visit
from service.config import AuthSettings, DatabaseSettings, Settings, StorageSettings
from service.main import create_app
from service.openrosa import tokens
from service.standards import service as standards_service
from service.xforms import labels
from tests.conftest import SECRET
from tests.fixtures import images
from tests.fixtures.db import migrated_engine
from tests.fixtures.factories import make_visit
from tests.fixtures.routes import api_path
from tests.fixtures.server import running
from tests.fixtures.users import PASSWORD, make_user
from tests.openrosa import web_forms
from tests.openrosa.collect import Collect
from tests.openrosa.web_forms import Part, WebForm
from tests.test_docs_pages import CHROMIUM_ARGS, _chromium_path

pytestmark = pytest.mark.slow

TIMEOUT_MS = 30_000
# An online service (egov.kz): few questions, yet every kind the phone answers differently
# (choices, a time button, minutes, numbers, check boxes, text, a date, a rating, a photo).
SERVICE, CHANNEL = "S04", ChecklistChannel.egov
# Near Astana's PSC: where the shopper's browser says it is when the form opens.
LOCATION: Geolocation = {"latitude": 51.1283, "longitude": 71.4305}


@dataclass
class Live:
    base: str
    server_url: str
    visit_id: uuid.UUID
    shopper_email: str
    checklist: ResolvedChecklist


@pytest.fixture(scope="session")
def node_modules() -> Path:
    return web_forms.install()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("web-forms")
    url = f"sqlite:///{folder / 'mshop.db'}"
    engine = migrated_engine(url)
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as session:
        standards_service.load_standards(session, Settings().catalogue_dir, now=now)
        checklists_service.load_template_files(session, Settings().templates_dir, now=now)
        shopper = make_user(session, Role.shopper)
        coordinator = make_user(session, Role.coordinator)
        # Today's window: the engine stamps the phone's own clock into the time questions.
        visit = make_visit(
            session,
            shopper=shopper,
            coordinator=coordinator,
            service_code=SERVICE,
            channel=CHANNEL,
            window_start_at=now - dt.timedelta(hours=2),
            window_end_at=now + dt.timedelta(hours=6),
        )
        _, token, _ = tokens.create(
            session,
            shopper,
            coordinator,
            client_id=uuid.uuid4(),
            label="browser",
            key=SECRET.encode(),
            now=now,
            limit=5,
        )
        checklist = checklist_for_visit(session, visit)
        session.commit()
        visit_id, email = visit.id, shopper.email
    engine.dispose()
    settings = Settings(
        database=DatabaseSettings(url=url, migrate_on_start=False),
        storage=StorageSettings(local_dir=folder / "blobs"),
        auth=AuthSettings(secret_key=SecretStr(SECRET)),
    )
    with running(create_app(settings)) as base:
        yield Live(base, f"{base}/openrosa/key/{token}", visit_id, email, checklist)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, node_modules: Path) -> Iterator[Page]:
    context = browser.new_context(geolocation=LOCATION, permissions=["geolocation"])
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    web_forms.serve(page, node_modules)
    yield page
    context.close()


def downloaded(collect: Collect) -> tuple[str, dict[str, str]]:
    """The form and its media as Collect downloads them: form list, form, manifest, media."""
    (listed,) = collect.form_list()
    form = collect.request("GET", listed.download_url)
    assert form.status_code == 200, form.text
    media = {}
    for file in collect.manifest(listed.manifest_url):
        response = collect.request("GET", file.download_url)
        assert response.status_code == 200, response.text
        media[file.filename] = response.text
    return form.text, media


def send(collect: Collect, parts: list[Part]) -> httpx.Response:
    """Post what the engine made as Collect posts a submission (the XML part first)."""
    (xml,) = [p.content for p in parts if p.name == "xml_submission_file"]
    # A File the engine made without a type is sent by a browser as octet-stream.
    attachments = {
        p.name: (p.content, p.media_type or "application/octet-stream")
        for p in parts
        if p.name != "xml_submission_file"
    }
    return collect.submit(xml, attachments)


def shopper_headers(client: httpx.Client, email: str) -> dict[str, str]:
    form = {"username": email, "password": PASSWORD}
    token = client.post(api_path("login"), data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def wait_submitted(
    collect: Collect, client: httpx.Client, visit_id: uuid.UUID, headers: dict[str, str]
) -> dict[str, Any]:
    """The visit once submitted: its photo job runs, Collect's next HEAD submits it."""
    deadline = time.monotonic() + 60
    while True:
        assert collect.head_submission().status_code == 204
        visit: dict[str, Any] = client.get(
            api_path("read_visit", visit_id=visit_id), headers=headers
        ).json()
        if visit["status"] == "submitted" or time.monotonic() > deadline:
            return visit
        time.sleep(0.2)


class TestWebForms:
    def test_fills_and_sends_a_checklist_that_the_server_scores(
        self, live: Live, page: Page
    ) -> None:
        texts = {item.code: item.text_ru for item in live.checklist.items()}
        kinds = live.checklist.item("failure_types")
        assert isinstance(kinds, MultiChoiceItem)
        failures = [option.code for option in kinds.options[:2]]
        photo = images.photo(seed=17)
        with httpx.Client(base_url=live.base, timeout=30) as client:
            collect = Collect(client, live.server_url)
            form_xml, media = downloaded(collect)
            assert str(live.visit_id) in media["visits.csv"]

            form = WebForm(page)
            form.open(form_xml, media)
            form.choose(labels.FIXED["visit"]["ru"], str(live.visit_id))
            form.choose(texts["portal_used"], "egov_kz")
            started = form.tap(texts["started_at"])
            form.choose(texts["service_found"], "yes")
            form.type(texts["search_duration"], "7.5")
            form.choose(texts["info_complete"], "yes")
            form.choose(texts["info_matches_standard"], "yes")
            form.choose(texts["info_in_kazakh_and_russian"], "no")
            form.choose(texts["call_centre_number_shown"], "yes")
            form.choose(texts["signed_in"], "yes")
            form.type(texts["attempts"], "2")
            form.choose(texts["technical_failure"], "yes")
            form.choose(texts["failure_types"], *failures)
            form.type(texts["failure_details"], "Ошибка 500 на шаге подписи")
            slot = f"{texts['failure_screenshots']} ({labels.fixed('photo', n=1)['ru']})"
            form.attach(slot, "screen.jpg", photo)
            form.choose(texts["managed_without_help"], "yes")
            form.choose(texts["documents_demanded"], "doc_1")
            form.type(texts["fee_amount"], "0")
            form.date(texts["application_submitted_on"], dt.date.today())
            form.choose(texts["status_visible_online"], "yes")
            form.choose(texts["notification_received"], "no")
            form.rate(texts["overall_rating"], 4)
            parts = form.send()

            response = send(collect, parts)
            assert response.status_code == 201, response.text
            headers = shopper_headers(client, live.shopper_email)
            visit = wait_submitted(collect, client, live.visit_id, headers)
            assert visit["status"] == "submitted", visit

            answers = client.get(
                api_path("list_answers", visit_id=live.visit_id), headers=headers
            ).json()
            photos = client.get(
                api_path("list_photos", visit_id=live.visit_id), headers=headers
            ).json()
            score = client.get(api_path("read_score", visit_id=live.visit_id), headers=headers)

        values = {a["item_code"]: a["value"] for a in answers["items"]}
        assert values == {
            "portal_used": "egov_kz",
            "started_at": values["started_at"],
            "service_found": "yes",
            "search_duration": 450,
            "info_complete": "yes",
            "info_matches_standard": "yes",
            "info_in_kazakh_and_russian": "no",
            "call_centre_number_shown": "yes",
            "signed_in": "yes",
            "attempts": 2,
            "technical_failure": "yes",
            "failure_types": sorted(failures),
            "failure_details": "Ошибка 500 на шаге подписи",
            "managed_without_help": "yes",
            "documents_demanded": {"selected": ["doc_1"], "extras": []},
            "fee_amount": 0,
            "application_submitted_on": dt.date.today().isoformat(),
            "status_visible_online": "yes",
            "notification_received": "no",
            "overall_rating": 4,
        }
        assert dt.datetime.fromisoformat(values["started_at"]) == dt.datetime.fromisoformat(started)
        # The engine scales a photo down to the form's max-pixels before sending it, as
        # Collect does: the server keeps the bytes it was sent.
        (sent,) = [p for p in parts if p.name != "xml_submission_file"]
        assert sent.content.startswith(b"\xff\xd8")
        (shot,) = photos["photos"]
        assert shot["item_code"] == "failure_screenshots"
        assert shot["sha256"] == hashlib.sha256(sent.content).hexdigest()
        assert score.status_code == 200, score.text
        result = score.json()
        judged = {item["code"]: item["status"] for item in result["items"]}
        assert judged["service_found"] == judged["documents_demanded"] == "compliant"
        assert (
            judged["info_in_kazakh_and_russian"] == judged["technical_failure"] == "non_compliant"
        )
        assert judged["notification_received_on"] == "hidden"
        assert result["satisfaction"] == 4
        (failure,) = [f for f in result["findings"] if "technical_failure" in f["item_codes"]]
        assert failure["photo_ids"] == [shot["id"]]
