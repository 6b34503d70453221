"""Scoring end to end: answers synced over HTTP, the visit submitted, the stored score read."""

import datetime as dt
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import User
from service.auth.roles import Role
from service.checklists.imports import import_documents
from service.offices.schemas import OfficeKind
from service.standards.catalogue import Document
from service.standards.schemas import DocumentList, DocumentsImport
from tests.conftest import FrozenClock
from tests.fixtures.factories import (
    complete_answers,
    make_office,
    make_visit,
    upload_required_photos,
)
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user

AT = "2026-04-06T12:00:00+05:00"


def answers_for(
    client: TestClient, checklist_id: int, headers: dict[str, str], **override: Any
) -> list[dict[str, Any]]:
    body = client.get(api_path("read_checklist", checklist_id=checklist_id), headers=headers).json()
    answers = [
        a for a in complete_answers(body["checklist"], at=AT) if a["item_code"] not in override
    ]
    return answers + [
        {"client_id": str(uuid.uuid4()), "item_code": code, "value": value, "answered_at": AT}
        for code, value in override.items()
    ]


def submit(client: TestClient, visit_id: object, headers: dict[str, str]) -> Any:
    upload_required_photos(client, visit_id, headers)
    body = {"client_id": str(uuid.uuid4()), "submitted_at": "2026-04-06T07:00:00Z"}
    return client.post(api_path("submit_visit", visit_id=visit_id), json=body, headers=headers)


PERFECT_TIMES = {
    "arrived_at": "2026-03-18T10:00:00+05:00",
    "ticket_sought_at": "2026-03-18T10:01:00+05:00",
    "ticket_taken_at": "2026-03-18T10:02:00+05:00",
    "number_called_at": "2026-03-18T10:10:00+05:00",
    "service_started_at": "2026-03-18T10:11:00+05:00",
    "service_ended_at": "2026-03-18T10:20:00+05:00",
    "queue_recorded_wait": 480,
    "application_submitted_on": "2026-03-18",
    "result_promised_on": "2026-04-01",
    "result_received_on": "2026-04-01",
}


