"""The checklist a visit pinned at assignment, parsed once per process and content hash.

Answers, photos and scoring each need a visit's checklist on every request; it lives here, with
the checklists, so none of them has to ask another for it and the parse cache is one cache.
"""

from typing import Protocol

from sqlmodel import Session

from service.checklists import service as checklists_service
from service.checklists.format import ResolvedChecklist


class PinsChecklist(Protocol):
    """Anything that pinned a checklist (a visit): only its id is read."""

    @property
    def checklist_id(self) -> int: ...


_CHECKLISTS: dict[str, ResolvedChecklist] = {}
_CHECKLISTS_MAX = 512


def checklist_for_visit(session: Session, visit: PinsChecklist) -> ResolvedChecklist:
    """The visit's checklist, parsed once per process and content hash (content never changes).

    Raises:
        ChecklistNotFound: the visit points at no checklist.
    """
    digest = checklists_service.content_hash_of(session, visit.checklist_id)
    cached = _CHECKLISTS.get(digest)
    if cached is not None:
        return cached
    row = checklists_service.get_checklist(session, visit.checklist_id)
    parsed = ResolvedChecklist.model_validate(row.body)
    if len(_CHECKLISTS) >= _CHECKLISTS_MAX:
        _CHECKLISTS.pop(next(iter(_CHECKLISTS)))
    _CHECKLISTS[row.content_hash] = parsed
    return parsed
