"""The checklist a visit pinned at assignment, parsed once per process and content hash.

Answers, photos and scoring each need a visit's checklist on every request; it lives here, with
the checklists, so none of them has to ask another for it and the parse cache is one cache.
"""

import threading
import uuid
from collections import OrderedDict
from typing import Protocol

from sqlmodel import Session

from service.checklists import service as checklists_service
from service.checklists.format import ResolvedChecklist


class PinsChecklist(Protocol):
    """Anything that pinned a checklist (a visit): only its id is read."""

    @property
    def checklist_id(self) -> int: ...


# Content hash -> parsed checklist, the least recently used dropped past the bound. Keyed by
# the hash, never by id: a row's content never changes, and two databases (tests, a restore)
# may give one id to different checklists.
_CHECKLISTS: "OrderedDict[str, ResolvedChecklist]" = OrderedDict()
_CHECKLISTS_MAX = 512
_CHECKLISTS_LOCK = threading.Lock()

# Visit id -> content hash of the checklist it pinned, as last read with the visit. A visit
# never changes its checklist once assigned, so a write may check what it carries against the
# checklist before it queues for the visit's lock (on SQLite, the database's one write lock)
# and the lock is held for the write alone; the hash read under the lock is still compared.
_PINS: "OrderedDict[uuid.UUID, str]" = OrderedDict()
_PINS_MAX = 8192


def checklist_for_visit(session: Session, visit: PinsChecklist) -> ResolvedChecklist:
    """The visit's checklist, parsed once per process and content hash (content never changes).

    Raises:
        ChecklistNotFound: the visit points at no checklist.
    """
    return checklist_by_id(session, visit.checklist_id)


def checklist_by_id(session: Session, checklist_id: int) -> ResolvedChecklist:
    """Checklist ``checklist_id``, parsed once per process and content hash.

    Raises:
        ChecklistNotFound: there is no checklist ``checklist_id``.
    """
    digest = checklists_service.content_hash_of(session, checklist_id)
    return checklist_by_hash(session, checklist_id, digest)


def checklist_by_hash(session: Session, checklist_id: int, digest: str) -> ResolvedChecklist:
    """Checklist ``checklist_id`` whose content hash the caller has read already (with the
    visit, in the same statement): no query at all once it is cached.

    Raises:
        ChecklistNotFound: there is no checklist ``checklist_id``.
    """
    with _CHECKLISTS_LOCK:
        cached = _CHECKLISTS.get(digest)
        if cached is not None:
            _CHECKLISTS.move_to_end(digest)
            return cached
    row = checklists_service.get_checklist(session, checklist_id)
    parsed = ResolvedChecklist.model_validate(row.body)
    with _CHECKLISTS_LOCK:
        _CHECKLISTS[row.content_hash] = parsed
        while len(_CHECKLISTS) > _CHECKLISTS_MAX:
            _CHECKLISTS.popitem(last=False)
    return parsed


def pinned_checklist(visit_id: uuid.UUID) -> tuple[str, ResolvedChecklist] | None:
    """The content hash and checklist that visit ``visit_id`` was last read with in this
    process, if both are still cached; no query. A hint: compare the hash with the one read
    under the visit's lock before relying on what was checked against it."""
    with _CHECKLISTS_LOCK:
        digest = _PINS.get(visit_id)
        checklist = None if digest is None else _CHECKLISTS.get(digest)
        if digest is None or checklist is None:
            return None
        _PINS.move_to_end(visit_id)
        return digest, checklist


def remember_pin(visit_id: uuid.UUID, digest: str) -> None:
    """Note that visit ``visit_id`` pinned the checklist of content hash ``digest``."""
    with _CHECKLISTS_LOCK:
        _PINS[visit_id] = digest
        _PINS.move_to_end(visit_id)
        while len(_PINS) > _PINS_MAX:
            _PINS.popitem(last=False)
