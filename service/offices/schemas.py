"""API models of offices."""

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from service.checklists.format import ChecklistChannel
from service.offices.regions import Region
from service.plain_text import TypedText
from service.standards.catalogue import CODE_PATTERN, ApplicationChannel


class OfficeKind(StrEnum):
    con = "con"
    agency_office = "agency_office"
    call_centre = "call_centre"
    portal = "portal"


@dataclass(frozen=True)
class KindTraits:
    label: str
    # How a shopper meets the service there: in person at a counter, by calling 1414, online.
    channel: ChecklistChannel
    # Which of a standard's application channels an office of this kind is. Empty: it takes
    # no applications (1414 informs about every service), so no standard's list applies.
    applications: frozenset[ApplicationChannel] = frozenset()


# The one place that says which channel fits which kind of office; assignment checks it.
OFFICE_KINDS: dict[OfficeKind, KindTraits] = {
    OfficeKind.con: KindTraits(
        "a public service centre (ЦОН)",
        ChecklistChannel.in_person,
        frozenset({ApplicationChannel.goscorp_con}),
    ),
    OfficeKind.agency_office: KindTraits(
        "an agency office", ChecklistChannel.in_person, frozenset({ApplicationChannel.gov_agency})
    ),
    OfficeKind.call_centre: KindTraits("a call centre", ChecklistChannel.call_1414),
    OfficeKind.portal: KindTraits(
        "the portal",
        ChecklistChannel.egov,
        frozenset({ApplicationChannel.egov_portal, ApplicationChannel.elicense_portal}),
    ),
}


def _unique(codes: list[str]) -> list[str]:
    if len(set(codes)) != len(codes):
        raise ValueError("services must not repeat")
    return codes


ServiceCodes = Annotated[
    list[Annotated[str, Field(pattern=CODE_PATTERN)]],
    Field(max_length=200),
    AfterValidator(_unique),
]


class OfficeBase(BaseModel):
    name: Annotated[TypedText, Field(min_length=1, max_length=300)]
    kind: OfficeKind
    region: Region
    city: Annotated[TypedText, Field(min_length=1, max_length=120)]
    address: Annotated[TypedText, Field(max_length=500)] | None = None
    latitude: Annotated[float, Field(ge=40.0, le=56.0)] | None = None
    longitude: Annotated[float, Field(ge=46.0, le=88.0)] | None = None
    services: ServiceCodes = Field(default_factory=list)


class OfficeCreate(OfficeBase):
    model_config = ConfigDict(extra="forbid")

    client_id: uuid.UUID | None = Field(
        default=None,
        description="Makes a retry answer the same office; the same id with other content is 409",
    )


class OfficeUpdate(BaseModel):
    """Fields to change; absent fields stay as they are. Only the address and the
    coordinates may be null (removed)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[TypedText, Field(min_length=1, max_length=300)] | None = None
    kind: OfficeKind | None = None
    region: Region | None = None
    city: Annotated[TypedText, Field(min_length=1, max_length=120)] | None = None
    address: Annotated[TypedText, Field(max_length=500)] | None = None
    latitude: Annotated[float, Field(ge=40.0, le=56.0)] | None = None
    longitude: Annotated[float, Field(ge=46.0, le=88.0)] | None = None
    services: ServiceCodes | None = None

    @field_validator("name", "kind", "region", "city", "services")
    @classmethod
    def _present_means_a_value(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be left out, but not null")
        return value


class OfficePublic(OfficeBase):
    id: int
    created_at: dt.datetime
