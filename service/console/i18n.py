"""The console's languages: message catalogues, dates and numbers per locale (Babel).

The catalogues are the gettext ``.po`` files under ``locale/``; they are compiled in memory
the first time a language is used (``babel.messages.mofile.write_mo``), so no compiled
``.mo`` file is committed that could fall behind its ``.po``. Dates and times are shown on
Kazakhstan's clock (``service.isotime.LOCAL_OFFSET``) in the locale's own pattern; numbers
with the locale's separators.
"""

import datetime as dt
import io
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from service.isotime import LOCAL_OFFSET
from service.languages import language_of

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(language: str) -> Catalog:
    with catalogue_path(language).open("rb") as po:
        return read_po(po, locale=language, domain=DOMAIN)


@cache
def translations(language: str) -> Translations:
    """The compiled catalogue of ``language`` (compiled once per process)."""
    compiled = io.BytesIO()
    write_mo(compiled, read_catalogue(language_of(language)))
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def local_datetime(moment: dt.datetime | None, language: str) -> str:
    """``moment`` on Kazakhstan's clock in the language's short pattern; empty for None."""
    if moment is None:
        return ""
    return format_datetime(moment.astimezone(LOCAL_OFFSET), "short", locale=language)


def local_day(day: dt.date | None, language: str) -> str:
    return "" if day is None else format_date(day, "medium", locale=language)


def number(value: float | int | None, language: str, digits: int = 2) -> str:
    """``value`` with the language's grouping and decimal separators; a dash for None."""
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0." + "#" * digits, locale=language)
