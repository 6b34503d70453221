"""API models of the standards catalogue."""

import datetime as dt

from pydantic import BaseModel

from service.standards.catalogue import StandardBody


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
