"""The OpenRosa documents we write (pure).

No web, database or storage code: values in, bytes out. The formats are those of the
OpenRosa specs on docs.getodk.org (Form List API, Form Submission API) as ODK Collect and
KoboCollect read them.
"""

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

RESPONSE_NS = "http://openrosa.org/http/response"
FORM_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
XML_MEDIA_TYPE = "text/xml; charset=utf-8"


def _document(root: ET.Element) -> bytes:
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + text


def response(message: str) -> bytes:
    """``<OpenRosaResponse>`` with the message Collect shows the shopper."""
    root = ET.Element("OpenRosaResponse", xmlns=RESPONSE_NS)
    ET.SubElement(root, "message", nature="").text = message
    return _document(root)


@dataclass(frozen=True)
class FormEntry:
    form_id: str
    name: str
    version: str
    hash: str  # "md5:<hex>" of the exact form bytes
    download_url: str
    manifest_url: str


def form_list(entries: Iterable[FormEntry]) -> bytes:
    root = ET.Element("xforms", xmlns=FORM_LIST_NS)
    for entry in entries:
        form = ET.SubElement(root, "xform")
        for tag, text in (
            ("formID", entry.form_id),
            ("name", entry.name),
            ("version", entry.version),
            ("hash", entry.hash),
            ("downloadUrl", entry.download_url),
            ("manifestUrl", entry.manifest_url),
        ):
            ET.SubElement(form, tag).text = text
    return _document(root)


@dataclass(frozen=True)
class MediaEntry:
    filename: str
    hash: str
    download_url: str


def manifest(media: Iterable[MediaEntry]) -> bytes:
    root = ET.Element("manifest", xmlns=MANIFEST_NS)
    for entry in media:
        file = ET.SubElement(root, "mediaFile")
        ET.SubElement(file, "filename").text = entry.filename
        ET.SubElement(file, "hash").text = entry.hash
        ET.SubElement(file, "downloadUrl").text = entry.download_url
    return _document(root)


@dataclass(frozen=True)
class VisitRow:
    """One assigned visit as the form's visit picker shows it (``visits.csv``)."""

    visit_id: str
    label: str  # "office, window": names and dates, the same in every language
    service: str
    office: str
    window: str
    return_comment: str


def visits_csv(rows: Sequence[VisitRow]) -> bytes:
    """The per-shopper ``visits.csv``: byte-stable for the same rows, so its md5 is too.

    Every column header is an XML element name: form engines read each row as an element
    whose children are named by the columns (ODK Web Forms refuses the form otherwise), and
    the label needs no ``label::<language>`` columns, as it is the same in every language.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "name",
            "label",
            "service",
            "office",
            "window",
            "return_comment",
        ]
    )
    for row in sorted(rows, key=lambda r: (r.window, r.visit_id)):
        writer.writerow(
            [
                row.visit_id,
                row.label,
                row.service,
                row.office,
                row.window,
                row.return_comment,
            ]
        )
    return out.getvalue().encode()
