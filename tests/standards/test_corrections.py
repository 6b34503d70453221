"""A fixed standard file loads into a database that has the old one, as a correction.

The shipped standards are an extraction of the report; when one is fixed with the same
``effective_from`` (a deadline misread), ``mshop standards load`` must take the fix: it becomes
a new version superseding the old one, new assignments get it, assigned visits keep theirs.
"""

import datetime as dt
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import User
from service.auth.roles import Role
from service.config import Settings
from service.standards import service as standards_service
from service.standards.catalogue import StandardBody
from tests.conftest import AuthHeaders
from tests.fixtures.factories import make_visit
from tests.fixtures.routes import api_path

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
ON = dt.date(2026, 3, 18)


def fixed_catalogue(settings: Settings, tmp_path: Path, days: int) -> Path:
    """The shipped catalogue with S26's 7 working days read as ``days``, same effective_from."""
    folder = tmp_path / "standards"
    shutil.copytree(settings.catalogue_dir, folder)
    s26 = folder / "S26.yaml"
    text = s26.read_text(encoding="utf-8")
    assert "  amount: 7\n" in text
    s26.write_text(text.replace("  amount: 7\n", f"  amount: {days}\n"), encoding="utf-8")
    return folder


def days_of(session: Session, standard_id: int) -> int:
    body = standards_service.body_of(standards_service.get_standard_by_id(session, standard_id))
    return body.deadlines[0].amount


def test_a_fixed_file_supersedes_the_loaded_version(
    session: Session, settings: Settings, tmp_path: Path, shopper: User
) -> None:
    before = make_visit(session, shopper=shopper, service_code="S26")
    old = standards_service.get_standard(session, "S26", ON)

    report = standards_service.load_standards(
        session, fixed_catalogue(settings, tmp_path, 9), now=NOW
    )

    assert report.corrected == [f"S26@{old.effective_from.isoformat()}"]
    assert report.created == 1
    new = standards_service.get_standard(session, "S26", ON)
    assert (new.effective_from, new.supersedes_version) == (old.effective_from, old.version)
    assert new.version > old.version
    assert new.id is not None
    assert days_of(session, new.id) == 9
    after = make_visit(session, shopper=shopper, service_code="S26")
    assert after.standard_id == new.id
    assert after.checklist_id != before.checklist_id  # built from the corrected standard
    session.refresh(before)
    assert before.standard_id == old.id  # assigned visits keep the version they had
    assert days_of(session, before.standard_id) == 7


def test_loading_the_fixed_folder_again_changes_nothing(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    folder = fixed_catalogue(settings, tmp_path, 9)
    standards_service.load_standards(session, folder, now=NOW)
    again = standards_service.load_standards(session, folder, now=NOW)
    assert (again.created, again.corrected) == (0, [])
    versions = standards_service.versions_of(session, "S26")
    assert [v.supersedes_version for v in versions] == [None, versions[0].version]


def test_a_second_fix_supersedes_the_first_and_the_api_shows_the_chain(
    session: Session,
    settings: Settings,
    tmp_path: Path,
    client: TestClient,
    auth_headers: AuthHeaders,
) -> None:
    original = standards_service.get_standard(session, "S26", ON)
    standards_service.load_standards(session, fixed_catalogue(settings, tmp_path / "a", 9), now=NOW)
    first = standards_service.get_standard(session, "S26", ON)
    standards_service.load_standards(session, fixed_catalogue(settings, tmp_path / "b", 8), now=NOW)
    second = standards_service.get_standard(session, "S26", ON)
    assert second.supersedes_version == first.version
    assert second.id is not None
    assert days_of(session, second.id) == 8

    reader = auth_headers(Role.shopper)
    read = client.get(api_path("read_service", code="S26") + f"?on={ON}", headers=reader)
    assert read.status_code == 200, read.text
    assert read.json()["deadlines"][0]["amount"] == 8
    chain = [(v["version"], v["supersedes_version"]) for v in read.json()["versions"]]
    assert chain == [
        (original.version, None), (first.version, original.version), (second.version, first.version)
    ]  # fmt: skip
    listed = client.get(api_path("list_services") + f"?limit=200&on={ON}", headers=reader)
    s26 = [row for row in listed.json()["items"] if row["code"] == "S26"]
    assert [row["deadlines"][0]["amount"] for row in s26] == [8]  # one row: the latest fix


def test_a_version_of_a_used_date_from_elsewhere_is_still_refused(session: Session) -> None:
    """Only the shipped files are corrected on load; what a programme publishes never changes."""
    old = standards_service.get_standard(session, "S26", ON)
    changed = dict(old.body) | {"name_en": "Renamed over an existing date"}
    with pytest.raises(standards_service.StandardVersionExists, match="never change"):
        standards_service.add_version(session, "S26", StandardBody.model_validate(changed), now=NOW)
    assert [v.version for v in standards_service.versions_of(session, "S26")] == [old.version]
