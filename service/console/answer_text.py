"""An answer as a coordinator reads it on the review page: the options' texts rather than
their codes, times on Kazakhstan's clock and numbers in the page's language.

The stored value stays what the phone sent (``answers``); this only reads it. A value that
does not fit its item any more (a checklist corrected since) is shown as stored.
"""

import datetime as dt
from collections.abc import Callable

from pydantic import JsonValue

from service.checklists.items import (
    ChoiceItem,
    DateItem,
    DocumentsItem,
    DurationItem,
    ItemBase,
    MultiChoiceItem,
    NumberItem,
    TimestampItem,
    YesNoItem,
)
from service.console import i18n, labels
from service.console.pages import localized

# The one unit a reader needs spelled out: the others are in the question ("How many...").
_UNITS = {"kzt": "₸"}


def answer_text(
    item: ItemBase,
    value: JsonValue,
    *,
    na: bool,
    language: str,
    gettext: Callable[[str], str],
) -> str:
    """``value``, the current answer to ``item``, as a sentence fragment in ``language``."""
    if na:
        return gettext(labels.ANSWERS["na"])
    try:
        return _text(item, value, language, gettext)
    except (TypeError, ValueError):
        return _plain(value)


def _text(item: ItemBase, value: JsonValue, language: str, gettext: Callable[[str], str]) -> str:
    if isinstance(item, YesNoItem) and value in ("yes", "no"):
        return gettext(labels.ANSWERS[str(value)])
    if isinstance(item, ChoiceItem) and isinstance(value, str):
        return _option(item, value, language)
    if isinstance(item, MultiChoiceItem) and isinstance(value, list):
        return "; ".join(_option(item, str(code), language) for code in value)
    if isinstance(item, DocumentsItem) and isinstance(value, dict):
        chosen = [_option(item, str(code), language) for code in _list(value, "selected")]
        extras = [f"«{text}»" for text in _list(value, "extras")]
        return "; ".join([*chosen, *extras]) or "—"
    if isinstance(item, TimestampItem) and isinstance(value, str):
        return i18n.local_datetime(dt.datetime.fromisoformat(value), language)
    if isinstance(item, DateItem) and isinstance(value, str):
        return i18n.local_day(dt.date.fromisoformat(value), language)
    if isinstance(item, DurationItem) and isinstance(value, int | float):
        minutes, seconds = divmod(int(value), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    if isinstance(item, NumberItem) and isinstance(value, int | float):
        unit = _UNITS.get(item.unit)
        shown = i18n.number(value, language)
        return f"{shown} {unit}" if unit else shown
    return _plain(value)


def _option(item: ItemBase, code: str, language: str) -> str:
    found = item.option(code)
    return localized(found, "text", language) if found else code


def _list(value: dict[str, JsonValue], key: str) -> list[JsonValue]:
    found = value.get(key)
    return found if isinstance(found, list) else []


def _plain(value: JsonValue) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)
