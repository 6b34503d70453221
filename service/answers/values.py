"""An answer's value in its one JSON form, or why it does not fit its item (pure).

The form and the checks of each kind are declared in the item-kind registry
(``checklists/kinds.py``); this module adds what every kind shares: an N/A answer is ``None``
with ``na`` set, and only where the item allows it.
"""

from typing import Any

from service.checklists.items import ItemBase
from service.checklists.kinds import kind_of
from service.checklists.values import AnswerValueError

__all__ = ["AnswerValueError", "normalize"]


def normalize(item: ItemBase, value: Any, *, na: bool = False) -> Any:
    """Return ``value`` in the one JSON form of ``item``'s kind, or raise AnswerValueError."""
    if na:
        if not item.allow_na:
            raise AnswerValueError("this item cannot be answered N/A")
        if value is not None:
            raise AnswerValueError("an N/A answer carries no value")
        return None
    if value is None:
        raise AnswerValueError("a value is required (or na: true where allowed)")
    return kind_of(item).normalize(item, value)
