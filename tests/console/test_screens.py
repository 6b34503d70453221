"""The coordinator's and analyst's screens, through the app as a browser would use them."""

import csv
import datetime as dt
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.roles import Role
from service.console.session import CSRF_FIELD, LANGUAGE_COOKIE
from service.scoring.models import VisitScore
from service.visits import repository
from service.visits.models import Visit
from service.visits.transitions import VisitStatus
from tests.conftest import AuthHeaders, FrozenClock
from tests.console.helpers import client_id_of, csrf_of, resubmit, signed_in, submitted_visit
from tests.fixtures.factories import make_visit
from tests.fixtures.routes import api_path
from tests.reports.data import Dataset
from tests.scoring.test_rules import Visit as ScoredVisit
from tests.scoring.test_rules import at

MOVE_REFUSED = "В текущем состоянии визита это действие недоступно."

ROW_LINK = re.compile(r'href="/console/visits/([0-9a-f-]{36})"')


def _rows(html: str) -> list[str]:
    return ROW_LINK.findall(html)


class TestVisitsList:
    def test_filters_sort_and_pages_live_in_the_url(
        self, client: TestClient, session: Session, report_data: Dataset
    ) -> None:
        signed_in(client, session, Role.coordinator)
        page = client.get("/console/visits", params={"status": "approved", "wave": "w2"})
        assert page.status_code == 200
        expected = {str(report_data.visits[k]) for k in ("V5", "V6", "V11")}
        assert set(_rows(page.text)) == expected
        assert "Найдено визитов: 3" in page.text
        by_window = _rows(page.text)
        newest = client.get(
            "/console/visits",
            params={"status": "approved", "wave": "w2", "sort": "window", "desc": "true"},
        )
        assert _rows(newest.text) == list(reversed(by_window))
        assert 'aria-sort="descending"' in newest.text

    def test_the_api_and_the_list_agree(
        self,
        client: TestClient,
        session: Session,
        report_data: Dataset,
        auth_headers: AuthHeaders,
    ) -> None:
        signed_in(client, session, Role.coordinator)
        api = client.get(
            api_path("list_visits"),
            params={"region": "karaganda", "limit": 200},
            headers=auth_headers(Role.coordinator),
        ).json()
        page = client.get("/console/visits", params={"region": "karaganda"})
        assert sorted(_rows(page.text)) == sorted(v["id"] for v in api["items"])
        assert api["total"] == 3

    def test_empty_fields_of_the_form_are_dropped_from_the_url(
        self, client: TestClient, session: Session
    ) -> None:
        signed_in(client, session, Role.coordinator)
        response = client.get(
            "/console/visits?status=&region=astana&wave=&sort=window", follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/console/visits?region=astana&sort=window"

    def test_pages_of_twenty_five(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        signed_in(client, session, Role.coordinator)
        for _ in range(27):
            make_visit(session, wave="big")
        first = client.get("/console/visits", params={"wave": "big"})
        second = client.get("/console/visits", params={"wave": "big", "page": 2})
        assert len(_rows(first.text)) == 25
        assert len(_rows(second.text)) == 2
        assert not set(_rows(first.text)) & set(_rows(second.text))
        assert "/console/visits?wave=big&amp;page=2" in first.text
        assert "Страница 2 / 2" in second.text


class TestReview:
    def test_shows_answers_photos_score_and_history(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        visit, _ = submitted_visit(client, session, clock)
        signed_in(client, session, Role.coordinator)
        page = client.get(f"/console/visits/{visit.id}")
        assert page.status_code == 200
        assert "Ожидает проверки" in page.text
        thumbs = re.findall(r'src="/console/photos/([0-9a-f-]{36})/thumb"', page.text)
        assert thumbs, "the photos are shown beside their items"
        image = client.get(f"/console/photos/{thumbs[0]}/thumb")
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/jpeg"
        assert client.get(f"/console/photos/{thumbs[0]}/display").status_code == 200
        for action in ("approve", "return", "reject"):
            assert f'name="action" value="{action}"' in page.text
        assert "История" in page.text
        assert "Отправить" in page.text  # the shopper's submit, in the history
        # Answers read as words and local times, not as the codes and UTC text the phone sent.
        answers = page.text.split('id="answers-heading"')[1].split("</section>")[0]
        assert re.search(r"\d{4}-\d{2}-\d{2}T\d", answers) is None
        assert re.search(r"<td>\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}</td>", answers)
        assert "<td>Да</td>" in answers
        assert "<td>yes</td>" not in answers

    @pytest.mark.parametrize(
        ("language", "message", "source"),
        [
            ("kk", "Күту 40 мин (мониторинг бағдарламасының нормасы: 15 минут;",
             "Мониторинг бағдарламасы — кезекте күту: 15 минут, мониторинг бағдарламасының "
             "нормасы (стандартта белгіленбеген)"),
            ("ru", "Ожидание 40 мин (норма программы мониторинга: 15 минут;",
             "Программа мониторинга — ожидание в очереди: 15 минут, норма программы "
             "мониторинга (стандарт не устанавливает)"),
            ("en", "Wait 40 min (the monitoring programme&#39;s norm: 15 minutes;",
             "Monitoring programme — wait in the queue: 15 minutes, the monitoring "
             "programme&#39;s norm (the standard sets none)"),
        ],
    )  # fmt: skip
    def test_findings_in_the_users_language_with_their_source(
        self, client: TestClient, session: Session, language: str, message: str, source: str
    ) -> None:
        visit = make_visit(session, service_code="S33")
        result = (
            ScoredVisit("S33")
            .set(ticket_taken_at=at("10:05"), number_called_at=at("10:45"))
            .set(service_started_at=at("10:46"), service_ended_at=at("10:56"))
            .set(result_received_on="2026-02-13", notification_received_on="2026-02-13")
            .score()
        )
        session.add(
            VisitScore(
                visit_id=visit.id,
                rules_version=result.rules_version,
                result=result.model_dump(mode="json"),
                computed_at=dt.datetime(2026, 2, 14, tzinfo=dt.UTC),
            )
        )
        session.flush()
        signed_in(client, session, Role.coordinator)
        client.cookies.set(LANGUAGE_COOKIE, language)
        page = client.get(f"/console/visits/{visit.id}").text
        assert message in page
        assert source in page
        # The deadline finding cites the standard and the report line of S33's deadline.
        line = {"kk": "Есеп жолы", "ru": "Строка отчёта", "en": "Report line"}[language]
        assert f"{line} 2934" in page
        # The standard's clause in the reader's language too, not the English one.
        deadline = {"kk": "мерзім: 7 жұмыс күні", "ru": "срок: 7 рабочих дней"}
        assert deadline.get(language, "deadline: 7 working days") in page

    def test_return_then_approve_after_the_shopper_resubmits(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        visit, shopper = submitted_visit(client, session, clock)
        signed_in(client, session, Role.coordinator)
        page = client.get(f"/console/visits/{visit.id}")
        review = f"/console/visits/{visit.id}/review"
        returned = client.post(
            review,
            data={
                "action": "return",
                "comment": "Фото табло размыто",
                "client_id": client_id_of(page, review),
                CSRF_FIELD: csrf_of(page),
            },
        )
        assert returned.status_code == 200
        assert "Возвращён тайному покупателю" in returned.text
        assert "Фото табло размыто" in returned.text
        resubmit(client, visit.id, shopper, clock)
        page = client.get(f"/console/visits/{visit.id}")
        assert "Ожидает проверки" in page.text
        key = client_id_of(page, review)
        approved = client.post(
            review, data={"action": "approve", "client_id": key, CSRF_FIELD: csrf_of(page)}
        )
        assert "Принят" in approved.text
        session.expire_all()
        assert session.get(Visit, visit.id).status == VisitStatus.approved  # type: ignore[union-attr]

    def test_return_without_comment_is_refused_and_changes_nothing(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        visit, _ = submitted_visit(client, session, clock)
        signed_in(client, session, Role.coordinator)
        page = client.get(f"/console/visits/{visit.id}")
        review = f"/console/visits/{visit.id}/review"
        key = client_id_of(page, review)
        response = client.post(
            review, data={"action": "return", "client_id": key, CSRF_FIELD: csrf_of(page)}
        )
        assert "Чтобы вернуть или отклонить визит, нужен комментарий." in response.text
        session.expire_all()
        assert session.get(Visit, visit.id).status == VisitStatus.submitted  # type: ignore[union-attr]

    @pytest.mark.parametrize(
        ("comment", "said"),
        [
            ("Фото\x00 табло", "Комментарий отклонён: длиннее 2 000 символов или содержит"),
            ("x" * 2001, "Комментарий отклонён: длиннее 2 000 символов или содержит"),
            ("   ", "Чтобы вернуть или отклонить визит, нужен комментарий."),
        ],
        ids=["control-character", "too-long", "blank"],
    )
    def test_a_refused_comment_is_told_as_refused_and_changes_nothing(
        self, client: TestClient, session: Session, clock: FrozenClock, comment: str, said: str
    ) -> None:
        visit, _ = submitted_visit(client, session, clock)
        signed_in(client, session, Role.coordinator)
        page = client.get(f"/console/visits/{visit.id}")
        review = f"/console/visits/{visit.id}/review"
        response = client.post(
            review,
            data={
                "action": "reject",
                "comment": comment,
                "client_id": client_id_of(page, review),
                CSRF_FIELD: csrf_of(page),
            },
        )
        assert said in response.text
        session.expire_all()
        stored = session.get(Visit, visit.id)
        assert stored is not None
        assert (stored.status, stored.review_comment) == (VisitStatus.submitted, None)

    def test_reopen_an_approved_visit_with_a_reason(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        visit, _ = submitted_visit(client, session, clock)
        signed_in(client, session, Role.coordinator)
        page = client.get(f"/console/visits/{visit.id}")
        token, review = csrf_of(page), f"/console/visits/{visit.id}/review"
        key = client_id_of(page, review)
        client.post(review, data={"action": "approve", "client_id": key, CSRF_FIELD: token})
        reopen = f"/console/visits/{visit.id}/reopen"
        form = {
            "reason": "Жалоба гражданина",
            "client_id": client_id_of(client.get(f"/console/visits/{visit.id}"), reopen),
            CSRF_FIELD: token,
        }
        reopened = client.post(reopen, data=form)
        assert "Ожидает проверки" in reopened.text
        assert "Жалоба гражданина" in reopened.text
        again = client.post(reopen, data=form)  # the form sent twice: reopened once
        assert "Ожидает проверки" in again.text
        actions = [e.action for e in repository.events(session, visit.id)]
        assert actions.count("reopen") == 1

    def test_a_review_form_sent_twice_decides_once(
        self, client: TestClient, session: Session, clock: FrozenClock
    ) -> None:
        visit, _ = submitted_visit(client, session, clock)
        signed_in(client, session, Role.coordinator)
        page = client.get(f"/console/visits/{visit.id}")
        review = f"/console/visits/{visit.id}/review"
        form = {"action": "approve", "client_id": client_id_of(page, review)}
        first = client.post(review, data=form | {CSRF_FIELD: csrf_of(page)})
        second = client.post(review, data=form | {CSRF_FIELD: csrf_of(page)})
        assert "Принят" in first.text
        assert "Принят" in second.text
        assert MOVE_REFUSED not in second.text
        actions = [e.action for e in repository.events(session, visit.id)]
        assert actions.count("approve") == 1
        # The same key with another decision is refused, and the visit stays approved.
        rejected = form | {"action": "reject", "comment": "нет", CSRF_FIELD: csrf_of(page)}
        other = client.post(review, data=rejected)
        assert "Визит изменил кто-то другой; откройте его заново." in other.text
        session.expire_all()
        assert session.get(Visit, visit.id).status == VisitStatus.approved  # type: ignore[union-attr]

    def test_unknown_visit_is_the_404_page(self, client: TestClient, session: Session) -> None:
        signed_in(client, session, Role.coordinator)
        response = client.get("/console/visits/00000000-0000-4000-8000-000000000000")
        assert response.status_code == 404
        assert "Такой страницы или визита нет." in response.text


class TestServicesReport:
    def test_table_matches_the_api(
        self,
        client: TestClient,
        session: Session,
        report_data: Dataset,
        auth_headers: AuthHeaders,
    ) -> None:
        signed_in(client, session, Role.analyst)
        filters = {"region": "astana", "from": "2026-03-01"}
        api = client.get(
            api_path("rank_services"), params=filters, headers=auth_headers(Role.analyst)
        ).json()
        page = client.get("/console/reports/services", params=filters)
        assert page.status_code == 200
        shown = re.findall(r'<th scope="row">(S\d+) ', page.text)
        assert shown == [row["service_code"] for row in api["items"]] == ["S33", "S26"]
        assert 'src="/console/reports/services.png?region=astana&amp;from=2026-03-01"' in page.text
        chart = client.get("/console/reports/services.png", params=filters)
        assert chart.headers["content-type"] == "image/png"
        assert chart.content.startswith(b"\x89PNG")

    def test_csv_export_reads_in_cyrillic(
        self, client: TestClient, session: Session, report_data: Dataset
    ) -> None:
        signed_in(client, session, Role.analyst)
        page = client.get("/console/reports/services", params={"region": "astana"})
        assert 'href="/console/exports/visits?region=astana&amp;format=csv"' in page.text
        response = client.get("/console/exports/visits", params={"region": "astana"})
        assert response.status_code == 200
        disposition = response.headers["content-disposition"]
        assert re.fullmatch(r'attachment; filename="visits-\d{8}T\d{6}Z\.csv"; .*', disposition)
        assert response.headers["cache-control"] == "no-store"
        # A BOM first, so Excel reads the file as UTF-8.
        assert response.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows
        assert {row["region"] for row in rows} == {"astana"}
        assert "ЦОН №1 Астана" in {row["office_name"] for row in rows}


class TestErrorPages:
    def test_a_bad_filter_is_a_page_in_the_visitors_language(
        self, client: TestClient, session: Session
    ) -> None:
        signed_in(client, session, Role.analyst)
        response = client.get("/console/reports/services", params={"region": "atlantis"})
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")
        assert "Запрос не может быть выполнен" in response.text
        reversed_period = client.get(
            "/console/reports/services", params={"from": "2026-04-01", "to": "2026-03-01"}
        )
        assert reversed_period.status_code == 422
        assert "Проверьте адрес или фильтры" in reversed_period.text

    def test_an_unknown_console_path_is_the_404_page(self, client: TestClient) -> None:
        response = client.get("/console/nothing-here")
        assert response.status_code == 404
        assert "Такой страницы или визита нет." in response.text

    def test_the_api_still_answers_problems(
        self, client: TestClient, auth_headers: AuthHeaders
    ) -> None:
        response = client.get(
            api_path("rank_services"),
            params={"region": "atlantis"},
            headers=auth_headers(Role.analyst),
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert client.get("/console/static/nothing.css").headers["content-type"] == (
            "application/problem+json"
        )
