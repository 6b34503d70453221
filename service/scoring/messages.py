"""The message catalogue: every sentence a finding, note or deadline verdict says, in ru, kk, en.

Pure: no web, database or storage imports. The templates live in one data file,
``checklists/messages.yaml`` (docs/scoring.md, "Messages"); the rules pass a key and named
parameters, and ``render`` makes the text in a language. A placeholder is ``{name}`` or
``{name:spec}``:

* no spec: a number in the language's format, a string as it is, a nested message
  (``message(key, ...)``) rendered in the same language, a text in several languages
  (``localized(...)``) in this one, a list of those one after another;
* ``date`` (an ISO date), ``time`` (an ISO date-time, shown on Kazakhstan's clock,
  ``isotime.LOCAL_OFFSET``), ``tenge`` (an amount with at most two decimals);
* ``list`` (items joined by ", "), ``sum`` (joined by " + ");
* ``plural.WORD``: the number and the form of ``WORD`` (the catalogue's ``plurals``) that the
  language's CLDR plural rule picks (Babel: ru one/few/many/other, kk and en one/other).

Rendering is strict: a key missing from the catalogue or parameters other than the key
declares raise ``MessageError``, so a scorer run exercises every message it makes.
"""

import datetime as dt
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from service import yaml_load
from service.isotime import LOCAL_OFFSET
from service.languages import LANGUAGES, Language

Lang = Language
LANGS = LANGUAGES
CATALOGUE_PATH = Path(__file__).resolve().parents[2] / "checklists" / "messages.yaml"
Params = dict[str, JsonValue]
_FORMATS = frozenset({"date", "time", "tenge", "list", "sum"})
_KEY = re.compile(r"[a-z0-9][a-z0-9.\-_]*")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([a-z_.]+))?\}")


class MessageError(ValueError):
    """A key the catalogue lacks, or parameters that do not match its template."""


@functools.cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def plural_categories(lang: Lang) -> frozenset[str]:
    """The CLDR plural categories ``lang`` distinguishes (always with ``other``)."""
    return _locale(lang).plural_form.tags | {"other"}


def placeholders(template: str) -> dict[str, str]:
    """The template's placeholders: name to spec ("" when none)."""
    return {m[1]: m[2] or "" for m in _PLACEHOLDER.finditer(template)}


def without_placeholders(template: str) -> str:
    """The template's own text, placeholders removed (a brace left is a typo)."""
    return _PLACEHOLDER.sub("", template)


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    params: list[str] = []
    en: str = Field(min_length=1)
    ru: str = Field(min_length=1)
    kk: str = Field(min_length=1)


class Catalogue(BaseModel):
    """``plurals``: word -> language -> CLDR category -> form; ``messages``: key -> template."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    plurals: dict[str, dict[Lang, dict[str, str]]]
    messages: dict[str, Template]

    @model_validator(mode="after")
    def _consistent(self) -> "Catalogue":
        for word, forms in self.plurals.items():
            for lang in LANGS:
                missing = plural_categories(lang) - set(forms.get(lang, {}))
                if missing:
                    raise ValueError(f"plural {word!r} lacks {lang} {sorted(missing)}")
        for key, template in self.messages.items():
            if not _KEY.fullmatch(key):
                raise ValueError(f"bad message key {key!r}")
            for lang in LANGS:
                text = getattr(template, lang)
                if {"{", "}"} & set(without_placeholders(text)):
                    raise ValueError(f"{key} ({lang}): a brace outside a placeholder")
                used = placeholders(text)
                if set(used) != set(template.params):
                    raise ValueError(
                        f"{key} ({lang}) uses {sorted(used)}, declares {template.params}"
                    )
                for name, spec in used.items():
                    word = spec.removeprefix("plural.")
                    if spec and spec not in _FORMATS and (spec == word or word not in self.plurals):
                        raise ValueError(f"{key} ({lang}): unknown spec {spec!r} of {name}")
        return self


def load(path: Path) -> Catalogue:
    """Read and check a catalogue file (every key in every language, every plural form)."""
    return Catalogue.model_validate(yaml_load.safe_load(path.read_text(encoding="utf-8")))


@functools.cache
def default_catalogue() -> Catalogue:
    """The shipped catalogue, ``checklists/messages.yaml``."""
    return load(CATALOGUE_PATH)


def message(key: str, **params: JsonValue) -> dict[str, JsonValue]:
    """A message as a parameter of another (rendered in the outer one's language)."""
    return {"key": key, "params": params}


def localized(ru: str, en: str | None = None, kk: str | None = None) -> dict[str, JsonValue]:
    """A text given in several languages (data's own, e.g. a checklist question); a
    language without its own text shows the Russian."""
    return {"text_ru": ru, "text_en": en or ru, "text_kk": kk or ru}


def _number(value: float, lang: Lang, digits: int = 1) -> str:
    return str(format_decimal(value, format="#,##0." + "#" * digits, locale=lang))


def _value(value: Any, spec: str, lang: Lang, catalogue: Catalogue) -> str:
    if spec.startswith("plural."):
        if not isinstance(value, int | float):
            raise MessageError(f"plural of a non-number {value!r}")
        forms = catalogue.plurals[spec.removeprefix("plural.")][lang]
        category = _locale(lang).plural_form(abs(value))
        return f"{_number(value, lang)} {forms.get(category, forms['other'])}"
    if spec in ("list", "sum"):
        if not isinstance(value, list):
            raise MessageError(f"{spec} of a non-list {value!r}")
        parts = (_value(v, "", lang, catalogue) for v in value)
        return (", " if spec == "list" else " + ").join(parts)
    if spec == "date":
        return str(format_date(dt.date.fromisoformat(str(value)), "long", locale=lang))
    if spec == "time":
        return dt.datetime.fromisoformat(str(value)).astimezone(LOCAL_OFFSET).strftime("%H:%M")
    if spec == "tenge" and isinstance(value, int | float):
        return _number(value, lang, 2)
    if isinstance(value, bool) or value is None:
        raise MessageError(f"cannot render {value!r}")
    if isinstance(value, int | float):
        return _number(value, lang)
    if isinstance(value, list):
        return "".join(_value(v, "", lang, catalogue) for v in value)
    if isinstance(value, dict):
        if "key" in value:
            return render(str(value["key"]), value.get("params") or {}, lang, catalogue)
        if "text_ru" not in value:
            raise MessageError(f"neither a message nor a text: {value!r}")
        return str(value.get(f"text_{lang}") or value["text_ru"])
    return str(value)


def render(
    key: str, params: Mapping[str, Any], lang: Lang, catalogue: Catalogue | None = None
) -> str:
    """The message ``key`` in ``lang`` with ``params``; ``MessageError`` when they do not fit."""
    catalogue = catalogue or default_catalogue()
    template = catalogue.messages.get(key)
    if template is None:
        raise MessageError(f"no message {key!r} in the catalogue")
    if set(params) != set(template.params):
        raise MessageError(f"{key}: params {sorted(params)}, catalogue says {template.params}")
    text: str = getattr(template, lang)
    return _PLACEHOLDER.sub(lambda m: _value(params[m[1]], m[2] or "", lang, catalogue), text)


def render_all(key: str, params: Mapping[str, Any]) -> dict[Lang, str]:
    """The message in every language."""
    return {lang: render(key, params, lang) for lang in LANGS}
