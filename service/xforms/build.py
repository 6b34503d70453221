"""One XForm per published checklist, generated through pyxform and cached by content.

Pure: no web, database or storage imports. The XLSForm sheets (``survey.py``) are written to
an in-memory workbook with openpyxl and converted by pyxform, the reference XLSForm
implementation Collect's own tooling uses. Equal inputs give equal bytes, so the ``md5:``
hash a formList announces only changes when the form does.

pyxform and openpyxl are imported on first use, not at import time: together they were a
fifth of the API's start-up (``mshop serve --demo`` must answer a login within 5 s,
bench/demo.py), and a process that serves no form never needs them.
"""

import hashlib
import io
import threading
from collections import OrderedDict
from dataclasses import dataclass

from service.checklists.format import ResolvedChecklist
from service.xforms import names
from service.xforms.survey import Row, Sheets, sheets

# Longest side Collect scales a photo down to before sending it: above the display copy
# (``upload.display_px``, 1600) so the copy loses nothing, far below a 48 MP original.
DEFAULT_PHOTO_MAX_SIDE = 2048
# Forms kept built: a few per service and channel while an old version is still in the field.
CACHE_SIZE = 512
_ROOT = "data"
# Raise it whenever ``survey.py`` changes what a checklist becomes: phones holding the old
# form then see a new version, not the same version with other bytes.
GENERATION = 1


@dataclass(frozen=True)
class XForm:
    """A generated form: its identity, the exact bytes served and the media it needs."""

    form_id: str
    version: str
    xml: bytes
    md5: str
    media: tuple[str, ...]


def form_id_for(checklist: ResolvedChecklist) -> str:
    """The form's id: one per service and channel, the same across versions (``S26-egov``)."""
    return f"{checklist.service_code}-{checklist.channel.value}"


def version_for(checklist: ResolvedChecklist) -> str:
    """The form's version: the checklist's content hash (16 hex) and the generation."""
    return f"{checklist.content_hash()[:16]}-g{GENERATION}"


def _columns(rows: list[Row]) -> list[dict[str, None]]:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    return [dict.fromkeys(columns)]


def workbook(form: Sheets) -> bytes:
    """The XLSForm as ``.xlsx`` bytes, for a person to open in a spreadsheet.

    pyxform reads this workbook into the same sheets ``render`` hands it directly, so both
    give the same form (a test compares them); ``render`` skips the round trip, which
    took half of the conversion time.
    """
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in (("survey", form.survey), ("choices", form.choices)) + (
        ("settings", form.settings),
    ):
        sheet = book.create_sheet(title)
        columns = list(_columns(rows)[0])
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(column) for column in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(
    checklist: ResolvedChecklist,
    *,
    form_id: str,
    version: str,
    title: str,
    photo_max_side: int = DEFAULT_PHOTO_MAX_SIDE,
) -> bytes:
    """The XForm bytes of ``checklist``, built afresh (``build_xform`` caches them)."""
    form = sheets(checklist, form_id=form_id, version=version, title=title, max_side=photo_max_side)
    definition = {
        "survey": form.survey,
        "survey_header": _columns(form.survey),
        "choices": form.choices,
        "choices_header": _columns(form.choices),
        "settings": form.settings,
        "settings_header": _columns(form.settings),
    }
    from pyxform.xls2xform import convert

    warnings: list[str] = []
    result = convert(definition, warnings=warnings, form_name=_ROOT)
    return str(result.xform).encode()


_cache: OrderedDict[tuple[str, ...], XForm] = OrderedDict()
_lock = threading.Lock()


def build_xform(
    checklist: ResolvedChecklist,
    *,
    form_id: str,
    version: str,
    title: str,
    photo_max_side: int = DEFAULT_PHOTO_MAX_SIDE,
) -> XForm:
    """The XForm of ``checklist`` as phones download it.

    Args:
        checklist: the published checklist (one service, channel and version).
        form_id: stable per service and channel, e.g. ``S26-in_person``.
        version: tells this version from the others of the same form_id.
        title: the form's name in Collect's list.
        photo_max_side: the longest side, in pixels, Collect scales photos down to.

    Raises:
        ValueError: the checklist cannot become a form (element names would collide).
    """
    key = (checklist.content_hash(), form_id, version, title, str(photo_max_side))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    xml = render(
        checklist, form_id=form_id, version=version, title=title, photo_max_side=photo_max_side
    )
    built = XForm(
        form_id=form_id,
        version=version,
        xml=xml,
        md5="md5:" + hashlib.md5(xml, usedforsecurity=False).hexdigest(),
        media=(names.VISITS_CSV,),
    )
    with _lock:
        _cache[key] = built
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return built
