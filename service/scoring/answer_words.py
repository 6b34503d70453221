"""An answer's words as a finding quotes them: options and items by their texts in each
language, never by their codes (pure).
"""

from pydantic import JsonValue

from service.checklists.format import ResolvedChecklist
from service.checklists.items import ChoiceItem, ItemBase, MultiChoiceItem
from service.scoring.messages import localized


def option_text(item: ItemBase | None, code: JsonValue) -> JsonValue:
    """The option ``code`` of ``item`` as its texts in each language; the code itself when
    the item has no such option (a reader sees «Портал недоступен», not ``portal_down``)."""
    found = item.option(code) if isinstance(item, ChoiceItem | MultiChoiceItem) else None
    return localized(found.text_ru, found.text_en, found.text_kk) if found else code


def joined(parts: list[JsonValue]) -> dict[str, JsonValue]:
    """Texts (each a code or texts in each language) joined by commas, in each language."""

    def text(part: JsonValue, lang: str) -> str:
        if isinstance(part, dict):
            return str(part.get(f"text_{lang}") or part["text_ru"])
        return str(part)

    ru, en, kk = (", ".join(text(p, lang) for p in parts) for lang in ("ru", "en", "kk"))
    return localized(ru, en, kk)


def item_of(checklist: ResolvedChecklist, code: str) -> ItemBase | None:
    """The item ``code`` of ``checklist``, or None when it has none."""
    try:
        return checklist.item(code)
    except KeyError:
        return None


def question(item: ItemBase) -> dict[str, JsonValue]:
    """The item's question in each language."""
    return localized(item.text_ru, item.text_en, item.text_kk)
