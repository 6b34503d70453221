"""The assignment rules as a table: plain facts in, problems (column, code) out."""

import datetime as dt
import uuid

import pytest

from service.checklists.format import ChecklistChannel
from service.offices.schemas import OfficeKind
from service.visits.checks import Candidate, Defect, Facts, OfficeFacts, Pinned, check_assignment

NOW = dt.datetime(2026, 3, 18, 9, 30, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
PINNED = Pinned(checklist_id=1, standard_id=1, deadline_cases=2)


def office(kind: OfficeKind = OfficeKind.con, *services: str) -> OfficeFacts:
    return OfficeFacts(7, kind, frozenset(services))


def candidate(**change: object) -> Candidate:
    values: dict[str, object] = {
        "service_code": "S26",
        "office_id": 7,
        "shopper_id": uuid.uuid4(),
        "channel": ChecklistChannel.in_person,
        "window_start_at": NOW + HOUR,
        "window_end_at": NOW + 9 * HOUR,
    }
    return Candidate.of(values | change)


def facts(**change: object) -> Facts:
    values: dict[str, object] = {
        "shopper_active": True,
        "office": office(),
        "office_exists": True,
        "service_exists": True,
        "pinned": PINNED,
    }
    return Facts(**(values | change))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("c", "f", "expected"),
    [
        (candidate(), facts(), []),
        # An office that lists no services takes any; one that does, only those.
        (candidate(), facts(office=office(OfficeKind.con, "S26", "S17")), []),
        (
            candidate(),
            facts(office=office(OfficeKind.con, "S17")),
            [("service_code", "service-not-offered-at-office")],
        ),
        # Each channel at each kind of office.
        *[
            (
                candidate(channel=channel),
                facts(office=office(kind)),
                [] if fits else [("channel", "channel-not-available-at-office")],
            )
            for kind, channel, fits in [
                (OfficeKind.con, ChecklistChannel.in_person, True),
                (OfficeKind.con, ChecklistChannel.call_1414, False),
                (OfficeKind.con, ChecklistChannel.egov, False),
                (OfficeKind.agency_office, ChecklistChannel.in_person, True),
                (OfficeKind.agency_office, ChecklistChannel.egov, False),
                (OfficeKind.call_centre, ChecklistChannel.call_1414, True),
                (OfficeKind.call_centre, ChecklistChannel.in_person, False),
                (OfficeKind.portal, ChecklistChannel.egov, True),
                (OfficeKind.portal, ChecklistChannel.call_1414, False),
            ]
        ],
        # The window: begun but not over is fine; over (even this very moment) is not.
        (candidate(window_start_at=NOW - HOUR, window_end_at=NOW + HOUR), facts(), []),
        (
            candidate(window_start_at=NOW - 9 * HOUR, window_end_at=NOW),
            facts(),
            [("window_end_at", "window-in-the-past")],
        ),
        (
            candidate(window_start_at=NOW + 2 * HOUR, window_end_at=NOW + HOUR),
            facts(),
            [("window_end_at", "value-invalid")],
        ),
        (candidate(deadline_case_index=1), facts(), []),
        (
            candidate(deadline_case_index=2),
            facts(),
            [("deadline_case_index", "deadline-case-out-of-range")],
        ),
        (candidate(), facts(shopper_active=False), [("shopper_id", "shopper-not-active")]),
        (
            candidate(shopper_id=None, shopper_email="x@y.kz"),
            facts(shopper_active=False),
            [("shopper_email", "shopper-not-active")],
        ),
        # An unknown office or service hides the checks that need it.
        (
            candidate(channel=ChecklistChannel.egov),
            facts(office=None, office_exists=False),
            [("office_id", "office-not-found")],
        ),
        (
            candidate(),
            facts(office=office(OfficeKind.con, "S17"), service_exists=False, pinned=None),
            [("service_code", "service-not-found")],
        ),
        (
            candidate(channel=ChecklistChannel.egov),
            facts(
                office=office(OfficeKind.portal),
                pinned=Defect("channel", "checklist-not-offered", "S26 is not tested online"),
            ),
            [("channel", "checklist-not-offered")],
        ),
        # Cells that could not be read are not checked again.
        (Candidate(), Facts(), []),
    ],
)
def test_assignment_rules(c: Candidate, f: Facts, expected: list[tuple[str, str]]) -> None:
    assert [(p.column, p.code) for p in check_assignment(c, f, now=NOW)] == expected