def test_acceptance_scenario_two_extra_documents_long_wait_late_result(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    clock.advance(days=19)  # 2026-04-06: the result has arrived
    # The report quotes no S33 list of the standard's own (line 2966 is the authors'
    # summary): the programme loads one, as `mshop standards import-documents` would.
    s33 = DocumentList(
        code="S33",
        effective_from=dt.date(2026, 1, 1),
        documents=[
            Document(name_ru="удостоверение личности"),
            Document(name_ru="свидетельство о рождении ребенка"),
        ],
    )
    import_documents(session, DocumentsImport(lists=[s33]), now=clock(), actor_id=None)
    visit = make_visit(session, shopper=shopper, service_code="S33")
    phone = bearer(shopper, clock)
    answers = answers_for(
        client,
        visit.checklist_id,
        phone,
        **PERFECT_TIMES
        | {
            "ticket_taken_at": "2026-03-18T10:05:00+05:00",
            "number_called_at": "2026-03-18T10:45:00+05:00",
            "service_started_at": "2026-03-18T10:46:00+05:00",
            "service_ended_at": "2026-03-18T10:55:00+05:00",
            "queue_recorded_wait": 2400,  # the display's 40 minutes; 45 from seeking a ticket
            "result_received_on": "2026-04-03",
            "notification_received_on": "2026-04-03",
            "documents_demanded": {
                "selected": ["doc_1", "doc_2"],
                "extras": ["свидетельство о браке", "справка о составе семьи"],
            },
        },
    )
    assert (
        client.put(
            api_path("sync_answers", visit_id=visit.id), json={"answers": answers}, headers=phone
        ).status_code
        == 200
    )
    assert submit(client, visit.id, phone).status_code == 200
    score = client.get(api_path("read_score", visit_id=visit.id), headers=phone).json()
    # The three breaches of the standard are the only findings: the missed deadline critical
    # under the grading policy, the extra documents and the long wait major; so grade <= 2.
    severities = sorted((f["severity"], f["code"]) for f in score["findings"])
    assert severities == [
        ("critical", "deadline-late"),
        ("major", "documents-beyond-standard"),
        ("major", "documents-beyond-standard"),
        ("major", "queue-wait-over-norm"),
    ]
    assert score["grade"] <= 2
    assert score["compliance"]["policy_version"] == score["policy_version"] == "2026.1"
    assert "critical-finding" in score["compliance"]["capped_by"]
    by_code = {f["code"]: f for f in score["findings"]}
    late = by_code["deadline-late"]
    assert "April 1, 2026" in late["message_en"]
    assert "2 working days" in late["message_en"]
    assert "40 min" in by_code["queue-wait-over-norm"]["message_en"]
    extras = " ".join(
        f["message_ru"] for f in score["findings"] if f["code"] == "documents-beyond-standard"
    )
    assert "свидетельство о браке" in extras
    assert "справка о составе семьи" in extras
    assert score["deadline"]["status"] == "late"
    assert score["deadline"]["due_date"] == "2026-04-01"
    assert score["deadline"]["late_by_working_days"] == 2
    assert score["queue"]["wait_minutes"] == 40
    listed = client.get(api_path("read_visit", visit_id=visit.id), headers=phone).json()
    assert listed["score"] == score["score"]
    assert listed["grade"] == score["grade"]


def test_perfect_visit_scores_100_and_informal_payment_fails_it(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    clock.advance(days=19)
    phone = bearer(shopper, clock)
    good = make_visit(session, shopper=shopper, service_code="S26")
    client.put(
        api_path("sync_answers", visit_id=good.id),
        json={"answers": answers_for(client, good.checklist_id, phone, **PERFECT_TIMES)},
        headers=phone,
    )
    submit(client, good.id, phone)
    perfect = client.get(api_path("read_score", visit_id=good.id), headers=phone).json()
    assert (perfect["score"], perfect["grade"], perfect["findings"]) == (100.0, 5, [])

    bad = make_visit(session, shopper=shopper, service_code="S26")
    answers = answers_for(
        client, bad.checklist_id, phone, **PERFECT_TIMES | {"informal_payment_asked": "yes"}
    )
    client.put(api_path("sync_answers", visit_id=bad.id), json={"answers": answers}, headers=phone)
    submit(client, bad.id, phone)
    failed = client.get(api_path("read_score", visit_id=bad.id), headers=phone).json()
    assert failed["grade"] == 1
    assert failed["critical_failed"] is True
    assert failed["findings"][0]["severity"] == "critical"


def test_score_is_404_before_submit_and_locked_after_approval(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    clock.advance(days=19)  # the answers below were given on 2026-04-06
    coordinator = make_user(session, Role.coordinator)
    phone, staff = bearer(shopper, clock), bearer(coordinator, clock)
    visit = make_visit(session, shopper=shopper)
    missing = client.get(api_path("read_score", visit_id=visit.id), headers=phone)
    assert missing.status_code == 404
    assert missing.json()["code"] == "score-not-found"
    client.put(
        api_path("sync_answers", visit_id=visit.id),
        json={"answers": answers_for(client, visit.checklist_id, phone, **PERFECT_TIMES)},
        headers=phone,
    )
    submit(client, visit.id, phone)
    rescored = client.post(api_path("rescore_visit", visit_id=visit.id), headers=staff)
    assert rescored.status_code == 200
    client.post(
        api_path("review_visit", visit_id=visit.id),
        json={"client_id": str(uuid.uuid4()), "action": "approve"},
        headers=staff,
    )
    locked = client.post(api_path("rescore_visit", visit_id=visit.id), headers=staff)
    assert locked.status_code == 409
    assert locked.json()["code"] == "score-locked"
    assert (
        client.post(api_path("rescore_visit", visit_id=visit.id), headers=phone).status_code == 403
    )


def test_being_sent_elsewhere_is_judged_only_where_the_standard_takes_applications(
    client: TestClient, session: Session, clock: FrozenClock, shopper: User
) -> None:
    """S26 is applied for at the National Bank's own office only (report line 2493): a ЦОН
    that sends the visitor there does what the standard says; the Bank's office does not."""
    clock.advance(days=19)
    phone = bearer(shopper, clock)
    sent_away = PERFECT_TIMES | {"routed_correctly": "no", "redirected_to": "в Нацбанк"}
    scores = {}
    for kind in (OfficeKind.con, OfficeKind.agency_office):
        visit = make_visit(session, shopper=shopper, office=make_office(session, kind=kind))
        answers = answers_for(client, visit.checklist_id, phone, **sent_away)
        client.put(
            api_path("sync_answers", visit_id=visit.id), json={"answers": answers}, headers=phone
        )
        assert submit(client, visit.id, phone).status_code == 200
        scores[kind] = client.get(api_path("read_score", visit_id=visit.id), headers=phone).json()

    at_con, at_bank = scores[OfficeKind.con], scores[OfficeKind.agency_office]
    assert [f["code"] for f in at_bank["findings"]] == ["routed-elsewhere"]
    assert at_con["findings"] == []
    # S26 lists no documents: both visits carry that note; only the ЦОН's carries this one.
    notes = {n["code"]: n for n in at_con["notes"]}
    assert set(notes) - {n["code"] for n in at_bank["notes"]} == {"office-not-a-channel"}
    assert "офис услугодателя" in notes["office-not-a-channel"]["message_ru"]
    assert notes["office-not-a-channel"]["message_kk"].startswith("Стандарт бойынша")
    item = {i["code"]: i["status"] for i in at_con["items"]}
    assert item["routed_correctly"] == "na"
    assert (at_con["score"], at_con["grade"]) == (100.0, 5)
