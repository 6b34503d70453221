"""/reports/findings says what each finding rests on: the document, the 2018 report's line
and the clause in the report's language; migration 0025 fills rows stored before."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from service.auth.roles import Role
from service.scoring.messages import render_all
from service.scoring.models import VisitFinding
from service.visits.models import Visit
from tests.conftest import FrozenClock
from tests.fixtures.migrations import migration_module
from tests.fixtures.routes import api_path
from tests.test_free_text import as_role, quoted  # noqa: F401  (the scored visit's fixture)

CLAUSE = render_all("source.staff-courtesy", {})


def rudeness_row(report: dict[str, Any]) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [r for r in report["items"] if r["code"] == "rudeness"]
    assert len(rows) == 1, rows
    return rows[0]


def test_each_row_names_its_document_line_and_clause_in_the_language(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    quoted: Visit,  # noqa: F811
) -> None:
    analyst = as_role(session, clock, Role.analyst)
    for lang in ("ru", "kk", "en"):
        report = client.get(api_path("list_findings"), params={"lang": lang}, headers=analyst)
        assert report.status_code == 200, report.text
        source = rudeness_row(report.json())["source"]
        assert source == {"document": "checklist", "line": 3321, "clause": CLAUSE[lang]}


def test_the_migration_fills_rows_stored_before(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    quoted: Visit,  # noqa: F811
) -> None:
    rows = session.exec(
        select(VisitFinding)
        .where(VisitFinding.visit_id == quoted.id)
        .order_by(col(VisitFinding.id))
    ).all()
    stored = [(r.source_document, r.source_line, r.clause_ru, r.clause_kk) for r in rows]
    assert ("checklist", 3321, CLAUSE["ru"], CLAUSE["kk"]) in stored
    for row in rows:  # as rows were before the columns
        row.source_document = row.source_line = row.clause_ru = row.clause_kk = None
        session.add(row)
    session.flush()
    report = client.get(
        api_path("list_findings"), headers=as_role(session, clock, Role.analyst)
    ).json()
    assert rudeness_row(report)["source"] is None

    migration_module("0025").fill_from_scores(session.connection())
    session.expire_all()

    again = session.exec(
        select(VisitFinding)
        .where(VisitFinding.visit_id == quoted.id)
        .order_by(col(VisitFinding.id))
    ).all()
    assert [(r.source_document, r.source_line, r.clause_ru, r.clause_kk) for r in again] == stored
