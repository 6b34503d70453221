"""The vocabulary of the checklist format: codes, texts, kinds, criteria, scoring roles.

Pure: no web, database or storage imports.
"""

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints


def _bool_to_word(value: Any) -> Any:
    # YAML 1.1 readers and JSON clients may send true/false where the format says yes/no.
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return value


Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
OptionCode = Annotated[str, BeforeValidator(_bool_to_word), Code]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ObservableId = Annotated[str, StringConstraints(pattern=r"^[A-I][1-9][0-9]?$")]
YesNo = Annotated[Literal["yes", "no"], BeforeValidator(_bool_to_word)]


class ItemKind(StrEnum):
    yes_no = "yes_no"
    choice = "choice"
    multi_choice = "multi_choice"
    number = "number"
    duration = "duration"
    timestamp = "timestamp"
    date = "date"
    text = "text"
    photo = "photo"
    documents = "documents"
    rating = "rating"


class PhotoPolicy(StrEnum):
    none = "none"
    optional = "optional"
    required = "required"


class Criterion(StrEnum):
    """Quality criterion a report groups the item under."""

    information = "information"
    premises = "premises"
    queue = "queue"
    staff = "staff"
    documents = "documents"
    deadline = "deadline"
    integrity = "integrity"
    technical = "technical"
    call_centre = "call_centre"
    portal = "portal"
    overall = "overall"


class ScoringRole(StrEnum):
    """What a scoring rule reads from the item; each role has one fixed code and kind."""

    queue_wait_start = "queue_wait_start"
    queue_wait_end = "queue_wait_end"
    service_start = "service_start"
    service_end = "service_end"
    call_wait_start = "call_wait_start"
    call_wait_end = "call_wait_end"
    deadline_start = "deadline_start"
    deadline_promised = "deadline_promised"
    deadline_end = "deadline_end"
    # The day the office said the result was ready: lateness is judged on it when known.
    deadline_ready = "deadline_ready"
    deadline_case = "deadline_case"
    documents_demanded = "documents_demanded"


# Fixed so the scoring module can look answers up by code without reading the template.
SCORING_ROLES: dict[ScoringRole, tuple[str, ItemKind]] = {
    ScoringRole.queue_wait_start: ("ticket_taken_at", ItemKind.timestamp),
    ScoringRole.queue_wait_end: ("number_called_at", ItemKind.timestamp),
    ScoringRole.service_start: ("service_started_at", ItemKind.timestamp),
    ScoringRole.service_end: ("service_ended_at", ItemKind.timestamp),
    ScoringRole.call_wait_start: ("call_dialled_at", ItemKind.timestamp),
    ScoringRole.call_wait_end: ("call_connected_at", ItemKind.timestamp),
    ScoringRole.deadline_start: ("application_submitted_on", ItemKind.date),
    ScoringRole.deadline_promised: ("result_promised_on", ItemKind.date),
    ScoringRole.deadline_end: ("result_received_on", ItemKind.date),
    ScoringRole.deadline_ready: ("notification_received_on", ItemKind.date),
    ScoringRole.deadline_case: ("deadline_case", ItemKind.choice),
    ScoringRole.documents_demanded: ("documents_demanded", ItemKind.documents),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
