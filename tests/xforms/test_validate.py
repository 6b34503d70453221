"""Every generated form passes ODK Validate (JavaRosa, the engine inside Collect)."""

import shutil
import subprocess
from pathlib import Path

import pytest
from pyxform.validators.odk_validate import ODK_VALIDATE_PATH

from tests.xforms.forms import SERVICES, checklists, form_id, xform

pytestmark = pytest.mark.slow


def _validate(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    # One JVM for all the forms: ODK Validate takes several files and names those that fail.
    command = ["java", "-Djava.awt.headless=true", "-jar", ODK_VALIDATE_PATH]
    return subprocess.run(
        [*command, *map(str, paths)], capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def java() -> None:
    if shutil.which("java") is None:
        pytest.fail("java is missing: .ci/run installs default-jre-headless")


def test_every_service_and_channel_has_a_form() -> None:
    forms = {form_id(c) for c in checklists()}
    assert {f.split("-")[0] for f in forms} == set(SERVICES)
    assert {f"{s}-{c}" for s in SERVICES for c in ("in_person", "call_1414")} <= forms


@pytest.mark.usefixtures("java")
def test_every_form_passes_odk_validate(tmp_path: Path) -> None:
    distinct: dict[str, Path] = {}
    for checklist in checklists():
        form = xform(checklist)
        if form.md5 not in distinct:
            path = tmp_path / f"{form.form_id}.xml"
            path.write_bytes(form.xml)
            distinct[form.md5] = path
    result = _validate(list(distinct.values()))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert result.stdout.count("Xform is valid!") == len(distinct)


@pytest.mark.usefixtures("java")
def test_odk_validate_refuses_a_broken_form(tmp_path: Path) -> None:
    # The check above can fail: a form with a broken relevance is refused and named.
    form = xform(checklists()[0])
    broken = form.xml.replace(b'relevant="', b'relevant="bogus(', 1)
    good, bad = tmp_path / "good.xml", tmp_path / "bad.xml"
    good.write_bytes(form.xml)
    bad.write_bytes(broken)
    result = _validate([good, bad])
    assert result.returncode != 0
    assert "bad.xml" in result.stdout.split("failed validation")[-1]
