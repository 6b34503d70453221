"""The checklist format: channel templates and per-service resolved checklists.

Pure Pydantic: no web, database or storage imports. Item kinds are in ``items.py``; this
module adds sections, the two top-level documents and the rules that span items.
"""

import datetime as dt
import functools
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from service.checklists.items import ChoiceItem, DocumentsItem, Item, ItemBase
from service.checklists.kinds import kind_of
from service.checklists.values import AnswerValueError
from service.checklists.vocabulary import SCORING_ROLES, Code, Strict, Text
from service.languages import LANGUAGES

FORMAT_VERSION: Literal[1] = 1

# Texts a template may use; the builder fills each one from the service standard.
PLACEHOLDERS = frozenset(
    {
        "service_name_ru",
        "service_name_en",
        "agency_name_ru",
        "agency_name_en",
        # The standards have no Kazakh names; these texts are the program's, so they have.
        *(
            f"{text}_{lang}"
            for text in (
                "deadline_text",
                "documents_list",
                "cost_text",
                "channels_text",
                "wait_norm",
                "service_norm",
            )
            for lang in LANGUAGES
        ),
        "max_wait_minutes",
        "max_service_minutes",
    }
)
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
TEXT_FIELD_PREFIXES = ("title_", "text_", "help_")


class ChecklistError(ValueError):
    """A checklist is broken; the message names the file, the item or section, and why."""


class ChecklistChannel(StrEnum):
    """How the shopper meets the service (not the standard's list of application channels)."""

    in_person = "in_person"
    call_1414 = "call_1414"
    egov = "egov"


class Section(Strict):
    code: Code
    title_ru: Text
    title_en: Text
    title_kk: Text | None = None
    weight: float = Field(default=1, ge=0, le=100)
    items: list[Item] = Field(min_length=1, max_length=300)


def _item_texts(item: ItemBase) -> Iterator[str]:
    for name, value in item:
        if name.startswith(TEXT_FIELD_PREFIXES) and isinstance(value, str):
            yield value
    for option in getattr(item, "options", []):
        yield from (v for n, v in option if n.startswith("text_") and isinstance(v, str))


def _check_sections(sections: Sequence[Section]) -> None:
    section_codes: set[str] = set()
    seen: dict[str, ItemBase] = {}
    roles: set[str] = set()
    for section in sections:
        if section.code in section_codes:
            raise ValueError(f"section {section.code}: duplicate section code")
        section_codes.add(section.code)
        for item in section.items:
            where = f"section {section.code}, item {item.code}"
            if item.code in seen:
                raise ValueError(f"{where}: duplicate item code")
            if item.show_if is not None:
                _check_show_if(item, where, seen, sections)
            if item.scoring is not None:
                _check_role(item, where, roles)
            seen[item.code] = item


def _check_show_if(
    item: ItemBase, where: str, seen: dict[str, ItemBase], sections: Sequence[Section]
) -> None:
    assert item.show_if is not None
    target = item.show_if.item
    if target == item.code:
        raise ValueError(f"{where}: show_if points at the item itself")
    if target not in seen:
        later = any(i.code == target for s in sections for i in s.items)
        why = "which comes later (a condition may only test an earlier answer)"
        raise ValueError(
            f"{where}: show_if points at {target!r}, " + (why if later else "which does not exist")
        )
    allowed = seen[target].answer_codes()
    if allowed is None:
        raise ValueError(
            f"{where}: show_if cannot test {target!r}; only yes_no, choice and "
            "multi_choice items with options written in the template can be tested"
        )
    for value in item.show_if.values():
        if value not in allowed:
            raise ValueError(
                f"{where}: show_if value {value!r} is not an answer of {target!r} "
                f"(expected one of: {', '.join(allowed)})"
            )


def _check_role(item: ItemBase, where: str, roles: set[str]) -> None:
    assert item.scoring is not None
    code, kind = SCORING_ROLES[item.scoring]
    if item.code != code or getattr(item, "kind", None) != kind:
        raise ValueError(
            f"{where}: scoring role {item.scoring.value} belongs to a {kind.value} item "
            f"coded {code}"
        )
    if item.scoring in roles:
        raise ValueError(f"{where}: scoring role {item.scoring.value} repeats")
    roles.add(item.scoring)


