"""API models of photos."""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from service.isotime import AwareIsoDatetime


class PhotoPublic(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    visit_id: uuid.UUID
    item_code: str
    status: str = Field(
        description="processing (stored, copies being made), ready, or rejected (see "
        "rejected_reason); pending: a direct upload not completed"
    )
    sha256: str | None
    mime: str | None
    size_bytes: int | None
    width: int | None
    height: int | None
    taken_at: dt.datetime
    exif_taken_at: dt.datetime | None
    flags: list[str]
    created_at: dt.datetime
    rejected_reason: str | None = Field(
        default=None, description="Why processing refused the image: `code: detail`"
    )
    gps_latitude: float | None = Field(default=None, description="Coordinators and admins only")
    gps_longitude: float | None = Field(default=None, description="Coordinators and admins only")
    device: str | None = Field(default=None, description="Coordinators and admins only")


class ItemPhotos(BaseModel):
    item_code: str
    min_count: int
    max_count: int
    received: int
    missing: int


class VisitPhotos(BaseModel):
    photos: list[PhotoPublic]
    items: list[ItemPhotos] = Field(description="Expected vs received, per item with photos")


# A photo's SHA-256 as a phone declares it: lower-case hex.
SHA256_HEX = r"^[0-9a-f]{64}$"


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: uuid.UUID
    item_code: Annotated[str, Field(min_length=1, max_length=64)]
    taken_at: AwareIsoDatetime
    size_bytes: StrictInt = Field(ge=1)
    sha256: Annotated[str, Field(pattern=SHA256_HEX)]
    content_type: Annotated[str, Field(pattern=r"^image/(jpeg|png|webp|heic|heif)$")]


class UploadRequests(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uploads: list[UploadRequest] = Field(
        min_length=1, description="At most MSHOP_UPLOAD__MAX_TICKETS_PER_REQUEST photos"
    )


class UploadTicket(BaseModel):
    photo_id: uuid.UUID
    client_id: uuid.UUID
    upload_url: str
    method: str = "PUT"
    headers: dict[str, str] = Field(
        description="Send each unchanged: they are signed. The store refuses other bytes "
        "(x-amz-checksum-sha256) and a second PUT once the photo is stored (If-None-Match)"
    )
    expires_at: dt.datetime


class UploadTickets(BaseModel):
    tickets: list[UploadTicket] = Field(description="In the order of the requests")


class CompleteRequests(BaseModel):
    model_config = ConfigDict(extra="forbid")

    photo_ids: list[uuid.UUID] = Field(
        min_length=1,
        description="Direct uploads of this visit; at most MSHOP_UPLOAD__MAX_TICKETS_PER_REQUEST",
    )


class CompletedPhotos(BaseModel):
    photos: list[PhotoPublic] = Field(description="In the order of the ids")


class Variant(StrEnum):
    thumb = "thumb"
    display = "display"
    original = "original"


class CleanupReport(BaseModel):
    expired_uploads: int
    orphan_objects: int
    partial_files: int = 0
