"""What people typed (text answers, visit notes, review comments, a finding's quote) may name
office staff: coordinators, admins and the visit's shopper read it, analysts never do, and the
findings report, an aggregate, carries no quote at all (docs/security.md, threat 7)."""

import csv
import io
import uuid
from typing import Any

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.auth.models import User
from service.auth.roles import Role
from service.scoring.models import VisitFinding, VisitScore
from service.visits.models import Visit
from tests.conftest import FrozenClock
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.migrations import migration_module
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user
from tests.scoring.test_service import answers_for, submit

QUOTE = "Айгуль Б.: ждите за дверью"
NOTE = "Спросить кассира Айгуль"
COMMENT = "Проверено: Айгуль грубила"


@pytest.fixture
def quoted(client: TestClient, session: Session, clock: FrozenClock, shopper: User) -> Visit:
    """An approved visit whose shopper quoted a rude cashier by name, with a note and a
    review comment naming her too."""
    clock.advance(days=19)  # the answers' day (tests/scoring/test_service.py's AT) has come
    visit = make_visit(session, shopper=shopper, notes=NOTE)
    phone = bearer(shopper, clock)
    answers = answers_for(
        client, visit.checklist_id, phone, rudeness_seen="yes", rudeness_quote=QUOTE
    )
    synced = client.put(
        api_path("sync_answers", visit_id=visit.id), json={"answers": answers}, headers=phone
    )
    assert synced.status_code == 200, synced.text
    assert submit(client, visit.id, phone).status_code == 200
    staff = bearer(make_user(session, Role.coordinator), clock)
    review = {"client_id": str(uuid.uuid4()), "action": "approve", "comment": COMMENT}
    reviewed = client.post(api_path("review_visit", visit_id=visit.id), json=review, headers=staff)
    assert reviewed.status_code == 200, reviewed.text
    return visit


def as_role(session: Session, clock: FrozenClock, role: Role) -> dict[str, str]:
    return bearer(make_user(session, role), clock)


