"""What photos need of a visit, declared here so that photos never import the visits package.

The visit, its status and its row lock belong to ``service.visits``, which sits above photos
(submitting a visit asks photos what is missing). An upload releases its transaction while the
image is processed and locks the visit only afterwards, so the visits layer cannot take the
lock once before calling in: it hands over a ``VisitWriter`` that does it when asked.
"""

import datetime as dt
import uuid
from typing import Protocol

from service.checklists.format import ResolvedChecklist


class PhotoVisit(Protocol):
    """The fields of a visit that photos read: which checklist, where and when."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def checklist_id(self) -> int: ...

    @property
    def office_id(self) -> int: ...

    @property
    def window_start_at(self) -> dt.datetime: ...

    @property
    def window_end_at(self) -> dt.datetime: ...


class VisitWriter(Protocol):
    """The visit's lifecycle, as far as a shopper's photo write needs it."""

    def check_editable(self) -> None:
        """Raise ``VisitNotEditable`` unless the shopper still holds the visit."""

    def lock(self) -> PhotoVisit:
        """Take the visit's row lock (starting an assigned visit) and return it, re-read;
        asked again, the visit as the lock read it.

        Raises:
            VisitNotEditable: the visit was submitted (or cancelled) meanwhile.
        """

    def checklist(self) -> ResolvedChecklist:
        """The visit's checklist (no query once the lock has read its hash and it is cached)."""
