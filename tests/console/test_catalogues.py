"""The message catalogues: every string the console shows is translated in every language.

The strings are found as Babel's own extraction finds them (``pybabel extract``): ``_()``
and ``gettext()`` in the templates, ``N_()`` in ``labels.py``.
"""

import datetime as dt

import pytest
from babel.messages.extract import extract_from_dir

from service.console import i18n
from service.console.i18n import read_catalogue
from service.console.pages import TEMPLATES
from service.languages import LANGUAGES, language_of

PACKAGE = TEMPLATES.parent
METHODS = [("templates/**.html", "jinja2"), ("labels.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "N_": None}


def used_msgids() -> dict[str, str]:
    """Every message the console's code and templates use, and the file it is first seen in."""
    found: dict[str, str] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map=METHODS, keywords=KEYWORDS
    ):
        text = message if isinstance(message, str) else message[0]
        found.setdefault(text, filename)
    return found


def test_extraction_finds_the_templates_and_labels() -> None:
    used = used_msgids()
    files = set(used.values())
    assert "labels.py" in files
    assert any(name.startswith("templates/") for name in files)
    assert "Sign in" in used
    assert "Awaiting review" in used


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_used_msgid_is_in_the_catalogue(language: str) -> None:
    catalogue = read_catalogue(language)
    missing = {msgid: where for msgid, where in used_msgids().items() if msgid not in catalogue}
    assert missing == {}, f"add these to {i18n.catalogue_path(language)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_is_empty_fuzzy_or_unused(language: str) -> None:
    catalogue = read_catalogue(language)
    used = set(used_msgids())
    messages = [m for m in catalogue if m.id]
    assert [m.id for m in messages if not m.string or not str(m.string).strip()] == []
    assert [m.id for m in messages if m.fuzzy] == []
    assert sorted(str(m.id) for m in messages if m.id not in used) == []
    assert catalogue.obsolete == {}


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_russian_and_kazakh_translate_rather_than_copy(language: str) -> None:
    # A few short words read the same in two languages (E-mail, Балл); most must differ.
    messages = [m for m in read_catalogue(language) if m.id]
    copied = [m.id for m in messages if m.string == m.id]
    assert len(copied) <= 2, copied


def test_kazakh_differs_from_russian() -> None:
    russian = {m.id: m.string for m in read_catalogue("ru") if m.id}
    kazakh = {m.id: m.string for m in read_catalogue("kk") if m.id}
    same = [msgid for msgid in kazakh if kazakh[msgid] == russian[msgid]]
    assert len(same) <= 3, same


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ru", "Ожидает проверки"), ("kk", "Тексеруді күтуде"), ("en", "Awaiting review")],
)
def test_compiled_catalogue_translates(language: str, expected: str) -> None:
    assert i18n.translations(language).gettext("Awaiting review") == expected


class TestFormats:
    # 04:30 UTC is 09:30 in Kazakhstan (UTC+5).
    MOMENT = dt.datetime(2026, 3, 18, 4, 30, tzinfo=dt.UTC)

    @pytest.mark.parametrize(
        ("language", "expected"),
        [("ru", "18.03.2026, 09:30"), ("kk", "18.03.26, 09:30"), ("en", "3/18/26, 9:30\u202fAM")],
    )
    def test_times_are_on_kazakhstans_clock(self, language: str, expected: str) -> None:
        assert i18n.local_datetime(self.MOMENT, language) == expected

    def test_a_moment_late_in_the_utc_day_is_the_next_local_day(self) -> None:
        late = dt.datetime(2026, 3, 18, 20, 0, tzinfo=dt.UTC)
        assert i18n.local_datetime(late, "ru").startswith("19.03.2026, 01:00")

    @pytest.mark.parametrize(
        ("language", "expected"),
        [("ru", "12\xa0345,68"), ("kk", "12\xa0345,68"), ("en", "12,345.68")],
    )
    def test_numbers_use_the_locales_separators(self, language: str, expected: str) -> None:
        assert i18n.number(12345.678, language) == expected

    def test_missing_number_is_a_dash(self) -> None:
        assert i18n.number(None, "ru") == "—"

    @pytest.mark.parametrize("value", ["", "de", None, "RU"])
    def test_unknown_language_is_russian(self, value: str | None) -> None:
        assert language_of(value) == "ru"