def rudeness(score: dict[str, Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        f for f in score["findings"] if "rudeness_quote" in f["item_codes"]
    ]
    assert len(found) == 1
    return found[0]


class TestAnalysts:
    def test_a_text_answer_is_withheld(
        self, client: TestClient, session: Session, clock: FrozenClock, quoted: Visit
    ) -> None:
        path = api_path("list_answers", visit_id=quoted.id)
        items = client.get(path, headers=as_role(session, clock, Role.analyst)).json()["items"]
        said = {a["item_code"]: a for a in items}
        assert said["rudeness_quote"]["value"] is None
        assert said["rudeness_quote"]["withheld"] is True
        assert said["rudeness_seen"] == said["rudeness_seen"] | {"value": "yes", "withheld": False}
        assert QUOTE not in str(items)

    def test_notes_and_review_comment_are_null(
        self, client: TestClient, session: Session, clock: FrozenClock, quoted: Visit
    ) -> None:
        path = api_path("read_visit", visit_id=quoted.id)
        visit = client.get(path, headers=as_role(session, clock, Role.analyst)).json()
        assert (visit["notes"], visit["review_comment"]) == (None, None)
        assert visit["status"] == "approved"

    def test_the_score_quotes_nothing_but_keeps_the_finding(
        self, client: TestClient, session: Session, clock: FrozenClock, quoted: Visit
    ) -> None:
        path = api_path("read_score", visit_id=quoted.id)
        score = client.get(path, headers=as_role(session, clock, Role.analyst)).json()
        finding = rudeness(score)
        assert finding["code"] == "rudeness"
        assert QUOTE not in str(score)
        assert finding["message_ru"].startswith("Работник вёл себя грубо")
        assert "Сказано" not in finding["message_ru"]
        assert "Айтылғаны" not in finding["message_kk"]
        assert "Said" not in finding["message_en"]
        assert all(m["key"] != "more.said" for m in finding["params"]["more"])

    def test_the_answers_export_withholds_text(
        self, client: TestClient, session: Session, clock: FrozenClock, quoted: Visit
    ) -> None:
        exported = client.get(
            api_path("export_answers"), headers=as_role(session, clock, Role.analyst)
        )
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        mine = {r["item_code"]: r for r in rows if r["visit_id"] == str(quoted.id)}
        assert (mine["rudeness_quote"]["value"], mine["rudeness_quote"]["withheld"]) == (
            "",
            "true",
        )
        assert mine["rudeness_seen"]["value"] == '"yes"'
        assert QUOTE not in exported.text


class TestStaffAndTheShopper:
    @pytest.mark.parametrize("role", [Role.coordinator, Role.admin])
    def test_staff_read_every_word(
        self, client: TestClient, session: Session, clock: FrozenClock, quoted: Visit, role: Role
    ) -> None:
        staff = as_role(session, clock, role)
        visit = client.get(api_path("read_visit", visit_id=quoted.id), headers=staff).json()
        assert (visit["notes"], visit["review_comment"]) == (NOTE, COMMENT)
        score = client.get(api_path("read_score", visit_id=quoted.id), headers=staff).json()
        assert f"Сказано: «{QUOTE}»" in rudeness(score)["message_ru"]
        exported = client.get(api_path("export_answers"), headers=staff).text
        assert QUOTE in exported

    def test_the_shopper_reads_their_own_words(
        self, client: TestClient, clock: FrozenClock, quoted: Visit, shopper: User
    ) -> None:
        path = api_path("list_answers", visit_id=quoted.id)
        items = client.get(path, headers=bearer(shopper, clock)).json()["items"]
        said = {a["item_code"]: a["value"] for a in items}
        assert said["rudeness_quote"] == QUOTE


class TestFindingsReport:
    def test_carries_no_quote_for_anyone(
        self, client: TestClient, session: Session, clock: FrozenClock, quoted: Visit
    ) -> None:
        rows = session.exec(select(VisitFinding).where(VisitFinding.visit_id == quoted.id)).all()
        (row,) = [r for r in rows if r.code == "rudeness" and r.item_code is None]
        assert QUOTE not in (row.message_ru + row.message_en + (row.message_kk or ""))
        for role in (Role.coordinator, Role.analyst):
            report = client.get(
                api_path("list_findings"),
                params={"lang": "kk"},
                headers=as_role(session, clock, role),
            )
            assert report.status_code == 200
            assert QUOTE not in report.text

    def test_the_migration_takes_quotes_out_of_rows_stored_before(
        self, session: Session, quoted: Visit
    ) -> None:
        score = session.get(VisitScore, quoted.id)
        assert score is not None
        stored = [f for f in score.result["findings"] if f["code"] == "rudeness"]
        rows = [
            r
            for r in session.exec(select(VisitFinding).where(VisitFinding.visit_id == quoted.id))
            if r.code == "rudeness"
        ]
        # As scoring stored them before: the quoted messages.
        before = {(f["message_ru"], f["message_en"], f["message_kk"]) for f in stored}
        for row, finding in zip(rows, stored, strict=True):
            row.message_ru = finding["message_ru"]
            row.message_en, row.message_kk = finding["message_en"], finding["message_kk"]
            session.add(row)
        session.flush()
        assert any(QUOTE in ru for ru, _en, _kk in before)

        # And one as rules 2026.2 wrote it, the quote in the text and none in the score.
        written = VisitFinding(
            visit_id=quoted.id,
            code="rudeness",
            severity="major",
            message_en=f'A member of staff was rude. Said: "{QUOTE}".',
            message_ru=f"Работник вёл себя грубо. Сказано: «{QUOTE}».",
            clause="staff: courtesy",
        )
        session.add(written)
        session.flush()

        with Operations.context(MigrationContext.configure(session.connection())):
            migration_module("0024").upgrade()
        session.expire_all()

        after = [
            r
            for r in session.exec(select(VisitFinding).where(VisitFinding.visit_id == quoted.id))
            if r.code == "rudeness"
        ]
        assert len(after) == len(rows) + 1
        for row in after:
            assert QUOTE not in row.message_ru + row.message_en + (row.message_kk or "")
            assert row.message_ru.startswith("Работник вёл себя грубо")
            assert row.message_ru.endswith(".")
