"""Offices and the printable wave report (the report's Tables 1-3), as a browser would use them."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, select

from service.auth.roles import Role
from service.console.i18n import number
from service.console.session import CSRF_FIELD, LANGUAGE_COOKIE
from service.offices.models import Office
from tests.conftest import AuthHeaders
from tests.console.helpers import client_id_of, csrf_of, signed_in
from tests.console.test_accounts import reread
from tests.fixtures.routes import api_path
from tests.reports.data import Dataset

OFFICE_FORM = {
    "name": "ЦОН района Байконыр",
    "kind": "con",
    "region": "astana",
    "city": "Астана",
    "address": "",
    "latitude": "51.16",
    "longitude": "",
}


class TestOffices:
    def _create(self, client: TestClient, **changes: str) -> Response:
        return client.post("/console/offices", data=self._form(client, **changes))

    def _form(self, client: TestClient, **changes: str) -> dict[str, Any]:
        """The new-office form filled in, with the token and client id its page carries."""
        page = client.get("/console/offices/new")
        key = client_id_of(page, "/console/offices")
        extra = {"services": ["S26", "S33"], "client_id": key, CSRF_FIELD: csrf_of(page)}
        return {**OFFICE_FORM, **changes, **extra}

    def test_a_form_sent_twice_makes_one_office(self, client: TestClient, session: Session) -> None:
        signed_in(client, session, Role.coordinator)
        form = self._form(client)
        first, second = (
            client.post("/console/offices", data=form),
            client.post("/console/offices", data=form),
        )
        assert 'id="office-channel">Лично' in first.text
        assert 'id="office-channel">Лично' in second.text
        made = session.exec(select(Office).where(Office.name == OFFICE_FORM["name"])).all()
        assert len(made) == 1
        assert str(made[0].client_id) == form["client_id"]

    def test_create_then_edit_the_services_offered(
        self, client: TestClient, session: Session
    ) -> None:
        signed_in(client, session, Role.coordinator)
        created = self._create(client)
        assert created.status_code == 200
        assert 'id="office-channel">Лично' in created.text
        office = session.exec(select(Office).where(Office.name == OFFICE_FORM["name"])).one()
        assert (office.services, office.latitude, office.address) == (["S26", "S33"], 51.16, None)
        here = f"/console/offices/{office.id}"
        token = csrf_of(client.get(here))
        form = {**OFFICE_FORM, "kind": "call_centre", "name": "Колл-центр 1414"}
        edited = client.post(here, data={**form, "services": ["S33"], CSRF_FIELD: token})
        assert "Сохранено." in edited.text
        assert 'id="office-channel">Звонок на 1414' in edited.text
        office = reread(session, office)
        assert (office.name, office.kind, office.services) == (
            "Колл-центр 1414",
            "call_centre",
            ["S33"],
        )
        listing = client.get("/console/offices", params={"kind": "call_centre"})
        assert "Колл-центр 1414" in listing.text

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"latitude": "10"}, "Проверьте поля"),
            ({"name": ""}, "Проверьте поля"),
        ],
    )
    def test_bad_fields_are_shown_and_nothing_created(
        self, client: TestClient, session: Session, changes: dict[str, str], message: str
    ) -> None:
        signed_in(client, session, Role.coordinator)
        before = len(session.exec(select(Office)).all())
        response = self._create(client, **changes)
        assert message in response.text
        assert len(session.exec(select(Office)).all()) == before

    def test_a_service_outside_the_catalogue_changes_nothing(
        self, client: TestClient, session: Session, report_data: Dataset
    ) -> None:
        signed_in(client, session, Role.admin)
        office = session.get(Office, report_data.offices["A"])
        assert office is not None
        before = list(office.services)
        here = f"/console/offices/{office.id}"
        token = csrf_of(client.get(here))
        response = client.post(here, data={**OFFICE_FORM, "services": ["S99"], CSRF_FIELD: token})
        assert "Услуги нет в каталоге." in response.text
        office = reread(session, office)
        assert (office.name, office.services) != (OFFICE_FORM["name"], ["S99"])
        assert office.services == before


MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
FEBRUARY = {"compare_from": "2026-02-01", "compare_to": "2026-02-28"}


def fmt(value: float | None, digits: int = 2) -> str:
    return number(value, "ru", digits)


CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.DOTALL)


def table_rows(html: str, table_id: str, part: str = "tbody") -> list[list[str]]:
    """The cells of ``table_id``'s body (or foot), as text."""
    table = html.split(f'id="{table_id}"')[1].split("</table>")[0]
    body = table.split(f"<{part}>")[1].split(f"</{part}>")[0]
    return [
        [re.sub(r"\s+", " ", cell).strip() for cell in CELL.findall(row)]
        for row in body.split("</tr>")
        if "<t" in row
    ]


