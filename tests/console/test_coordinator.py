"""The coordinator's screens: the wave dashboard, assigning (one visit, a wave file), the
result follow-up and the review queue's keys, through the app as a browser would use them."""

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from service.auth.models import User
from service.auth.roles import Role
from service.console.session import CSRF_FIELD, LANGUAGE_COOKIE
from service.offices.schemas import OfficeKind
from service.photos.models import Photo
from service.visits.models import Visit, VisitResult
from service.visits.transitions import VisitStatus
from tests.conftest import AuthHeaders, FrozenClock
from tests.console.helpers import csrf_of, signed_in, submitted_visit
from tests.fixtures.factories import make_office, make_visit
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user
from tests.visits import test_result_follow_up as follow_up_cases

HEADER = "service_code,office_id,shopper_email,channel,window_start_at,window_end_at,wave"
START, END = "2026-03-20T09:00:00+05:00", "2026-03-20T18:00:00+05:00"


def _count(html: str, status: str) -> str:
    found = re.search(rf'id="count-{status}">([^<]*)<', html)
    assert found is not None, status
    return found.group(1)


def _tile(html: str, name: str) -> str:
    found = re.search(rf'id="tile-{name}" href="([^"]*)"><strong>([^<]*)</strong>', html)
    assert found is not None, name
    return f"{found.group(2)} {found.group(1)}"


