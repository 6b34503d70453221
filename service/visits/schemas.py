"""API models of visits."""

import datetime as dt
import uuid
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from service.checklists.format import ChecklistChannel
from service.db_types import MAX_ROW_ID
from service.isotime import AwareIsoDatetime, IsoDate
from service.plain_text import TypedText, no_control_characters
from service.standards.catalogue import CODE_PATTERN
from service.visits.checks import DefectCode
from service.visits.transitions import ReviewAction, VisitAction, VisitStatus

# Said by a person: whitespace around it is dropped, so a blank one is no comment at all.
# The console's refusal says "longer than 2,000 characters" (console/labels.py, PROBLEMS).
Comment = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(no_control_characters),
]


class VisitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: uuid.UUID | None = Field(
        default=None, description="Makes a retried assignment create one visit, not two"
    )
    service_code: Annotated[str, Field(pattern=CODE_PATTERN)]
    office_id: StrictInt = Field(ge=1, le=MAX_ROW_ID)
    shopper_id: uuid.UUID
    channel: ChecklistChannel
    window_start_at: AwareIsoDatetime
    window_end_at: AwareIsoDatetime
    notes: Annotated[TypedText, Field(max_length=2000)] | None = None
    wave: Annotated[TypedText, Field(min_length=1, max_length=64)] | None = None
    deadline_case_index: StrictInt | None = Field(
        default=None, ge=0, le=49, description="Which of the standard's deadline cases applies"
    )

    @field_validator("window_end_at")
    @classmethod
    def _window(cls, end: dt.datetime, info: ValidationInfo) -> dt.datetime:
        # A field validator, so the error points at window_end_at rather than the whole body.
        start = info.data.get("window_start_at")
        if start is not None and end <= start:
            raise ValueError("window_end_at must be after window_start_at")
        return end


class VisitPublic(BaseModel):
    id: uuid.UUID
    service_code: str
    office_id: int
    shopper_id: uuid.UUID
    channel: ChecklistChannel
    wave: str | None
    window_start_at: dt.datetime
    window_end_at: dt.datetime
    notes: str | None = Field(description="Free text: null for analysts")
    status: VisitStatus
    checklist_id: int
    standard_id: int
    deadline_case_index: int | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    submitted_at: dt.datetime | None
    device_submitted_at: dt.datetime | None
    clock_skew_seconds: float | None
    reviewed_at: dt.datetime | None
    review_comment: str | None = Field(description="Free text: null for analysts")
    score: float | None = Field(default=None, description="0-100 against the standard")
    grade: int | None = Field(default=None, description="1-5, the report's scale")
    allowed_actions: list[VisitAction] = Field(description="Moves the caller may make now")


class SubmitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: uuid.UUID
    submitted_at: AwareIsoDatetime = Field(
        description="The phone's clock when the shopper submitted"
    )


MOVE_CLIENT_ID = Field(
    description="Makes a retry answer the visit as it is; the same id with another move is 409"
)


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: uuid.UUID = MOVE_CLIENT_ID
    action: ReviewAction
    comment: Comment | None = Field(default=None, description="Required to return or reject")

    @model_validator(mode="after")
    def _review_actions(self) -> "ReviewRequest":
        if self.action is not ReviewAction.approve and self.comment is None:
            raise ValueError(f"a comment is required to {self.action.value} a visit")
        return self


class ReasonRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: uuid.UUID = MOVE_CLIENT_ID
    reason: Comment


class ResultRequest(BaseModel):
    """When the visit's result was ready and received, told after the visit."""

    model_config = ConfigDict(extra="forbid")

    client_id: uuid.UUID = Field(description="Makes a retry record the follow-up once")
    ready_on: IsoDate | None = Field(
        default=None, description="The day the office said the result was ready (the notice)"
    )
    received_on: IsoDate | None = Field(default=None, description="The day it was received")

    @model_validator(mode="after")
    def _some_date(self) -> "ResultRequest":
        if self.ready_on is None and self.received_on is None:
            raise ValueError("give ready_on, received_on or both")
        if self.ready_on and self.received_on and self.received_on < self.ready_on:
            raise ValueError("received_on must not be before ready_on")
        return self


class VisitResultPublic(BaseModel):
    """One follow-up on a visit's result and what it did to the deadline verdict."""

    id: int
    visit_id: uuid.UUID
    client_id: uuid.UUID
    ready_on: dt.date | None
    received_on: dt.date | None
    recorded_by_id: uuid.UUID
    recorded_at: dt.datetime
    deadline_before: str | None = Field(
        description="The deadline verdict before (null: the visit was not scored yet)"
    )
    deadline_after: str | None = Field(
        description="The verdict after: on_time, late, early, pending, overdue or unknown"
    )


class VisitEventPublic(BaseModel):
    id: int
    actor_id: uuid.UUID
    action: str
    from_status: VisitStatus | None
    to_status: VisitStatus | None
    detail: dict[str, Any]
    at: dt.datetime


class BulkRowError(BaseModel):
    row: int = Field(description="Line number in the CSV file, header = 1")
    column: str | None = Field(description="The cell's column; null for the line as a whole")
    message: str
    code: DefectCode


class BulkResult(BaseModel):
    created: int
    unchanged: int
    visits: list[uuid.UUID]


class WaveSummary(BaseModel):
    """How a wave (or every visit, with no wave) stands: the coordinator's dashboard."""

    wave: str | None
    total: int
    by_status: dict[VisitStatus, int] = Field(description="Every status, zero included")
    awaiting_review: int = Field(description="Submitted, not yet reviewed")
    overdue: int = Field(description="Still the shopper's to do after the window ended")
    flagged_photos: int = Field(description="Photos with at least one flag")
    visits_with_flagged_photos: int
