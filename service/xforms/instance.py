"""A submitted instance of a generated form read back as answers, photos and metadata.

Pure. Elements are found by name wherever they sit (sections and item groups only nest
them), namespaces ignored, so instances from Collect, Enketo and Web Forms read alike. Each
value is turned into the JSON form of its kind and checked by ``answers.values.normalize``,
the same check the JSON API applies. Elements the checklist does not know are ignored, so an
instance of a newer form revision never fails on an extra question.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pydantic import JsonValue

from service.answers.values import AnswerValueError, normalize
from service.checklists.format import ResolvedChecklist
from service.checklists.items import DocumentsItem, DurationItem, ItemBase, NumberItem
from service.checklists.kinds import kind_of
from service.xforms import labels, names, relevance
from service.xforms.errors import InstanceError
from service.xforms.survey import SECONDS_PER_MINUTE

# An attachment is named by a bare file name: no folder, nothing a path could climb out of.
_FILE_NAME = re.compile(r"^[^/\\\x00-\x1f]{1,255}$")


@dataclass(frozen=True)
class InstanceAnswer:
    item_code: str
    value: JsonValue
    na: bool


@dataclass(frozen=True)
class Instance:
    """What a submission says: which form, which visit, the answers and the files it names."""

    form_id: str
    version: str
    instance_id: str
    deprecated_id: str | None
    visit_id: str | None
    answers: tuple[InstanceAnswer, ...]
    attachments: dict[str, list[str]]
    start_geopoint: tuple[float, float] | None
    incomplete: bool = False
    audit_file: str | None = None


@dataclass(frozen=True)
class InstanceHeader:
    """The identity of an instance, read before its checklist is known."""

    form_id: str
    version: str
    instance_id: str
    deprecated_id: str | None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse(xml: bytes) -> Element:
    try:
        root: Element = fromstring(xml, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise InstanceError("not-xml") from exc
    return root


def _index(root: Element) -> dict[str, Element]:
    found: dict[str, Element] = {}
    for element in root.iter():
        name = _local(element.tag)
        if element is not root and name in found:
            raise InstanceError("repeated-element", name=name)
        found[name] = element
    return found


def _text(elements: dict[str, Element], name: str) -> str | None:
    element = elements.get(name)
    text = (element.text or "").strip() if element is not None else ""
    return text or None


def _header(root: Element, elements: dict[str, Element]) -> InstanceHeader:
    form_id, version = root.get("id"), root.get("version")
    if not form_id or version is None:
        raise InstanceError("no-form-id")
    instance_id = _text(elements, "instanceID")
    if instance_id is None:
        raise InstanceError("no-instance-id")
    return InstanceHeader(form_id, version, instance_id, _text(elements, "deprecatedID"))


def read_header(xml: bytes) -> InstanceHeader:
    """The form, version and instance ids of ``xml``; raises ``InstanceError``."""
    root = _parse(xml)
    return _header(root, _index(root))


def _question(item: ItemBase) -> dict[str, str]:
    return labels.of(item.text_ru, item.text_en, item.text_kk)


def _number(text: str, item: ItemBase) -> int | float:
    try:
        value = float(text)
    except ValueError as exc:
        raise InstanceError("bad-value", item=item.code, question=_question(item)) from exc
    if isinstance(item, DurationItem):
        return round(value * SECONDS_PER_MINUTE)
    return int(value) if value.is_integer() and getattr(item, "integer", True) else value


def _raw_value(item: ItemBase, elements: dict[str, Element]) -> Any:
    """The item's value as the JSON API would send it, or None when it was not answered."""
    xform_type = kind_of(item).xform_type
    text = _text(elements, item.code)
    if isinstance(item, DocumentsItem):
        chosen = (text or "").split()
        lines = (_text(elements, names.extras(item.code)) or "").splitlines()
        extras = [line.strip() for line in lines if line.strip()]
        if not chosen and not extras:
            return None
        return {"selected": [c for c in chosen if c != names.NONE], "extras": extras}
    if text is None:
        return None
    if xform_type == "select_multiple":
        return text.split()
    if xform_type in ("integer", "decimal", "range") or isinstance(item, NumberItem):
        return _number(text, item)
    return text


def _answer(item: ItemBase, elements: dict[str, Element]) -> InstanceAnswer | None:
    na_box = (_text(elements, names.na(item.code)) or "").split()
    if (relevance.na_box(item) and names.NA in na_box) or (
        relevance.na_in_choices(item) and _text(elements, item.code) == names.NA
    ):
        return InstanceAnswer(item.code, None, True)
    raw = _raw_value(item, elements)
    if raw is None:
        return None
    try:
        value = normalize(item, raw)
    except AnswerValueError as exc:
        question = _question(item)
        raise InstanceError(
            "bad-value", item=item.code, question=question, detail=str(exc)
        ) from exc
    return InstanceAnswer(item.code, value, False)


def _file(name: str | None) -> str | None:
    if name is not None and (not _FILE_NAME.match(name) or name in (".", "..")):
        raise InstanceError("bad-attachment-name", name=name)
    return name


def _photos(item: ItemBase, elements: dict[str, Element]) -> Iterator[str]:
    bounds = item.photo_bounds()
    for n in range(1, (bounds[1] if bounds else 0) + 1):
        name = _file(_text(elements, names.photo(item.code, n)))
        if name is not None:
            yield name


def _geopoint(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        latitude, longitude = (float(part) for part in text.split()[:2])
    except ValueError as exc:
        raise InstanceError("bad-geopoint") from exc
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InstanceError("bad-geopoint")
    return latitude, longitude


def read_instance(checklist: ResolvedChecklist, xml: bytes) -> Instance:
    """Read a submitted instance of ``checklist``'s form.

    Args:
        checklist: the checklist whose form the instance fills (its version, not the newest).
        xml: the ``xml_submission_file`` bytes.

    Returns:
        The instance: every answered item (N/A answers with ``na``), in checklist order, each
        value already in the form ``answers.values.normalize`` returns; photo file names per
        item in slot order.

    Raises:
        InstanceError: not XML, no instance id, a value that does not fit its item, or an
            attachment name that is not a bare file name.
    """
    root = _parse(xml)
    elements = _index(root)
    header = _header(root, elements)
    answers: list[InstanceAnswer] = []
    attachments: dict[str, list[str]] = {}
    for item in checklist.items():
        answer = _answer(item, elements)
        if answer is not None:
            answers.append(answer)
        photos = list(_photos(item, elements))
        if photos:
            attachments[item.code] = photos
    return Instance(
        form_id=header.form_id,
        version=header.version,
        instance_id=header.instance_id,
        deprecated_id=header.deprecated_id,
        visit_id=_text(elements, names.VISIT),
        answers=tuple(answers),
        attachments=attachments,
        start_geopoint=_geopoint(_text(elements, names.START_GEOPOINT)),
        audit_file=_file(_text(elements, names.AUDIT)),
    )
