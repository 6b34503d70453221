"""Stored scores stay readable: snapshots of older rules open through the API, never a 500."""

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlmodel import Session

from service.auth.models import User
from service.scoring import schemas
from service.scoring.models import VisitScore
from service.scoring.results import DocumentsFacts, Finding, Note, QueueFacts, ScoreResult
from service.scoring.schemas import (
    DeadlinePublic,
    DocumentsPublic,
    FindingPublic,
    NotePublic,
    QueuePublic,
    VisitScorePublic,
)
from service.scoring.verdicts import DeadlineVerdict
from tests.conftest import FrozenClock
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path

# Made by the scorer at commit cff9733 (rules 2026.1, before grading policies): an S33 visit
# with a 40-minute wait, a late result, an extra document and a courtesy rating of 2.
SNAPSHOT_2026_1 = Path(__file__).parent / "data" / "score-snapshot-2026.1.json"
# Made by the scorer at commit f58353c (rules 2026.2, snapshot version 2, before the message
# catalogue): the same kind of S33 visit, graded under the default policy.
SNAPSHOT_2026_2 = Path(__file__).parent / "data" / "score-snapshot-2026.2.json"


def stored(session: Session, shopper: User, result: dict[str, Any]) -> Any:
    visit = make_visit(session, shopper=shopper, service_code="S33")
    session.add(
        VisitScore(
            visit_id=visit.id,
            rules_version=str(result.get("rules_version", "?")),
            score=result.get("score"),
            grade=result.get("grade"),
            result=result,
            computed_at=dt.datetime(2026, 2, 14, 9, tzinfo=dt.UTC),
        )
    )
    session.flush()
    return visit


def old_snapshot(path: Path = SNAPSHOT_2026_1) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def read(client: TestClient, visit: Any, shopper: User, clock: FrozenClock) -> Any:
    response = client.get(api_path("read_score", visit_id=visit.id), headers=bearer(shopper, clock))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_score_stored_by_rules_2026_1_reads_as_it_was_made(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    snapshot = old_snapshot()
    assert "snapshot_version" not in snapshot  # the real old shape, not a new one
    body = read(client, stored(session, shopper, snapshot), shopper, clock)
    assert (body["snapshot_version"], body["rules_version"]) == (3, "2026.1")
    # Graded by bands alone, before policies: kept as it was, and said so.
    assert (body["score"], body["grade"]) == (90.7, 5)
    assert body["compliance"] == {
        "score": 90.7, "grade": 5, "band_grade": 5, "capped_by": [], "policy_version": None
    }  # fmt: skip
    assert (body["policy_version"], body["satisfaction"]) == (None, None)
    assert [(f["code"], f["severity"]) for f in body["findings"]] == [
        ("queue-wait-over-norm", "major"),
        ("deadline-late", "major"),
        ("documents-beyond-standard", "major"),
        ("rudeness", "minor"),
    ]
    assert body["deadline"]["late_by_working_days"] == 2
    assert body["queue"]["wait_minutes"] == 40


def test_a_score_stored_by_rules_2026_2_reads_as_it_was_made(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    snapshot = old_snapshot(SNAPSHOT_2026_2)
    assert snapshot["snapshot_version"] == 2  # the real version-2 shape
    body = read(client, stored(session, shopper, snapshot), shopper, clock)
    assert (body["rules_version"], body["policy_version"]) == ("2026.2", "2026.1")
    assert (body["score"], body["grade"], body["compliance"]["capped_by"]) == (
        89.8,
        2,
        ["critical-finding"],
    )
    assert [(f["code"], f["severity"]) for f in body["findings"]] == [
        ("deadline-late", "critical"),
        ("queue-wait-over-norm", "major"),
        ("documents-beyond-standard", "major"),
        ("rudeness", "major"),
    ]
    late = body["findings"][0]
    assert late["message_ru"].endswith("просрочка 2 рабочих дня.")
    # Version 2 knew no Kazakh and no source: the clause becomes the source's, nothing is made up.
    assert (late["message_kk"], late["message_key"]) == ("", "")
    # Nor had it the clause's languages: they stay empty, and readers show the clause itself.
    assert late["source"] == {
        "document": "",
        "clause": "deadline: 7 working days",
        "line": None,
        **dict.fromkeys(("clause_key", "clause_en", "clause_ru", "clause_kk"), ""),
        "clause_params": {},
    }
    assert body["snapshot_version"] == 3
    assert body["deadline"]["late_by_working_days"] == 2


def test_unknown_codes_removed_and_new_fields_do_not_break_a_stored_score(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    snapshot = copy.deepcopy(old_snapshot())
    snapshot["findings"][0]["code"] = "queue-wait-over-norm-2031"
    snapshot["findings"][1]["severity"] = "blocking"
    snapshot["notes"] = [{"code": "note-from-the-future", "message_en": "x"}]
    snapshot["a_field_added_later"] = {"anything": 1}
    del snapshot["queue"], snapshot["documents"], snapshot["items"]
    body = read(client, stored(session, shopper, snapshot), shopper, clock)
    assert [f["code"] for f in body["findings"]][:2] == [
        "queue-wait-over-norm-2031",
        "deadline-late",
    ]
    assert body["findings"][1]["severity"] == "blocking"
    assert body["notes"] == [
        {
            "code": "note-from-the-future",
            "message_key": "",
            "params": {},
            "message_en": "x",
            "message_ru": "",
            "message_kk": "",
        }
    ]
    assert (body["queue"]["wait_minutes"], body["documents"], body["items"]) == (None, None, [])
    assert "a_field_added_later" not in body


def test_a_renamed_code_reads_under_its_new_name(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    shopper: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(schemas.RENAMED_FINDING_CODES, "rudeness", "staff-discourtesy")
    body = read(client, stored(session, shopper, old_snapshot()), shopper, clock)
    assert body["findings"][-1]["code"] == "staff-discourtesy"


@pytest.mark.parametrize(
    ("made", "read"),
    [
        (ScoreResult, VisitScorePublic),
        (DeadlineVerdict, DeadlinePublic),
        (QueueFacts, QueuePublic),
        (DocumentsFacts, DocumentsPublic),
        (Finding, FindingPublic),
        (Note, NotePublic),
    ],
)
def test_the_public_snapshot_reads_every_field_the_rules_write(
    made: type[BaseModel], read: type[BaseModel]
) -> None:
    # The snapshot models are a separate, tolerant contract; a field the rules add and the
    # contract lacks would be silently dropped from every stored score's reading.
    assert set(made.model_fields) - set(read.model_fields) == set()
