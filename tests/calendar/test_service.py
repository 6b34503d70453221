import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.roles import Role
from service.calendar import service as calendar_service
from service.calendar.rules import CalendarError
from service.scoring.deadlines import due_date
from service.standards.catalogue import Deadline, DeadlineUnit
from tests.conftest import NOW, AuthHeaders
from tests.fixtures.routes import api_path

DECREE = """
year: 2026
days_off: [2026-03-27]
working_days: [2026-03-28]
note: test decree
"""
SEVEN = Deadline(amount=7, unit=DeadlineUnit.working_days)


def test_no_overrides_is_the_package_calendar(session: Session) -> None:
    calendar = calendar_service.working_calendar(session)
    assert due_date(dt.date(2026, 3, 18), SEVEN, calendar) == dt.date(2026, 4, 1)


def test_loaded_decree_moves_a_due_date(session: Session) -> None:
    report = calendar_service.load_overrides(session, DECREE, now=NOW)
    assert (report.days_off, report.working_days) == (1, 1)
    calendar = calendar_service.working_calendar(session)
    assert not calendar.is_working_day(dt.date(2026, 3, 27))
    assert calendar.is_working_day(dt.date(2026, 3, 28))
    # Friday 27 off, Saturday 28 working: the count lands on the same day by another path.
    assert due_date(dt.date(2026, 3, 18), SEVEN, calendar) == dt.date(2026, 4, 1)
    extra = calendar_service.load_overrides(
        session, "year: 2026\ndays_off: [2026-03-30]\n", now=NOW
    )
    assert extra.days_off == 1
    calendar = calendar_service.working_calendar(session)
    assert due_date(dt.date(2026, 3, 18), SEVEN, calendar) == dt.date(2026, 4, 2)


def test_reloading_a_day_changes_its_kind(session: Session) -> None:
    calendar_service.load_overrides(session, DECREE, now=NOW)
    calendar_service.load_overrides(session, "year: 2026\nworking_days: [2026-03-27]\n", now=NOW)
    kinds = {r.day: r.kind for r in calendar_service.stored_overrides(session, 2026)}
    assert kinds[dt.date(2026, 3, 27)] == "working_day"


def test_broken_decree_stores_nothing(session: Session) -> None:
    with pytest.raises(CalendarError, match="outside the declared year"):
        calendar_service.load_overrides(session, "year: 2026\ndays_off: [2025-12-31]\n", now=NOW)
    assert calendar_service.stored_overrides(session, 2025) == []


def test_calendar_endpoint(client: TestClient, auth_headers: AuthHeaders) -> None:
    body = client.get(
        api_path("read_calendar", year=2026), headers=auth_headers(Role.analyst)
    ).json()
    assert body["working_days"] == 247
    nauryz = [d for d in body["days"] if d["date"] == "2026-03-24"][0]
    assert nauryz["working"] is False
    assert (
        client.get(
            api_path("read_calendar", year=1900), headers=auth_headers(Role.analyst)
        ).status_code
        == 422
    )
