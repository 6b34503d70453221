"""The form list, forms, manifests and visits.csv, as Collect downloads them."""

import csv
import hashlib
import io

from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import User
from service.auth.roles import Role
from service.checklists.format import ChecklistChannel
from service.checklists.pinned import checklist_for_visit
from service.xforms import version_for
from tests.fixtures.factories import make_visit
from tests.fixtures.users import make_user
from tests.openrosa.collect import Collect, message
from tests.openrosa.conftest import BASE, app_token


def _md5(data: bytes) -> str:
    return "md5:" + hashlib.md5(data, usedforsecurity=False).hexdigest()


class TestFormList:
    def test_lists_the_forms_of_the_shoppers_open_visits(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        make_visit(session, shopper=shopper, channel=ChecklistChannel.call_1414)

        listed = collect.form_list()

        assert [f.form_id for f in listed] == ["S26-call_1414", "S26-in_person"]
        first = listed[1]
        assert first.version == version_for(checklist_for_visit(session, visit))
        assert first.version.endswith("-g1")
        assert first.name.startswith("Тайный покупатель, личный визит")
        assert first.download_url == collect.server_url + "/forms/S26-in_person/form.xml"
        assert first.manifest_url == collect.server_url + "/forms/S26-in_person/manifest"

    def test_the_hash_is_the_md5_of_the_form_bytes_and_stable(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        make_visit(session, shopper=shopper)

        (first,) = collect.form_list()
        (again,) = collect.form_list()
        form = collect.request("GET", first.download_url)

        assert form.status_code == 200
        assert form.headers["content-type"].startswith("text/xml")
        assert first.hash == again.hash == _md5(form.content)
        assert b"S26-in_person" in form.content

    def test_another_shoppers_visits_are_not_listed(
        self, client: TestClient, collect: Collect, session: Session, coordinator: User
    ) -> None:
        other = make_user(session, Role.shopper)
        make_visit(session, shopper=other)
        theirs = Collect(client, f"{BASE}/openrosa/key/{app_token(session, other, coordinator)}")

        assert collect.form_list() == []
        assert [f.form_id for f in theirs.form_list()] == ["S26-in_person"]
        refused = collect.request("GET", "/forms/S26-in_person/form.xml")
        assert refused.status_code == 404
        assert message(refused) == "Такой формы нет среди ваших визитов. Обновите список форм."

    def test_form_id_narrows_and_collects_extra_parameters_are_accepted(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        make_visit(session, shopper=shopper)
        make_visit(session, shopper=shopper, channel=ChecklistChannel.call_1414)

        response = collect.request(
            "GET",
            "/formList",
            params={"formID": "S26-call_1414", "verbose": "true", "deviceID": "collect:abc"},
        )

        assert response.status_code == 200
        assert response.content.count(b"<xform>") == 1
        assert b"<formID>S26-call_1414</formID>" in response.content


class TestManifest:
    def test_lists_visits_csv_with_its_md5_and_the_file_downloads(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper, notes="вход со двора")
        (form,) = collect.form_list()

        (media,) = collect.manifest(form.manifest_url)
        response = collect.request("GET", media.download_url)

        assert media.filename == "visits.csv"
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert media.hash == _md5(response.content)
        reader = csv.DictReader(io.StringIO(response.content.decode()))
        (row,) = reader
        # Engines make each row an element with one child per column: names must be XML's.
        assert reader.fieldnames == [
            "name",
            "label",
            "service",
            "office",
            "window",
            "return_comment",
        ]
        assert row["name"] == str(visit.id)
        assert row["label"] == "ЦОН №1, 2026-03-18..2026-03-18"
        assert row["service"] == "S26"
        assert row["return_comment"] == ""

    def test_the_hash_changes_when_the_shoppers_assignments_change(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        make_visit(session, shopper=shopper)
        (form,) = collect.form_list()
        (before,) = collect.manifest(form.manifest_url)

        make_visit(session, shopper=shopper)
        (after,) = collect.manifest(form.manifest_url)
        rows = collect.request("GET", after.download_url).content.decode().splitlines()

        assert before.hash != after.hash
        assert len(rows) == 3  # the header and both visits

    def test_an_unknown_media_file_is_404(
        self, collect: Collect, session: Session, shopper: User
    ) -> None:
        make_visit(session, shopper=shopper)

        response = collect.request("GET", "/forms/S26-in_person/media/other.csv")

        assert response.status_code == 404
        assert response.headers["x-openrosa-version"] == "1.0"
        assert message(response).startswith("Такой формы нет")
