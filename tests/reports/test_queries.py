"""How the report queries are built: only the joins a report reads, the names in the ranking's
own query, and on PostgreSQL a plan made for each run's values.

The figures themselves are checked against the hand-worked data set in the other files; these
tests pin the shape that keeps the reports near their bare SQL (bench/reports.py).
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from service.auth.roles import Role
from service.offices.models import Office
from service.offices.regions import Region
from service.reports import repository
from service.reports.schemas import ReportFilters
from service.standards.models import ServiceStandard
from service.visits.models import Visit
from tests.conftest import AuthHeaders
from tests.fixtures.db import NOT_SET, requested_database_url
from tests.fixtures.routes import api_path


def sql_of(query: repository.AnySelect) -> str:
    return " ".join(str(query.compile(dialect=sqlite.dialect())).split())


class TestJoins:
    def test_a_join_nobody_reads_is_left_out(self) -> None:
        query = repository.visits_from(select(col(Visit.id)), ReportFilters())
        assert "FROM visits WHERE" in sql_of(query)
        assert "offices" not in sql_of(query)
        assert "service_standards" not in sql_of(query)

    @pytest.mark.parametrize(
        ("filters", "joined", "left_out"),
        [
            (ReportFilters(region=Region.astana), "offices", "service_standards"),
            (ReportFilters(agency="НБ"), "service_standards", "offices"),
            (ReportFilters(level="central"), "service_standards", "offices"),
        ],
    )
    def test_a_filter_joins_what_it_reads(
        self, filters: ReportFilters, joined: str, left_out: str
    ) -> None:
        sql = sql_of(repository.visits_from(select(col(Visit.id)), filters))
        assert f"JOIN {joined} ON" in sql
        assert left_out not in sql

    def test_selected_columns_join_their_tables(self) -> None:
        query = repository.visits_from(
            select(col(Office.name), col(ServiceStandard.agency_abbr)), ReportFilters()
        )
        sql = sql_of(query)
        assert "JOIN service_standards ON service_standards.id = visits.standard_id" in sql
        assert "JOIN offices ON offices.id = visits.office_id" in sql

    def test_reads_names_the_columns_that_matter(self) -> None:
        # A ranking passes its keys: its figures, large expressions over scores, are not walked.
        keys: list[ColumnElement[Any]] = [col(Office.region).label("region")]
        figures: list[ColumnElement[Any]] = [col(Visit.id).label("id")]
        query = repository.visits_from(select(*keys, *figures), ReportFilters(), reads=keys)
        assert "FROM visits JOIN offices ON offices.id = visits.office_id WHERE" in sql_of(query)
        query = repository.visits_from(select(*figures), ReportFilters(), reads=figures)
        assert "offices" not in sql_of(query)


@pytest.fixture
def analyst(auth_headers: AuthHeaders) -> dict[str, str]:
    return auth_headers(Role.analyst)


def newer_standard(session: Session, code: str, name: str) -> None:
    """A newer version of ``code``'s standard under another name."""
    current = session.scalars(
        select(ServiceStandard)
        .where(col(ServiceStandard.service_code) == code)
        .order_by(col(ServiceStandard.version).desc())
    ).first()
    assert current is not None
    session.add(
        ServiceStandard(
            service_code=code,
            version=current.version + 1,
            effective_from=current.effective_from + dt.timedelta(days=365),
            name_ru=name,
            agency_abbr=current.agency_abbr,
            level=current.level,
            body=current.body,
            content_hash="f" * 64,
            created_at=current.created_at,
        )
    )
    session.flush()


@pytest.mark.usefixtures("report_data")
class TestServiceNames:
    def test_the_newest_version_names_the_service(
        self, client: TestClient, analyst: dict[str, str], session: Session
    ) -> None:
        newer_standard(session, "S33", "Новое имя услуги S33")
        response = client.get(api_path("rank_services"), headers=analyst)
        assert response.status_code == 200
        names = {row["service_code"]: row["name_ru"] for row in response.json()["items"]}
        assert names["S33"] == "Новое имя услуги S33"
        assert names["S32"].startswith("Назначение пенсионных выплат")

    def test_one_query_for_the_ranking_and_its_names(
        self, client: TestClient, analyst: dict[str, str], connection: Connection
    ) -> None:
        statements = list(
            counted(connection, lambda: client.get(api_path("rank_services"), headers=analyst))
        )
        reads = [s for s in statements if "visit_scores" in s or "service_standards" in s]
        assert len(reads) == 1
        assert "service_standards_1.name_ru" in reads[0]


def counted(connection: Connection, run: Any) -> Iterator[str]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(connection, "before_cursor_execute", record)
    try:
        response = run()
        assert response.status_code == 200
    finally:
        event.remove(connection, "before_cursor_execute", record)
    yield from seen


@pytest.mark.skipif(requested_database_url() is None, reason=NOT_SET)
@pytest.mark.usefixtures("report_data")
class TestPostgresPlans:
    def test_reports_are_planned_for_their_values(
        self, client: TestClient, analyst: dict[str, str], connection: Connection
    ) -> None:
        path = api_path("rank_agencies")
        params = {"from": "2026-03-01", "to": "2026-03-31", "compare_from": "2026-02-01",
                  "compare_to": "2026-02-28"}  # fmt: skip
        statements = list(
            counted(connection, lambda: client.get(path, params=params, headers=analyst))
        )
        sets = [s for s in statements if "plan_cache_mode" in s]
        # One SET LOCAL for the report's transaction, however many queries it runs.
        assert sets == ["SET LOCAL plan_cache_mode = force_custom_plan"]
        # The tests' requests run inside the test's transaction: SET LOCAL is still in force.
        mode = connection.execute(text("SELECT current_setting('plan_cache_mode')")).scalar()
        assert mode == "force_custom_plan"

    def test_the_setting_lasts_one_transaction(self, engine: Engine) -> None:
        def mode(session: Session) -> Any:
            return session.execute(text("SELECT current_setting('plan_cache_mode')")).scalar()

        with Session(engine) as own:
            repository.criteria(own, ReportFilters())
            assert mode(own) == "force_custom_plan"
            own.rollback()
            assert mode(own) == "auto"
