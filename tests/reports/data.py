"""A small fixed data set whose report figures are worked out by hand in the tests.

Offices: A (astana, con), B (almaty_city, con), C (karaganda, agency_office).
Services: S33 and S32 (agency МТСЗН, central), S26 (НБ, central), S39 (МИО, local).

| visit | service | channel | office | status | window start (UTC+5) | wave | score | grade | deadline | findings c/M/m |
|---|---|---|---|---|---|---|---|---|---|---|
| V1 | S33 | in_person | A | approved | 03-02 10:00 | w1 | 95 | 5 | on_time | 0/0/1 |
| V2 | S33 | in_person | B | approved | 03-05 10:00 | w1 | 70 | 3 | late | 0/1/1 |
| V3 | S33 | call_1414 | A | approved | 03-10 10:00 | w1 | 85 | 4 | none | 0/0/2 |
| V4 | S32 | in_person | C | approved | 03-03 10:00 | w1 | 92 | 5 | overdue | 0/1/1 |
| V5 | S26 | in_person | A | approved | 03-04 10:00 | w2 | 40 | 1 (critical) | on_time | 1/2/0 |
| V6 | S39 | in_person | B | approved | 03-31 23:30 | w2 | none | none | unknown | 0/0/0 |
| V7 | S39 | in_person | C | submitted | 03-06 10:00 | w2 | 60 | 3 | pending | 0/0/1 |
| V8 | S26 | in_person | B | assigned | 03-07 10:00 | w2 | not scored |
| V9 | S33 | in_person | A | approved | 02-10 10:00 | w0 | 80 | 4 | on_time | 0/0/0 |
| V10 | S26 | in_person | A | approved | 02-12 10:00 | w0 | 100 | 5 | on_time | 0/0/0 |
| V11 | S39 | in_person | C | approved | 04-01 00:10 | w2 | 88 | 4 | late | 0/0/0 |

The shoppers' own overall ratings (satisfaction, the ``overall_rating`` answer), in
``RATINGS``: V1 5, V2 4, V3 3, V4 4, V5 2, V6 5, V7 5, V9 4, V10 5, V11 3; V8 none.
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from service.answers.models import Answer
from service.auth.models import User
from service.auth.roles import Role
from service.checklists import service as checklists_service
from service.checklists.format import ChecklistChannel
from service.isotime import LOCAL_OFFSET
from service.offices.models import Office
from service.reports.repository_ranking import SATISFACTION_ITEM
from service.scoring.models import VisitCriterion, VisitFinding, VisitScore
from service.visits.models import Visit
from tests.fixtures.users import make_user

NOW = dt.datetime(2026, 4, 15, 9, 0, tzinfo=dt.UTC)

OFFICES = {
    "A": ("ЦОН №1 Астана", "astana", "con"),
    "B": ("ЦОН Алмалинского района", "almaty_city", "con"),
    "C": ("Отдел занятости Караганды", "karaganda", "agency_office"),
}

# key: service, channel, office, status, local window start, wave,
#      score, grade, critical, deadline status, findings, criteria {name: (earned, applicable)}
VISITS: dict[str, tuple[Any, ...]] = {
    "V1": ("S33", "in_person", "A", "approved", (3, 2, 10, 0), "w1", 95, 5, False, "on_time",
           [("badge-missing", "minor")], {"queue": (2, 2), "staff": (3, 4)}),
    "V2": ("S33", "in_person", "B", "approved", (3, 5, 10, 0), "w1", 70, 3, False, "late",
           [("deadline-late", "major"), ("badge-missing", "minor")],
           {"queue": (1, 2), "staff": (4, 4)}),
    "V3": ("S33", "call_1414", "A", "approved", (3, 10, 10, 0), "w1", 85, 4, False, None,
           [("call-transferred", "minor"), ("badge-missing", "minor")],
           {"call_centre": (5, 10)}),
    "V4": ("S32", "in_person", "C", "approved", (3, 3, 10, 0), "w1", 92, 5, False, "overdue",
           [("deadline-overdue", "major"), ("badge-missing", "minor")],
           {"queue": (2, 2), "documents": (0, 0)}),
    "V5": ("S26", "in_person", "A", "approved", (3, 4, 10, 0), "w2", 40, 1, True, "on_time",
           [("informal-payment", "critical"), ("documents-beyond-standard", "major"),
            ("documents-beyond-standard", "major")],
           {"integrity": (0, 5), "queue": (2, 2)}),
    "V6": ("S39", "in_person", "B", "approved", (3, 31, 23, 30), "w2", None, None, False,
           "unknown", [], {}),
    "V7": ("S39", "in_person", "C", "submitted", (3, 6, 10, 0), "w2", 60, 3, False, "pending",
           [("badge-missing", "minor")], {"queue": (0, 2)}),
    "V8": ("S26", "in_person", "B", "assigned", (3, 7, 10, 0), "w2", None, None, False, None,
           None, {}),
    "V9": ("S33", "in_person", "A", "approved", (2, 10, 10, 0), "w0", 80, 4, False, "on_time",
           [], {"queue": (2, 2)}),
    "V10": ("S26", "in_person", "A", "approved", (2, 12, 10, 0), "w0", 100, 5, False,
            "on_time", [], {}),
    "V11": ("S39", "in_person", "C", "approved", (4, 1, 0, 10), "w2", 88, 4, False, "late",
            [], {}),
}  # fmt: skip


# The current answer to overall_rating per visit (V8, assigned, has none yet).
RATINGS = {"V1": 5, "V2": 4, "V3": 3, "V4": 4, "V5": 2, "V6": 5, "V7": 5, "V9": 4, "V10": 5,
           "V11": 3}  # fmt: skip


@dataclass
class Dataset:
    offices: dict[str, int] = field(default_factory=dict)
    visits: dict[str, uuid.UUID] = field(default_factory=dict)
    shopper: User | None = None
    coordinator: User | None = None

    def key_of(self, visit_id: str) -> str:
        return next(k for k, v in self.visits.items() if str(v) == visit_id)


def _office(session: Session, key: str) -> int:
    name, region, kind = OFFICES[key]
    office = Office(name=name, kind=kind, region=region, city=name, created_at=NOW)
    session.add(office)
    session.flush()
    assert office.id is not None
    return office.id


def build(session: Session) -> Dataset:
    """Insert the offices, visits, scores, findings and criteria of the table above."""
    data = Dataset(offices={key: _office(session, key) for key in OFFICES})
    data.coordinator = make_user(session, Role.coordinator)
    data.shopper = make_user(session, Role.shopper)
    for key, row in VISITS.items():
        add_visit(session, data, key, row)
        if key in RATINGS:
            add_rating(session, data, key, RATINGS[key])
    session.flush()
    return data


def add_rating(
    session: Session, data: Dataset, key: str, value: int | None, *, na: bool = False
) -> None:
    """Store ``value`` as visit ``key``'s current answer to the overall 1-5 rating."""
    assert data.shopper is not None
    assert data.shopper.id is not None
    session.add(
        Answer(
            client_id=uuid.uuid4(),
            visit_id=data.visits[key],
            item_code=SATISFACTION_ITEM,
            value=value,
            na=na,
            answered_at=NOW,
            received_at=NOW,
            content_hash="0" * 64,
            is_current=True,
            author_id=data.shopper.id,
        )
    )


