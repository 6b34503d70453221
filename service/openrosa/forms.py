"""Which forms a shopper's Collect lists, and their bytes: XForms of the open visits' checklists.

A form is a service and channel, its version its checklist's (``xforms.form_id_for``,
``version_for``): a visit keeps the checklist it was assigned with, and Collect keeps the
version the list names (``match_exactly``). When a shopper's open visits pin two versions of
one service and channel, the newest is listed; an instance of the older one is still read
against its own checklist (``checklist_of``).
"""

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import ClassVar

from sqlmodel import Session

from service.auth.models import User
from service.checklists.format import ResolvedChecklist
from service.checklists.pinned import checklist_by_hash
from service.error_codes import ErrorCode
from service.errors import NotFound
from service.isotime import local_date
from service.openrosa import documents, repository
from service.xforms import XForm, build_xform, form_id_for, version_for

_CACHE: "OrderedDict[tuple[str, str, str], XForm]" = OrderedDict()
_CACHE_MAX = 128
_LOCK = threading.Lock()


class FormNotFound(NotFound):
    code: ClassVar[ErrorCode] = "form-not-found"
    title = "Form not found"


@dataclass(frozen=True)
class OpenForm:
    form_id: str
    version: str
    checklist: ResolvedChecklist
    visits: list[repository.OpenVisit]

    @property
    def title(self) -> str:
        return self.checklist.title_ru


def open_forms(session: Session, shopper: User) -> dict[str, OpenForm]:
    """The forms of the shopper's open visits, by form id (newest checklist per form)."""
    by_form: dict[tuple[str, str], list[repository.OpenVisit]] = {}
    for row in repository.open_visits(session, shopper.id):
        by_form.setdefault((row.service_code, row.channel), []).append(row)
    forms = {}
    for rows in by_form.values():
        newest = max(rows, key=lambda r: r.checklist_id)
        checklist = checklist_by_hash(session, newest.checklist_id, newest.checklist_hash)
        form_id = form_id_for(checklist)
        forms[form_id] = OpenForm(form_id, version_for(checklist), checklist, rows)
    return dict(sorted(forms.items()))


def open_form(session: Session, shopper: User, form_id: str) -> OpenForm:
    form = open_forms(session, shopper).get(form_id)
    if form is None:
        raise FormNotFound(f"None of your open visits uses form {form_id}.")
    return form


def xform(form: OpenForm) -> XForm:
    """The form's XForm, built once per checklist content, form id and version."""
    key = (form.checklist.content_hash(), form.form_id, form.version)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    built = build_xform(
        form.checklist, form_id=form.form_id, version=form.version, title=form.title
    )
    with _LOCK:
        _CACHE[key] = built
        while len(_CACHE) > _CACHE_MAX:
            _CACHE.popitem(last=False)
    return built


def visits_csv(form: OpenForm) -> bytes:
    """The shopper's open visits of this form, for the form's visit picker."""
    rows = []
    for visit in form.visits:
        start, end = local_date(visit.window_start_at), local_date(visit.window_end_at)
        window = f"{start.isoformat()}..{end.isoformat()}"
        rows.append(
            documents.VisitRow(
                visit_id=str(visit.visit_id),
                label=f"{visit.office_name}, {window}",
                service=visit.service_code,
                office=visit.office_name,
                window=window,
                return_comment=visit.review_comment or "",
            )
        )
    return documents.visits_csv(rows)


def md5(data: bytes) -> str:
    # The hash Collect compares to decide whether to download again; not a security use.
    return "md5:" + hashlib.md5(data, usedforsecurity=False).hexdigest()


def checklist_of(session: Session, shopper: User, form_id: str, version: str) -> ResolvedChecklist:
    """The checklist an instance of ``form_id`` at ``version`` was filled in against: one that
    a visit of the shopper pins (open or not: Collect may send a form filled before).

    Raises:
        FormNotFound: none of the shopper's visits has that form and version.
    """
    for checklist_id, digest in repository.pinned_checklists(session, shopper.id):
        checklist = checklist_by_hash(session, checklist_id, digest)
        if form_id_for(checklist) == form_id and version_for(checklist) == version:
            return checklist
    raise FormNotFound(f"None of your visits uses version {version!r} of form {form_id}.")
