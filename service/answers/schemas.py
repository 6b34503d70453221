"""API models of answers."""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from service.isotime import AwareIsoDatetime
from service.pagination import Page


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: uuid.UUID = Field(description="Made on the phone; the same answer keeps it")
    item_code: Annotated[str, Field(min_length=1, max_length=64)]
    value: Any = None
    na: StrictBool = Field(default=False, description="Not applicable; only where the item allows")
    answered_at: AwareIsoDatetime = Field(description="The phone's clock when it was answered")


class AnswerBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: list[AnswerIn] = Field(min_length=1)


class SyncOutcome(StrEnum):
    created = "created"
    unchanged = "unchanged"
    superseded = "superseded"


class AnswerResult(BaseModel):
    client_id: uuid.UUID
    item_code: str
    outcome: SyncOutcome = Field(
        description="created and current; unchanged (sent before); superseded (stored, but a "
        "newer answer to the item is current; beyond the versions kept per item only counted)"
    )


class SyncResult(BaseModel):
    created: int
    unchanged: int
    results: list[AnswerResult]


class AnswerPublic(BaseModel):
    client_id: uuid.UUID
    item_code: str
    value: Any
    na: bool
    answered_at: dt.datetime
    received_at: dt.datetime
    is_current: bool
    withheld: bool = Field(
        default=False,
        description="The value is free text, which analysts do not read: left out (null)",
    )


class DroppedVersions(BaseModel):
    item_code: str
    count: int = Field(
        description="Older versions of the item's answer not kept: past the server's versions "
        "per item (`MSHOP_LIMITS__ANSWER_VERSIONS_PER_ITEM`), only their number remains"
    )


class AnswerPage(Page[AnswerPublic]):
    """A page of answers, by item then ``answered_at``, and what the history no longer holds."""

    dropped: list[DroppedVersions] = Field(
        description="Per item of the whole visit (not only this page), the versions not kept; "
        "items that lost none are left out"
    )
