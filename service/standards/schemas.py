"""API models of the standards catalogue."""

import datetime as dt
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.isotime import IsoDate
from service.standards.catalogue import CODE_PATTERN, Document, StandardBody

# A service's code in a URL path; the routes of checklists use it too.
ServiceCode = Annotated[str, Path(pattern=CODE_PATTERN, description="S01..S99")]


class StandardPublic(StandardBody):
    """A standard version as the API shows it."""

    code: str
    section_no: int
    version: int
    content_hash: str
    created_at: dt.datetime


class StandardVersionRef(BaseModel):
    version: int
    effective_from: dt.date
    content_hash: str
    created_at: dt.datetime
    supersedes_version: int | None = Field(
        default=None,
        description="The version of the same effective_from this one corrects, if any",
    )


class ServicePublic(StandardPublic):
    """A service: the standard in force on the asked date, plus every version's reference."""

    versions: list[StandardVersionRef]


class LoadReport(BaseModel):
    created: int
    unchanged: int
    # Versions added as corrections of a version of the same date (their codes).
    corrected: list[str] = []


class DocumentList(BaseModel):
    """A service's document list in force from ``effective_from``, as a programme loads it."""

    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, Field(pattern=CODE_PATTERN)]
    effective_from: IsoDate
    documents: list[Document] = Field(max_length=200)
    # Where the list comes from (the standard's order and clause), kept with the version.
    note_ru: Annotated[str, Field(min_length=1, max_length=2000)] | None = None


class DocumentsImport(BaseModel):
    """Document lists for many services at once; each becomes a new standard version."""

    model_config = ConfigDict(extra="forbid")

    lists: list[DocumentList] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _one_list_per_version(self) -> "DocumentsImport":
        keys = [(d.code, d.effective_from) for d in self.lists]
        if len(set(keys)) != len(keys):
            raise ValueError("two lists for the same service and effective_from")
        return self


class ImportedVersion(StandardVersionRef):
    code: str
    created: bool


class DocumentsImportReport(BaseModel):
    created: int
    unchanged: int
    versions: list[ImportedVersion]
