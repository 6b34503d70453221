"""The review page's answers: option texts, local times and numbers in the page's language."""

from typing import Any

import pytest
from pydantic import JsonValue, TypeAdapter

from service.checklists.items import Item, ItemBase
from service.console.answer_text import answer_text
from service.console.i18n import translations

ITEM: TypeAdapter[ItemBase] = TypeAdapter(Item)
OPTIONS = [
    {"code": "polite", "text_ru": "Вежливо", "text_en": "Politely", "text_kk": "Сыпайы"},
    {"code": "rude", "text_ru": "Грубо", "text_en": "Rudely"},
]


def item(kind: str, **fields: Any) -> ItemBase:
    return ITEM.validate_python(
        {"code": "q", "kind": kind, "text_ru": "Вопрос", "text_en": "Question", **fields}
    )


def shown(one: ItemBase, value: JsonValue, language: str, *, na: bool = False) -> str:
    return answer_text(one, value, na=na, language=language, gettext=translations(language).gettext)


@pytest.mark.parametrize(
    ("kind", "fields", "value", "language", "expected"),
    [
        ("yes_no", {}, "yes", "ru", "Да"),
        ("yes_no", {}, "no", "kk", "Жоқ"),
        ("choice", {"options": OPTIONS}, "polite", "kk", "Сыпайы"),
        # No Kazakh text for this option: the Russian one, as everywhere in the console.
        ("choice", {"options": OPTIONS}, "rude", "kk", "Грубо"),
        ("choice", {"options": OPTIONS}, "rude", "en", "Rudely"),
        ("multi_choice", {"options": OPTIONS}, ["polite", "rude"], "ru", "Вежливо; Грубо"),
        (
            "documents",
            {"options": OPTIONS},
            {"selected": ["polite"], "extras": ["справка с работы"]},
            "en",
            "Politely; «справка с работы»",
        ),
        ("documents", {}, {"selected": [], "extras": []}, "ru", "—"),
        # 10:02 UTC is 15:02 in Astana.
        ("timestamp", {}, "2026-03-18T10:02:00+00:00", "ru", "18.03.2026, 15:02"),
        ("timestamp", {}, "2026-03-18T10:02:00+00:00", "en", "3/18/26, 3:02\u202fPM"),
        ("date", {}, "2026-04-01", "ru", "1 апр. 2026\u202fг."),
        ("duration", {}, 754, "en", "0:12:34"),
        ("number", {"unit": "kzt"}, 1250.5, "ru", "1\xa0250,5 ₸"),
        ("number", {"unit": "windows"}, 3, "en", "3"),
        ("rating", {}, 4, "ru", "4"),
        ("text", {}, "Табло не работало", "en", "Табло не работало"),
    ],
)
def test_an_answer_reads_in_the_pages_language(
    kind: str, fields: dict[str, Any], value: JsonValue, language: str, expected: str
) -> None:
    assert shown(item(kind, **fields), value, language) == expected


def test_not_applicable_is_said_whatever_the_value() -> None:
    one = item("yes_no", allow_na=True)
    assert shown(one, None, "ru", na=True) == "Неприменимо"
    assert shown(one, None, "en", na=True) == "Not applicable"


def test_a_value_that_no_longer_fits_its_item_is_shown_as_stored() -> None:
    # A code the checklist no longer has, and a time that is not one.
    assert shown(item("choice", options=OPTIONS), "gone", "ru") == "gone"
    assert shown(item("timestamp"), "soon", "ru") == "soon"