class ChecklistTemplate(Strict):
    """The common checklist of one channel, with placeholders the builder fills per service."""

    channel: ChecklistChannel
    version: int = Field(ge=1, le=1_000_000)
    title_ru: Text
    title_en: Text
    title_kk: Text | None = None
    sections: list[Section] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _rules(self) -> "ChecklistTemplate":
        _check_sections(self.sections)
        for title in (self.title_ru, self.title_en, self.title_kk):
            _check_placeholders(title or "", "title")
        for section in self.sections:
            for name, value in section:
                if name.startswith("title_") and isinstance(value, str):
                    _check_placeholders(value, f"section {section.code}")
            for item in section.items:
                where = f"section {section.code}, item {item.code}"
                if isinstance(item, DocumentsItem | ChoiceItem) and _builder_fills(item):
                    if item.options:
                        raise ValueError(
                            f"{where}: options are filled from the standard; "
                            "leave them out of the template"
                        )
                for text in _item_texts(item):
                    _check_placeholders(text, where)
        return self

    def items(self) -> Iterator[ItemBase]:
        """Every item in order, across sections."""
        for section in self.sections:
            yield from section.items


def _answer_codes(item: ItemBase, value: object) -> set[str]:
    """The option codes an answer chose; none for a missing or ill-fitting answer."""
    if value is None:
        return set()
    try:
        # Normal form, so the gate (stored values) and the scorer (read values) agree.
        normal = kind_of(item).normalize(item, value)
    except AnswerValueError:
        return set()
    return set(normal) if isinstance(normal, list) else {normal}


def _builder_fills(item: DocumentsItem | ChoiceItem) -> bool:
    return isinstance(item, DocumentsItem) or item.options_from is not None


def _check_placeholders(text: str, where: str) -> None:
    for name in PLACEHOLDER_RE.findall(text):
        if name not in PLACEHOLDERS:
            raise ValueError(
                f"{where}: unknown placeholder {{{name}}} "
                f"(known: {', '.join(sorted(PLACEHOLDERS))})"
            )


ServiceCode = Annotated[str, StringConstraints(pattern=r"^S(0[1-9]|[1-9][0-9])$")]


class ResolvedChecklist(Strict):
    """What a shopper's phone downloads: one service, one channel, no placeholders left.

    Immutable once published; ``content_hash()`` tells two versions apart.
    """

    format_version: Literal[1] = FORMAT_VERSION
    service_code: ServiceCode
    channel: ChecklistChannel
    template_version: int = Field(ge=1)
    standard_effective_from: dt.date
    standard_digest: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    title_ru: Text
    title_en: Text
    title_kk: Text | None = None
    sections: list[Section] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _rules(self) -> "ResolvedChecklist":
        _check_sections(self.sections)
        return self

    def items(self) -> Iterator[ItemBase]:
        """Every item in order, across sections."""
        for section in self.sections:
            yield from section.items

    def item(self, code: str) -> ItemBase:
        """The item with ``code``; raises ``KeyError`` when there is none."""
        return self._by_code[code]

    @functools.cached_property
    def _by_code(self) -> dict[str, ItemBase]:
        # A sync looks up every answer's item: a scan of ~100 items each time was 0.2 ms.
        return {item.code: item for item in self.items()}

    def visible(self, values: Mapping[str, object]) -> set[str]:
        """Codes of the items shown to a shopper whose answers so far are ``values``.

        The one visibility rule, used by the submit gate, the photo list, the scorer and the
        demo. ``values`` maps item codes to answer values; an absent code, None (unanswered or
        N/A) and a value that does not fit its item all count as no answer. An item with a
        ``show_if`` is shown when the item it tests is shown and that answer, read in its
        normal form, is one of the rule's values (for a multi_choice answer: any chosen
        option is). An answer to a hidden item opens nothing.
        """
        return {item.code for item in self.shown_items(values)}

    def shown_items(self, values: Mapping[str, object]) -> Iterator[ItemBase]:
        """The items ``visible`` shows, in order, reading ``values`` as it goes.

        An item's visibility depends only on answers to items before it, and each answer is
        read when the walk reaches the item it opens, so a caller may add answers to
        ``values`` while walking (the demo answers item by item, as a phone does).
        """
        shown: set[str] = set()
        earlier: dict[str, ItemBase] = {}
        for item in self.items():
            rule = item.show_if
            if rule is None:
                shown.add(item.code)
            elif rule.item in shown:
                chosen = _answer_codes(earlier[rule.item], values.get(rule.item))
                if not chosen.isdisjoint(rule.values()):
                    shown.add(item.code)
            earlier[item.code] = item
            if item.code in shown:
                yield item

    def canonical_json(self) -> str:
        """Sorted-key JSON, the form that is hashed and sent to phones."""
        data = self.model_dump(mode="json", by_alias=True)
        return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def content_hash(self) -> str:
        """Sha256 of ``canonical_json()``: equal content gives an equal hash."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()
