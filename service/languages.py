"""The languages a person reads mshop in, and which of them a request asks for.

Russian first: the default, the language of the 2018 report and of the offices' daily work;
then Kazakh, the state language, and English. Pure: the console, the reports, the OpenRosa
messages and the start page all ask this module, so a language is added in one place.
"""

from typing import Literal, get_args

Language = Literal["ru", "kk", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "ru"
# Each language named in itself, for a switcher.
LANGUAGE_NAMES: dict[Language, str] = {"ru": "Русский", "kk": "Қазақша", "en": "English"}
# An Accept-Language header is read up to this many entries: browsers and phones send a
# handful, and a longer one is someone else's.
MAX_ACCEPTED_ENTRIES = 20


def language_named(tag: str | None) -> Language | None:
    """``tag`` as one of ``LANGUAGES``, or None when it is none of them."""
    return next((language for language in LANGUAGES if language == tag), None)


def language_of(value: str | None) -> Language:
    """``value`` as one of ``LANGUAGES``, or the default for anything else."""
    return language_named(value) or DEFAULT_LANGUAGE


def accepted(header: str | None) -> Language | None:
    """The first of ``LANGUAGES`` an ``Accept-Language`` header asks for, by its q-values
    (ties in the header's order; ``q=0`` means "not this one"), or None."""
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")[:MAX_ACCEPTED_ENTRIES]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        wanted.append((-quality, position, tag.strip().lower().split("-")[0]))
    for quality, _, tag in sorted(wanted):
        if quality < 0 and (language := language_named(tag)) is not None:
            return language
    return None


def negotiated(header: str | None) -> Language:
    """What ``accepted`` finds in ``header``, else the default."""
    return accepted(header) or DEFAULT_LANGUAGE


def chosen(asked: str | None, header: str | None) -> Language:
    """The language a person chose (``asked``: a ``lang`` parameter) when it is one of ours,
    else what their ``Accept-Language`` header asks for, else the default."""
    return language_named(asked) or negotiated(header)
