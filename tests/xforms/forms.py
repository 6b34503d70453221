"""The shipped checklists of all 60 services and their forms, built once per test run."""

import functools
from pathlib import Path

from service.checklists.builder import build_service_checklists
from service.checklists.format import ResolvedChecklist
from service.checklists.loader import load_templates
from service.standards.catalogue import load_catalogue
from service.xforms import XForm, build_xform, form_id_for, version_for

ROOT = Path(__file__).resolve().parents[2]
SERVICES = [f"S{n:02d}" for n in range(1, 61)]


@functools.cache
def checklists() -> tuple[ResolvedChecklist, ...]:
    """Every service's checklist of every channel it gets."""
    templates = load_templates(ROOT / "checklists" / "templates")
    catalogue = load_catalogue(ROOT / "checklists" / "standards")
    return tuple(c for s in catalogue for c in build_service_checklists(templates, s))


def form_id(checklist: ResolvedChecklist) -> str:
    return form_id_for(checklist)


def xform(checklist: ResolvedChecklist) -> XForm:
    """The checklist's form, as the OpenRosa routes would name it."""
    return build_xform(
        checklist,
        form_id=form_id(checklist),
        version=version_for(checklist),
        title=checklist.title_ru,
    )


def checklist(service: str, channel: str) -> ResolvedChecklist:
    return next(c for c in checklists() if form_id(c) == f"{service}-{channel}")
