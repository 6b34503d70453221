"""ODK Web Forms (``@getodk/web-forms``) in a page: built once, then driven by Playwright.

The harness (``tests/openrosa/engine/``: ``package.json``, its lock, ``index.html`` and
``harness.js``) is installed by ``npm ci`` into a cache folder named by the lock file's hash,
so a run installs it once and later runs reuse it. No bundler: the package ships one bundled
ES module that imports only ``vue``, which the page's import map resolves. The page is served
to the browser by Playwright's request routing, from the repository (the page) and the cache
(``node_modules``), so nothing listens on a port for it.
"""

import base64
import datetime as dt
import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, Route
from playwright.sync_api import TimeoutError as PlaywrightTimeout

HARNESS = Path(__file__).resolve().parent / "engine"
# Loopback is a secure context (Web Forms asks for the location); port 9 (discard) is never
# reached: every request to it is answered by the route below.
ORIGIN = "http://127.0.0.1:9"
PAGE_FILES = ("index.html", "harness.js")
SEND_MS = 120_000  # how long Send may take to hand over the submission


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mshop" / "web-forms"


def install() -> Path:
    """The harness's ``node_modules``, installed by ``npm ci`` unless already cached.

    Fails (never skips) without node and npm: CI installs them (``.ci/run``).
    """
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.fail(
            "ODK Web Forms needs node and npm (`apt-get install -y nodejs npm`); "
            "see docs/openrosa.md, 'Tested with ODK Web Forms'"
        )
    lock = (HARNESS / "package-lock.json").read_bytes()
    folder = cache_root() / hashlib.sha256(lock).hexdigest()[:16]
    if (folder / "node_modules" / ".package-lock.json").is_file():
        return folder / "node_modules"
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=folder.parent, prefix="install-"))
    for name in ("package.json", "package-lock.json"):
        shutil.copy(HARNESS / name, work / name)
    done = subprocess.run(
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        pytest.fail(f"npm ci of the Web Forms harness failed:\n{done.stdout}\n{done.stderr}")
    try:
        work.rename(folder)
    except OSError:
        # Another worker finished first: its copy is the same lock file's.
        shutil.rmtree(work, ignore_errors=True)
    return folder / "node_modules"


def serve(page: Page, node_modules: Path) -> None:
    """Answer the harness's URLs from the repository and the installed packages."""

    def answer(route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN + "/").split("?", 1)[0]
        if path in PAGE_FILES:
            route.fulfill(path=HARNESS / path)
            return
        target = (node_modules / path.removeprefix("node_modules/")).resolve()
        if path.startswith("node_modules/") and target.is_relative_to(node_modules.resolve()):
            if target.is_file():
                route.fulfill(path=target)
                return
        route.fulfill(status=404, body="")

    page.route(f"{ORIGIN}/**", answer)


@dataclass(frozen=True)
class Part:
    """One part of the multipart submission Web Forms made."""

    name: str
    filename: str
    media_type: str
    content: bytes


class WebForm:
    """One form open in the harness: find a question by its label and answer it."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self, form_xml: str, media: dict[str, str]) -> None:
        self.page.goto(f"{ORIGIN}/index.html")
        self.page.wait_for_function("window.harnessReady === true")
        self.page.evaluate("([xml, media]) => window.openForm(xml, media)", [form_xml, media])
        status = self.page.locator(".form-initialization-status")
        status.and_(self.page.locator(".ready, .error")).wait_for(state="attached")
        if "error" in (status.get_attribute("class") or ""):
            dialog = self.page.locator(".p-dialog").inner_text()
            raise AssertionError(f"Web Forms could not load the form: {dialog}")

    def question(self, label: str, *, nth: int = 0) -> Locator:
        """The question whose label reads ``label`` (``nth`` when labels repeat)."""
        found = self.page.locator(".question-container").filter(
            has=self.page.locator(".control-text > label").get_by_text(label, exact=True)
        )
        return found.nth(nth)

    def choose(self, label: str, *values: str) -> None:
        """Tick the options with these choice names (a radio button or check boxes)."""
        question = self.question(label)
        for value in values:
            question.locator(f'label.value-option:has(input[value="{value}"])').click()

    def type(self, label: str, text: str, *, nth: int = 0) -> None:
        field = self.question(label, nth=nth).locator("input, textarea").first
        field.click()
        field.press_sequentially(text)
        field.press("Tab")

    def date(self, label: str, day: dt.date) -> None:
        # PrimeVue's date picker reads what is typed in its locale's format (mm/dd/yy).
        self.type(label, day.strftime("%m/%d/%Y"))

    def tap(self, label: str) -> str:
        """Press a time button (the first question so labelled); the time it stamped."""
        self.question(label).locator("label.value-option").click()
        stamped = self.question(label, nth=1).locator("input")
        stamped.wait_for()
        value = stamped.input_value()
        assert value, f"the button of {label!r} stamped no time"
        return value

    def rate(self, label: str, stars: int) -> None:
        handle = self.question(label).locator('[role="slider"]')
        handle.focus()
        handle.press("Home")
        for _ in range(stars - 1):
            handle.press("ArrowRight")

    def attach(self, label: str, name: str, content: bytes) -> None:
        question = self.question(label)
        question.locator('input[type="file"]').set_input_files(
            {"name": name, "mimeType": "image/jpeg", "buffer": content}
        )
        # Its preview shows once Web Forms has read (and scaled) the photo: Send before that
        # would find the required photo missing.
        question.locator("img").first.wait_for(timeout=SEND_MS)

    def send(self) -> list[Part]:
        """Press Send; the parts of the submission Web Forms made."""
        # The last control loses focus first, so its value is committed before the click.
        self.page.evaluate("document.activeElement && document.activeElement.blur()")
        self.page.get_by_role("button", name="Send").click()
        try:
            # Web Forms scales the photo down in the page before it sends: on CI's two busy
            # cores that took longer than Playwright's default 30 s once.
            self.page.wait_for_function("window.submission !== null", timeout=SEND_MS)
        except PlaywrightTimeout:
            shown = self.page.evaluate(
                "Array.from(document.querySelectorAll("
                "'.validation-message, [role=alert], .p-message, .error'))"
                ".map(e => e.innerText.trim()).filter(Boolean)"
            )
            raise AssertionError(f"Web Forms sent nothing; the page shows: {shown}") from None
        made = self.page.evaluate("window.submission")
        assert made["status"] == "ready", made
        return [
            Part(p["name"], p["filename"], p["type"], base64.b64decode(p["base64"]))
            for p in made["parts"]
        ]