class TestWaveReport:
    def test_tables_1_to_3_are_the_apis_rankings(
        self,
        client: TestClient,
        session: Session,
        report_data: Dataset,
        auth_headers: AuthHeaders,
    ) -> None:
        signed_in(client, session, Role.analyst)
        headers = auth_headers(Role.analyst)
        page = client.get("/console/reports/wave", params={**MARCH, **FEBRUARY})
        assert page.status_code == 200
        services = client.get(api_path("rank_services"), params=MARCH, headers=headers).json()
        agencies = client.get(
            api_path("rank_agencies"), params={**MARCH, **FEBRUARY}, headers=headers
        ).json()
        regions = client.get(
            api_path("rank_regions"),
            params={**MARCH, **FEBRUARY, "level": "local"},
            headers=headers,
        ).json()
        table_1 = table_rows(page.text, "table-1")
        assert [row[1].split()[0] for row in table_1] == [
            row["service_code"] for row in services["items"]
        ]
        table_2 = table_rows(page.text, "table-2")
        assert [row[1].split()[0] for row in table_2] == [
            row["agency"] for row in agencies["items"]
        ]
        table_3 = table_rows(page.text, "table-3")
        assert [row[1] for row in table_3] == [row["name_ru"] for row in regions["items"]]
        # МТСЗН in March against February (V9 alone): rank, mean and change, share and change
        # in points, n rated, visits, visits then.
        labour = next(row for row in table_2 if row[1].startswith("МТСЗН"))
        assert [labour[0], *labour[2:]] == ["2", "4,33", "+0,33", "33,3", "+33,3", "3", "3", "1"]
        total = table_rows(page.text, "table-1", "tfoot")[0]
        assert total[1] == "Всего"
        assert total[-1] == str(services["total"]["visits"])
        assert total[-2] == str(services["total"]["rated"])

    @pytest.mark.parametrize(
        ("language", "service", "agency", "region"),
        [
            ("en", "S33 Assignment of childbirth and childcare allowances",
             "МТСЗН · Ministry of Labour and Social Protection of the Population", "Astana"),
            ("kk", "S33 Назначение пособий на рождение", "МТСЗН · Министерство труда",
             "Астана қ."),
            ("ru", "S33 Назначение пособий на рождение", "МТСЗН · Министерство труда",
             "г. Астана"),
        ],
    )  # fmt: skip
    def test_names_are_in_the_readers_language_where_the_catalogue_has_them(
        self,
        client: TestClient,
        session: Session,
        report_data: Dataset,
        language: str,
        service: str,
        agency: str,
        region: str,
    ) -> None:
        # The catalogue names services and agencies in Russian and English, not Kazakh: a
        # Kazakh page reads them in Russian. Regions are named in all three.
        signed_in(client, session, Role.analyst)
        client.cookies.set(LANGUAGE_COOKIE, language)
        page = client.get("/console/reports/wave", params=MARCH).text
        services = [row[1] for row in table_rows(page, "table-1")]
        assert any(name.startswith(service) for name in services), services
        agencies = [row[1] for row in table_rows(page, "table-2")]
        assert any(name.startswith(agency) for name in agencies), agencies
        # Table 3: March's local services (S39) were seen in Almaty; the filter lists all.
        assert [row[1] for row in table_rows(page, "table-3")] == [
            {"en": "Almaty", "kk": "Алматы қ.", "ru": "г. Алматы"}[language]
        ]
        assert f'<option value="astana">{region}</option>' in page

    def test_the_services_chart_follows_the_pages_language(
        self, client: TestClient, session: Session, report_data: Dataset
    ) -> None:
        signed_in(client, session, Role.analyst)
        tags = {}
        for language in ("ru", "kk", "en"):
            client.cookies.set(LANGUAGE_COOKIE, language)
            chart = client.get("/console/reports/services.png", params=MARCH)
            assert chart.status_code == 200
            assert chart.content.startswith(b"\x89PNG")
            assert chart.headers["content-language"] == language
            tags[language] = chart.headers["etag"]
        assert len(set(tags.values())) == 3

    def test_ranked_by_compliance_as_the_api_ranks(
        self,
        client: TestClient,
        session: Session,
        report_data: Dataset,
        auth_headers: AuthHeaders,
    ) -> None:
        signed_in(client, session, Role.coordinator)
        params = {**MARCH, "rank_by": "compliance"}
        page = client.get("/console/reports/wave", params=params)
        api = client.get(
            api_path("rank_agencies"), params=params, headers=auth_headers(Role.coordinator)
        ).json()
        shown = table_rows(page.text, "table-2")
        assert [row[1].split()[0] for row in shown] == [row["agency"] for row in api["items"]]
        # Mean grade, share of grade 5 and the n graded, for each agency.
        assert [row[2:5] for row in shown] == [
            [fmt(row["mean_grade"]), fmt(row["share_grade_5"], 1), str(row["graded"])]
            for row in api["items"]
        ]

    def test_without_a_comparison_period_the_change_columns_are_left_out(
        self, client: TestClient, session: Session, report_data: Dataset
    ) -> None:
        signed_in(client, session, Role.coordinator)
        page = client.get("/console/reports/wave", params={"wave": "w1"})
        assert page.status_code == 200
        assert "Изменение" not in page.text
        assert len(table_rows(page.text, "table-2")[0]) == 6

    def test_the_print_stylesheet_leaves_out_the_controls(self, client: TestClient) -> None:
        css = client.get("/console/static/console.css").text
        printed = "".join(css.split("@media print")[1:])
        for rule in ("header.top", "form.filters", ".print-hint", "@page"):
            assert rule in printed

    def test_a_half_comparison_period_is_the_problem_page(
        self, client: TestClient, session: Session
    ) -> None:
        signed_in(client, session, Role.analyst)
        response = client.get("/console/reports/wave", params={"compare_from": "2026-02-01"})
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")


class TestServicesReportChannel:
    def test_ranks_one_channel_as_the_api_does(
        self,
        client: TestClient,
        session: Session,
        report_data: Dataset,
        auth_headers: AuthHeaders,
    ) -> None:
        # Astana's S33 in wave w1: V1 in person and V3 by a 1414 call, never pooled.
        signed_in(client, session, Role.analyst)
        params = {"region": "astana", "wave": "w1"}
        api = client.get(
            api_path("rank_services"), params=params, headers=auth_headers(Role.analyst)
        ).json()
        assert [(row["service_code"], row["visits"]) for row in api["items"]] == [("S33", 1)]
        page = client.get("/console/reports/services", params=params)
        (row,) = table_rows(page.text, "services-table")
        assert (row[1].split()[0], row[2]) == ("S33", "1")
        assert '<option value="in_person" selected>' in page.text
        call = client.get("/console/reports/services", params={**params, "channel": "call_1414"})
        (row,) = table_rows(call.text, "services-table")
        assert (row[1].split()[0], row[2]) == ("S33", "1")
