"""The form's own texts exist in Russian, Kazakh and English, with the same blanks to fill."""

import string

import pytest

from service.xforms import labels
from service.xforms.errors import MESSAGES

LANGS = {"ru", "kk", "en"}


def _blanks(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(labels.FIXED))
def test_fixed_texts(key: str) -> None:
    texts = labels.FIXED[key]
    assert set(texts) == LANGS
    assert all(t.strip() for t in texts.values())
    assert len({frozenset(_blanks(t)) for t in texts.values()}) == 1


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_error_messages(code: str) -> None:
    texts = MESSAGES[code]
    assert set(texts) == LANGS
    assert len({frozenset(_blanks(t)) for t in texts.values()}) == 1
    assert len(set(texts.values())) == 3


def test_columns_name_each_language_as_collect_matches_it() -> None:
    cells = labels.columns("hint", labels.of("Вопрос", "Question", None))
    assert cells == {
        "hint::Russian (ru)": "Вопрос",
        "hint::Kazakh (kk)": "Вопрос",
        "hint::English (en)": "Question",
    }