def add_visit(session: Session, data: Dataset, key: str, row: tuple[Any, ...]) -> None:
    """Insert one visit given as a row of ``VISITS``, with its score, findings and criteria."""
    assert data.shopper is not None
    assert data.coordinator is not None
    code, channel, office, status, when, wave = row[:6]
    score, grade, critical, deadline, findings, criteria = row[6:]
    checklist = checklists_service.resolve(
        session, code, ChecklistChannel(channel), dt.date(2026, 3, 18), now=NOW
    )
    assert checklist.id is not None
    month, day, hour, minute = when
    start = dt.datetime(2026, month, day, hour, minute, tzinfo=LOCAL_OFFSET)
    visit = Visit(
        service_code=code,
        office_id=data.offices[office],
        shopper_id=data.shopper.id,
        channel=channel,
        wave=wave,
        window_start_at=start,
        window_end_at=start + dt.timedelta(hours=8),
        status=status,
        checklist_id=checklist.id,
        standard_id=checklist.standard_id,
        created_at=NOW,
        created_by_id=data.coordinator.id,
    )
    session.add(visit)
    session.flush()
    data.visits[key] = visit.id
    if findings is None:
        return
    counts = {s: sum(f[1] == s for f in findings) for s in ("critical", "major", "minor")}
    session.add(
        VisitScore(
            visit_id=visit.id,
            rules_version="2026.1",
            score=score,
            grade=grade,
            critical_failed=critical,
            deadline_status=deadline,
            wait_minutes=12.5 if channel == "in_person" else None,
            findings_critical=counts["critical"],
            findings_major=counts["major"],
            findings_minor=counts["minor"],
            result={},
            computed_at=NOW,
        )
    )
    # A finding is (code, severity), or (code, severity, item, message in Russian, in English
    # [, in Kazakh]); without Kazakh it is a finding stored before scoring wrote Kazakh.
    for code_, severity, *about in findings:
        item, ru, en, *kk = about or (None, "-", "-")
        session.add(
            VisitFinding(
                visit_id=visit.id,
                code=code_,
                severity=severity,
                item_code=item,
                message_en=en,
                message_ru=ru,
                message_kk=kk[0] if kk else None,
                clause="-",
            )
        )
    for name, (earned, applicable) in criteria.items():
        session.add(
            VisitCriterion(visit_id=visit.id, criterion=name, earned=earned, applicable=applicable)
        )