class TestDashboard:
    def test_a_wave_by_status_overdue_flagged_and_awaiting_review(
        self, client: TestClient, session: Session, clock: FrozenClock, auth_headers: AuthHeaders
    ) -> None:
        make_visit(session, wave="w9")
        make_visit(session, wave="w9")
        make_visit(session, wave="other")
        waiting, _ = submitted_visit(client, session, clock)
        waiting.wave = "w9"
        photo = session.exec(select(Photo).where(col(Photo.visit_id) == waiting.id)).first()
        assert photo is not None
        photo.flags = ["outside-window"]
        session.flush()
        clock.advance(hours=10)  # the assigned visits' window (to 13:00 UTC) has ended
        signed_in(client, session, Role.coordinator)
        page = client.get("/console/waves/w9")
        assert page.status_code == 200
        assert (_count(page.text, "assigned"), _count(page.text, "submitted")) == ("2", "1")
        assert _count(page.text, "approved") == "0"
        assert _tile(page.text, "review") == (
            "1 /console/visits?wave=w9&amp;status=submitted&amp;sort=submitted"
        )
        assert _tile(page.text, "overdue") == "2 /console/visits?wave=w9&amp;overdue=true"
        assert _tile(page.text, "flagged") == "1 /console/visits?wave=w9&amp;flagged=true"
        api = client.get(
            api_path("summarise_visits"),
            params={"wave": "w9"},
            headers=auth_headers(Role.coordinator),
        ).json()
        assert (api["total"], api["overdue"], api["flagged_photos"]) == (3, 2, 1)
        assert api["by_status"]["assigned"] == 2

    def test_the_links_open_the_filtered_list(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        late = make_visit(session, wave="w9")
        clock.advance(hours=10)
        make_visit(session, wave="w9", window_end_at=clock.now.replace(hour=20))
        signed_in(client, session, Role.coordinator)
        overdue = client.get("/console/visits", params={"wave": "w9", "overdue": "true"})
        assert re.findall(r'href="/console/visits/([0-9a-f-]{36})"', overdue.text) == [str(late.id)]
        assert "/console/waves/w9" in client.get("/console/").text

    def test_the_start_page_of_a_coordinator_is_the_dashboard(
        self, client: TestClient, session: Session
    ) -> None:
        signed_in(client, session, Role.coordinator)
        page = client.get("/console/")
        assert "<h1>Сводка: Все визиты</h1>" in page.text

    def test_shoppers_get_the_403_page(self, client: TestClient, session: Session) -> None:
        signed_in(client, session, Role.shopper)
        for path in ("/console/waves/w1", "/console/assign", "/console/assign/wave"):
            response = client.get(path)
            assert response.status_code == 403
            assert "Доступ запрещён" in response.text


class TestAssignOne:
    def test_search_choose_and_assign(self, client: TestClient, session: Session) -> None:
        shopper = make_user(session, Role.shopper)
        shopper.full_name = "Айгерим Сапарова"
        office = make_office(session, name="ЦОН Есиль", services=["S26", "S33"])
        make_office(session, name="Call 1414", kind=OfficeKind.call_centre)
        signed_in(client, session, Role.coordinator)
        found = client.get("/console/assign", params={"shopper_q": "Сапар", "office_q": "Есиль"})
        shopper_link = f"/console/assign?shopper_id={shopper.id}&amp;office_q="
        assert shopper_link in found.text
        assert f"office_id={office.id}" in found.text
        assert "Call 1414" not in found.text
        by_email = client.get("/console/assign", params={"shopper_q": shopper.email.upper()})
        assert f"shopper_id={shopper.id}" in by_email.text  # in any letter case
        chosen = client.get(
            "/console/assign", params={"shopper_id": str(shopper.id), "office_id": office.id}
        )
        services = re.findall(r'<option value="(S\d+)"', chosen.text)
        assert services == ["S26", "S33"]
        assert re.findall(r'name="channel" required><option value="(\w+)"', chosen.text) == [
            "in_person"
        ]
        form = {
            CSRF_FIELD: csrf_of(chosen),
            "client_id": re.findall(r'name="client_id" value="([^"]+)"', chosen.text)[0],
            "shopper_id": str(shopper.id),
            "office_id": str(office.id),
            "service_code": "S33",
            "channel": "in_person",
            "window_start_at": "2026-03-20T09:00",
            "window_end_at": "2026-03-20T18:00",
            "wave": "w9",
        }
        made = client.post("/console/assign", data=form, follow_redirects=False)
        assert made.status_code == 303
        again = client.post("/console/assign", data=form, follow_redirects=False)
        assert again.headers["location"] == made.headers["location"]
        visits = session.exec(select(Visit).where(col(Visit.shopper_id) == shopper.id)).all()
        assert [(v.service_code, v.wave, v.window_start_at.hour) for v in visits] == [
            ("S33", "w9", 4)  # 09:00 in Kazakhstan
        ]

    def test_a_refused_assignment_is_shown_and_makes_nothing(
        self, client: TestClient, session: Session
    ) -> None:
        shopper = make_user(session, Role.shopper)
        office = make_office(session)
        signed_in(client, session, Role.coordinator)
        page = client.get(
            "/console/assign", params={"shopper_id": str(shopper.id), "office_id": office.id}
        )
        form = {
            CSRF_FIELD: csrf_of(page),
            "client_id": str(uuid.uuid4()),
            "shopper_id": str(shopper.id),
            "office_id": str(office.id),
            "service_code": "S26",
            "channel": "in_person",
            "window_start_at": "2026-03-01T09:00",
            "window_end_at": "2026-03-01T18:00",
        }
        refused = client.post("/console/assign", data=form)
        assert refused.status_code == 422
        assert "Окно визита уже прошло" in refused.text
        assert 'value="2026-03-01T09:00"' in refused.text
        assert session.exec(select(Visit).where(col(Visit.shopper_id) == shopper.id)).all() == []


def _wave_file(office_id: int, email: str, first_service: str) -> bytes:
    rows = [HEADER]
    rows += [
        f"{code},{office_id},{email},in_person,{START},{END},w9" for code in (first_service, "S26")
    ]
    return ("\n".join(rows) + "\n").encode()


class TestWaveFile:
    def test_every_bad_row_is_listed_then_the_fixed_file_assigns(
        self, client: TestClient, session: Session
    ) -> None:
        shopper = make_user(session, Role.shopper)
        office = make_office(session)
        signed_in(client, session, Role.coordinator)
        form = client.get("/console/assign/wave")
        client_id = re.findall(r'name="client_id" value="([^"]+)"', form.text)[0]
        data = {CSRF_FIELD: csrf_of(form), "client_id": client_id}
        bad = _wave_file(office.id or 0, shopper.email, "X1")
        refused = client.post(
            "/console/assign/wave", data=data, files={"file": ("w.csv", bad, "text/csv")}
        )
        assert refused.status_code == 422
        row = re.search(
            r"<tr><td>2</td><td><code>service_code</code></td><td>([^<]+)<", refused.text
        )
        assert row is not None
        assert row.group(1) == "Недопустимое значение"
        assert f'value="{client_id}"' in refused.text  # nothing was written under it
        fixed = _wave_file(office.id or 0, shopper.email, "S33")
        done = client.post(
            "/console/assign/wave", data=data, files={"file": ("w.csv", fixed, "text/csv")}
        )
        assert done.status_code == 200
        assert "Назначено визитов: 2; уже были назначены: 0" in done.text
        waves = session.exec(select(Visit.service_code).where(col(Visit.wave) == "w9")).all()
        assert sorted(waves) == ["S26", "S33"]

    @pytest.mark.parametrize(
        ("language", "problem", "detail"),
        [
            ("kk", "Жарамсыз мән", None),
            ("en", "Invalid value", "expected a service code such as S26"),
        ],
    )
    def test_a_problem_reads_in_the_pages_language_details_in_english_only(
        self, client: TestClient, session: Session, language: str, problem: str, detail: str | None
    ) -> None:
        shopper = make_user(session, Role.shopper)
        office = make_office(session)
        signed_in(client, session, Role.coordinator)
        client.cookies.set(LANGUAGE_COOKIE, language)
        form = client.get("/console/assign/wave")
        data = {CSRF_FIELD: csrf_of(form), "client_id": str(uuid.uuid4())}
        bad = _wave_file(office.id or 0, shopper.email, "X1")
        refused = client.post(
            "/console/assign/wave", data=data, files={"file": ("w.csv", bad, "text/csv")}
        )
        row = re.search(r"<tr><td>2</td><td><code>service_code</code></td>(.*?)</tr>", refused.text)
        assert row is not None
        cells = re.findall(r"<td>([^<]*)</td>", row.group(1))
        assert cells == [problem] + ([detail] if detail else [])
        assert ("expected a service code" in refused.text) == (language == "en")

    def test_a_file_that_is_not_csv_is_explained(
        self, client: TestClient, session: Session
    ) -> None:
        signed_in(client, session, Role.coordinator)
        form = client.get("/console/assign/wave")
        data = {CSRF_FIELD: csrf_of(form), "client_id": str(uuid.uuid4())}
        refused = client.post(
            "/console/assign/wave", data=data, files={"file": ("w.csv", b"a,b\n1,2\n", "text/csv")}
        )
        assert refused.status_code == 422
        assert "unknown columns: a, b" in refused.text


class TestResultFollowUp:
    def test_recording_the_result_changes_the_verdict_shown(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        # Filed on 18 March with no result yet: pending; received 3 April, two days late.
        visit = follow_up_cases.submitted(client, session, clock, shopper)
        signed_in(client, session, Role.coordinator)
        token = csrf_of(client.get(f"/console/visits/{visit.id}"))
        client.post(
            f"/console/visits/{visit.id}/review", data={"action": "approve", CSRF_FIELD: token}
        )
        clock.advance(days=21)
        signed_in(client, session, Role.coordinator)  # the idle timeout signed them out
        before = client.get(f"/console/visits/{visit.id}")
        verdict_before = re.search(r'id="deadline-verdict">([^<]+)<', before.text)
        assert verdict_before is not None
        form = {
            CSRF_FIELD: csrf_of(before),
            "client_id": str(uuid.uuid4()),
            "received_on": "2026-04-03",
        }
        after = client.post(f"/console/visits/{visit.id}/result", data=form)
        assert after.status_code == 200
        row = session.exec(select(VisitResult).where(col(VisitResult.visit_id) == visit.id)).one()
        assert (row.deadline_before, row.deadline_after) == ("pending", "late")
        assert verdict_before.group(1) == "Ожидается: результата пока нет"
        verdict_after = re.search(r'id="deadline-verdict">([^<]+)<', after.text)
        assert verdict_after is not None
        assert verdict_after.group(1) != verdict_before.group(1)
        change = re.search(r'id="verdict-change">([^<]+)<', after.text)
        assert change is not None
        assert change.group(1) == f"{verdict_before.group(1)} → {verdict_after.group(1)}"
        assert "С опозданием" in after.text
        assert "Принят" in after.text  # the visit stays approved

    @pytest.mark.parametrize(
        ("dates", "message"),
        [
            ({}, "Укажите день готовности результата"),
            ({"received_on": "2027-01-01"}, "Даты результата отклонены"),
        ],
    )
    def test_refused_dates_are_explained(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        dates: dict[str, str],
        message: str,
    ) -> None:
        visit, _ = submitted_visit(client, session, clock)
        signed_in(client, session, Role.coordinator)
        token = csrf_of(client.get(f"/console/visits/{visit.id}"))
        form = {CSRF_FIELD: token, "client_id": str(uuid.uuid4()), **dates}
        response = client.post(f"/console/visits/{visit.id}/result", data=form)
        assert message in response.text
        assert session.exec(select(VisitResult)).all() == []


class TestReviewQueue:
    def test_next_visit_link_and_the_keys_help(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        first, _ = submitted_visit(client, session, clock)
        second, _ = submitted_visit(client, session, clock)
        signed_in(client, session, Role.coordinator)
        page = client.get(f"/console/visits/{first.id}")
        assert f'id="next-visit" href="/console/visits/{second.id}"' in page.text
        assert '<script src="/console/static/review-keys.js"></script>' in page.text
        assert "<title>Проверка визита · mshop</title>" in page.text
        assert page.text.count('class="keys"') == 1
        assert "Сочетания клавиш" in page.text
        assert 'id="action-approve"' in page.text
        script = client.get("/console/static/review-keys.js")
        assert script.status_code == 200
        assert 'case "n": case "j": follow("next-visit")' in script.text


@pytest.mark.parametrize(
    "path", ["/console/assign", "/console/assign/wave", "/console/visits/{visit}/result"]
)
def test_a_form_without_its_token_is_refused(
    client: TestClient, session: Session, path: str
) -> None:
    visit = make_visit(session)
    signed_in(client, session, Role.coordinator)
    response = client.post(path.format(visit=visit.id), data={"wave": "w1"})
    assert response.status_code == 403
    assert session.exec(select(Visit).where(col(Visit.status) != VisitStatus.assigned)).all() == []
