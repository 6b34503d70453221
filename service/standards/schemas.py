"""API models of the standards catalogue."""

import datetime as dt
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel

from service.standards.catalogue import CODE_PATTERN, StandardBody

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


class ServicePublic(StandardPublic):
    """A service: the standard in force on the asked date, plus every version's reference."""

    versions: list[StandardVersionRef]


class LoadReport(BaseModel):
    created: int
    unchanged: int
