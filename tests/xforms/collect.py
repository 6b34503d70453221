"""Fill a generated form as ODK Collect does and serialise the instance it would send.

Collect copies the form's primary instance, writes each answer into its element as text
(select_multiple as space-separated choice names, dateTime with milliseconds and the
device's offset, attachments by file name), leaves out the elements of questions that are
not relevant, and stamps ``meta/instanceID``. This helper reads the form's own XML to find
where each answer goes, so it checks the form as much as the reader.
"""

import copy
import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from service.checklists.format import ResolvedChecklist
from service.checklists.items import DocumentsItem, DurationItem
from service.xforms import XForm

XF = "{http://www.w3.org/2002/xforms}"
NA = "_na"


def _strip(element: ET.Element) -> ET.Element:
    element.tag = element.tag.rsplit("}", 1)[-1]
    for child in element:
        _strip(child)
    return element


def primary_instance(form: XForm) -> ET.Element:
    """A copy of the form's primary instance, namespaces dropped as Collect writes them."""
    root = ET.fromstring(form.xml)
    model = root.find(f".//{XF}model")
    assert model is not None
    instance = next(i for i in model.iter(f"{XF}instance") if "id" not in i.attrib)
    return _strip(copy.deepcopy(instance[0]))


def collect_time(value: str) -> str:
    """A timestamp as Collect writes a dateTime: milliseconds and the phone's offset."""
    moment = dt.datetime.fromisoformat(value)
    return moment.isoformat(timespec="milliseconds")


def fields(
    form: XForm, checklist: ResolvedChecklist, answers: Mapping[str, tuple[Any, bool]]
) -> dict[str, str]:
    """Element texts for API-style answers ``{code: (value, na)}``."""
    names = {e.tag for e in primary_instance(form).iter()}
    out: dict[str, str] = {}
    for code, (value, na) in answers.items():
        item = checklist.item(code)
        if na:
            out[f"{code}__na" if f"{code}__na" in names else code] = NA
        elif isinstance(item, DocumentsItem):
            out[code] = " ".join(value["selected"]) or "_none"
            out[f"{code}__extras"] = "\n".join(value["extras"])
        elif isinstance(item, DurationItem):
            out[code] = repr(value / 60)
        elif isinstance(value, list):
            out[code] = " ".join(value)
        elif getattr(item, "kind", None) == "timestamp":
            out[f"{code}__tap"] = "OK"
            out[code] = collect_time(value)
        else:
            out[code] = str(value)
    return out


def instance_xml(
    form: XForm,
    values: Mapping[str, str],
    *,
    instance_id: str = "uuid:6f1c8a52-5b0e-4c57-9a53-2f5e0c1d7a10",
    deprecated_id: str | None = None,
    hidden: frozenset[str] = frozenset(),
) -> bytes:
    """The instance Collect sends: ``values`` by element name, ``hidden`` items left out."""
    data = primary_instance(form)
    for parent in list(data.iter()):
        for child in list(parent):
            base = child.tag.split("__", 1)[0]
            if base in hidden and not child.tag.startswith("sec__"):
                parent.remove(child)
    for element in data.iter():
        if element.tag in values:
            element.text = values[element.tag]
    meta = data.find("meta")
    assert meta is not None
    instance = meta.find("instanceID")
    assert instance is not None
    instance.text = instance_id
    if deprecated_id is not None:
        ET.SubElement(meta, "deprecatedID").text = deprecated_id
    xml: bytes = ET.tostring(data, encoding="utf-8", xml_declaration=True)
    return xml
