"""Pure: whether an assignment can be made, given what the database says about its parts.

One rule set for ``POST /visits`` and for every row of a bulk file. The service looks the parts
up (in batches for a file) and passes plain facts; nothing here touches the database.
"""

import datetime as dt
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from service.checklists.format import ChecklistChannel
from service.offices.schemas import OFFICE_KINDS, OfficeKind

AssignmentCode = Literal[
    "shopper-not-active",
    "office-not-found",
    "service-not-found",
    "service-not-offered-at-office",
    "channel-not-available-at-office",
    "checklist-not-offered",
    "checklist-not-found",
    "checklist-invalid",
    "standard-not-in-force",
    "deadline-case-out-of-range",
    "window-in-the-past",
    "value-invalid",
]
# Codes only a row of a bulk file can have.
RowCode = Literal["value-missing", "cell-too-long", "client-id-repeated", "visit-conflict"]
DefectCode = Literal[AssignmentCode, RowCode]


@dataclass(frozen=True)
class Defect:
    """One thing wrong with one cell (``column``) of an assignment; ``None``: the whole row."""

    column: str | None
    code: DefectCode
    message: str


@dataclass(frozen=True)
class Candidate:
    """The parts of an assignment that could be read; a part that could not is ``None``."""

    service_code: str | None = None
    office_id: int | None = None
    shopper_id: uuid.UUID | None = None
    # A bulk row may name its shopper by e-mail instead; problems then point at that column.
    shopper_email: str | None = None
    channel: ChecklistChannel | None = None
    window_start_at: dt.datetime | None = None
    window_end_at: dt.datetime | None = None
    deadline_case_index: int | None = None

    @classmethod
    def of(cls, values: dict[str, Any]) -> "Candidate":
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})

    @property
    def shopper_column(self) -> str:
        return "shopper_email" if self.shopper_email is not None else "shopper_id"


@dataclass(frozen=True)
class OfficeFacts:
    id: int
    kind: OfficeKind
    # Empty: the office does not say which services it offers, so any may be tested there.
    services: frozenset[str]


@dataclass(frozen=True)
class Pinned:
    """The checklist and standard version an assignment would pin.

    ``checklist_id`` is ``None`` for a checklist resolved but not stored yet: a bulk checks
    its rows reading only and stores the checklist when it writes.
    """

    checklist_id: int | None
    standard_id: int
    deadline_cases: int


@dataclass(frozen=True)
class Facts:
    """What the database says about a candidate's parts; ``None`` where it was not asked."""

    shopper_active: bool | None = None
    office: OfficeFacts | None = None
    office_exists: bool | None = None
    service_exists: bool | None = None
    pinned: Pinned | Defect | None = None


def offers(services: Collection[str], code: str) -> bool:
    """Whether an office listing ``services`` offers ``code`` (listing none, it offers any)."""
    return not services or code in services


def check_assignment(candidate: Candidate, facts: Facts, *, now: dt.datetime) -> list[Defect]:
    """Every problem with ``candidate``, each naming its column; empty when it can be assigned."""
    c = candidate
    problems: list[Defect] = []
    if facts.shopper_active is False:
        what = "e-mail" if c.shopper_column == "shopper_email" else "id"
        # One message whatever the reason (no account, disabled, not a shopper): a bulk file
        # must not tell its uploader which e-mail addresses have accounts.
        problems.append(
            Defect(c.shopper_column, "shopper-not-active", f"no active shopper with this {what}")
        )
    if facts.office_exists is False:
        problems.append(
            Defect("office_id", "office-not-found", f"there is no office {c.office_id}")
        )
    if facts.service_exists is False:
        problems.append(
            Defect(
                "service_code",
                "service-not-found",
                f"there is no service {c.service_code} in the catalogue",
            )
        )
    office = facts.office
    if office is not None and c.service_code is not None and facts.service_exists:
        if not offers(office.services, c.service_code):
            problems.append(
                Defect(
                    "service_code",
                    "service-not-offered-at-office",
                    f"office {office.id} does not offer {c.service_code} (it lists "
                    f"{_listing(office.services)}); pick another office or add the service "
                    "to this office",
                )
            )
    if office is not None and c.channel is not None:
        traits = OFFICE_KINDS[office.kind]
        if c.channel is not traits.channel:
            where = " or ".join(t.label for t in OFFICE_KINDS.values() if t.channel is c.channel)
            problems.append(
                Defect(
                    "channel",
                    "channel-not-available-at-office",
                    f"office {office.id} is {traits.label}: a {c.channel.value} visit goes "
                    f"to {where}; a visit here uses the {traits.channel.value} channel",
                )
            )
    if isinstance(facts.pinned, Defect):
        problems.append(facts.pinned)
    elif facts.pinned is not None and c.deadline_case_index is not None:
        cases = facts.pinned.deadline_cases
        if c.deadline_case_index >= cases:
            which = {
                0: "no deadline cases; leave the index empty",
                1: "one deadline case, number 0",
            }
            problems.append(
                Defect(
                    "deadline_case_index",
                    "deadline-case-out-of-range",
                    f"{c.service_code}'s standard has "
                    + which.get(cases, f"{cases} deadline cases, numbered 0 to {cases - 1}"),
                )
            )
    problems.extend(_window_problems(c, now))
    return problems


def _window_problems(c: Candidate, now: dt.datetime) -> list[Defect]:
    if c.window_start_at is not None and c.window_end_at is not None:
        if c.window_end_at <= c.window_start_at:
            return [
                Defect(
                    "window_end_at", "value-invalid", "window_end_at must be after window_start_at"
                )
            ]
    if c.window_end_at is not None and c.window_end_at <= now:
        # A window that has begun but not ended can still be visited; one that has ended cannot.
        return [
            Defect(
                "window_end_at",
                "window-in-the-past",
                f"the window ended at {c.window_end_at.isoformat()}, before now "
                f"({now.astimezone(c.window_end_at.tzinfo).isoformat(timespec='seconds')}); "
                "give a window that has not ended",
            )
        ]
    return []


def _listing(codes: frozenset[str], most: int = 10) -> str:
    ordered = sorted(codes, key=lambda code: (len(code), code))
    shown = ", ".join(ordered[:most])
    return shown if len(ordered) <= most else f"{shown} and {len(ordered) - most} more"
