"""API models of checklists."""

import datetime as dt

from pydantic import BaseModel

from service.checklists.format import ChecklistChannel, ResolvedChecklist


class TemplatePublic(BaseModel):
    id: int
    channel: ChecklistChannel
    version: int
    content_hash: str
    published_at: dt.datetime


class ChecklistSummary(BaseModel):
    """Enough for a phone to know whether its copy is current."""

    id: int
    service_code: str
    channel: ChecklistChannel
    template_version: int
    standard_version: int
    content_hash: str
    created_at: dt.datetime


class ChecklistPublic(ChecklistSummary):
    checklist: ResolvedChecklist


class TemplateLoadReport(BaseModel):
    created: int
    unchanged: int
