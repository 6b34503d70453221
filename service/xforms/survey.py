"""A resolved checklist as XLSForm sheets (survey, choices, settings), row by row.

Pure. Each item becomes its value question of the type its kind declares
(``kind_of(item).xform_type``), plus the parts the phone needs around it: an N/A box, a
button that stamps the time, an "extras" text for documents, photo slots. Parts of one item
share a field-list group so they fill one screen. Element names come from ``names.py``,
conditions from ``relevance.py``; ``instance.py`` reads the same names back.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from service.checklists.format import ResolvedChecklist, Section
from service.checklists.items import DocumentsItem, DurationItem, ItemBase, NumberItem, TextItem
from service.checklists.kinds import kind_of
from service.checklists.values import MAX_EXTRA_LENGTH
from service.xforms import labels, names, relevance
from service.xforms.labels import Texts
from service.xforms.relevance import ALWAYS, Condition

Row = dict[str, str]
# Seconds on the server, minutes on the phone: nobody times a queue in seconds.
SECONDS_PER_MINUTE = 60
RATING_PARAMETERS = "start=1 end=5 step=1"
YES_NO = "yes_no"
YES_NO_NA = "yes_no_na"
NA_BOX = "na_box"


@dataclass
class Sheets:
    """The three sheets of the XLSForm; ``survey.py`` fills them in order."""

    survey: list[Row] = field(default_factory=list)
    choices: list[Row] = field(default_factory=list)
    settings: list[Row] = field(default_factory=list)


def number_text(value: float) -> str:
    """A bound as XPath reads it: ``5`` rather than ``5.0``."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _item_texts(item: ItemBase) -> Texts:
    return labels.of(item.text_ru, item.text_en, item.text_kk)


def _hint(item: ItemBase) -> Texts | None:
    if item.help_ru is None and item.help_en is None:
        return None
    ru = item.help_ru or item.help_en or ""
    return labels.of(ru, item.help_en or ru, item.help_kk)


def _question(kind: str, name: str, texts: Texts | None, **cells: str) -> Row:
    row = {"type": kind, "name": name}
    if texts is not None:
        row |= labels.columns("label", texts)
    return row | {k: v for k, v in cells.items() if v}


def _with_hint(row: Row, hint: Texts | None) -> Row:
    return row | labels.columns("hint", hint) if hint is not None else row


def _joined(first: Texts, then: Texts | None) -> Texts:
    """Two hints as one, the form's own first, in every language."""
    return {lang: f"{text} {then[lang]}" if then else text for lang, text in first.items()}


def _range_cells(low: float | None, high: float | None, scale: float = 1) -> dict[str, str]:
    """A constraint and its message in every language for ``low <= . <= high``."""
    lo = None if low is None else number_text(low / scale)
    hi = None if high is None else number_text(high / scale)
    tests = ([f". >= {lo}"] if lo is not None else []) + ([f". <= {hi}"] if hi is not None else [])
    if not tests:
        return {}
    key = "at_most" if lo is None else "at_least" if hi is None else "between"
    message = labels.fixed(key, low=lo, high=hi)
    return {"constraint": " and ".join(tests), **labels.columns("constraint_message", message)}


def _choice_list(sheets: Sheets, item: ItemBase) -> str:
    """The name of the item's choice list, adding the list when the item has its own."""
    options = getattr(item, "options", None)
    with_na = relevance.na_in_choices(item)
    if options is None:  # yes_no: two shared lists, with and without N/A
        return YES_NO_NA if with_na else YES_NO
    list_name = names.options(item.code)
    for option in options:
        texts = labels.of(option.text_ru, option.text_en, option.text_kk)
        sheets.choices.append({"list_name": list_name, "name": option.code, **_label(texts)})
    if with_na:
        sheets.choices.append({"list_name": list_name, "name": names.NA, **_label(None)})
    return list_name


def _label(texts: Texts | None) -> Row:
    return labels.columns("label", texts or labels.fixed("na"))


def _value_rows(sheets: Sheets, item: ItemBase, texts: Texts) -> Iterator[Row]:
    """The question(s) that carry the item's answer; none for a photo item."""
    xform_type = kind_of(item).xform_type
    required = "yes" if item.required else ""
    relevant = relevance.xpath(relevance.not_na(item))
    code, hint = item.code, _hint(item)
    if xform_type == "image":
        return
    if isinstance(item, DocumentsItem):
        yield from _documents_rows(sheets, item, texts, required=required, relevant=relevant)
        return
    cells: dict[str, str] = {"required": required, "relevant": relevant}
    if xform_type.startswith("select_"):
        xform_type = f"{xform_type} {_choice_list(sheets, item)}"
    elif xform_type == "range":
        cells["parameters"] = RATING_PARAMETERS
    elif xform_type == "dateTime":
        # The shopper taps as it happens; the time stays editable for a late tap.
        tap = _question("acknowledge", names.tap(code), texts, relevant=relevant)
        yield _with_hint(tap, _joined(labels.fixed("tap"), hint))
        cells |= {"calculation": "now()", "trigger": f"${{{names.tap(code)}}}"}
        hint = labels.fixed("tapped_time")
    elif isinstance(item, NumberItem):
        xform_type = "integer" if item.integer else "decimal"
        cells |= _range_cells(item.min, item.max)
    elif isinstance(item, DurationItem):
        cells |= _range_cells(item.min or 0, item.max, SECONDS_PER_MINUTE)
        hint = _joined(labels.fixed("minutes"), hint)
    elif isinstance(item, TextItem):
        cells["constraint"] = f"string-length(.) <= {item.max_length}"
    yield _with_hint(_question(xform_type, code, texts, **cells), hint)


def _documents_rows(
    sheets: Sheets, item: DocumentsItem, texts: Texts, *, required: str, relevant: str
) -> Iterator[Row]:
    """The standard's list (plus "none of the above") and a text for documents beyond it.

    Typed extras answer the item too, so the list is required only while they are empty.
    """
    none = labels.fixed("none_of_these" if item.options else "none_asked")
    choices = _choice_list(sheets, item)
    sheets.choices.append({"list_name": choices, "name": names.NONE, **_label(none)})
    extras_empty = f"string-length(${{{names.extras(item.code)}}}) = 0"
    yield _question(
        f"select_multiple {choices}",
        item.code,
        texts,
        required=extras_empty if required else "",
        relevant=relevant,
        constraint=f"not(selected(., '{names.NONE}')) or count-selected(.) = 1",
        **labels.columns("constraint_message", labels.fixed("none_alone")),
    ) | (labels.columns("hint", hint) if (hint := _hint(item)) else {})
    limit = labels.fixed("extras_limit", count=item.max_extras, chars=MAX_EXTRA_LENGTH)
    yield _question(
        "text",
        names.extras(item.code),
        labels.fixed("extras"),
        relevant=relevant,
        appearance="multiline",
        constraint=f"string-length(.) <= {item.max_extras * (MAX_EXTRA_LENGTH + 1)}",
        **labels.columns("constraint_message", limit),
    )


def _photo_rows(item: ItemBase, texts: Texts, *, max_side: int) -> Iterator[Row]:
    bounds = item.photo_bounds()
    if bounds is None:
        return
    needed = item.photos_required()
    asked = relevance.asked(item)
    for n in range(1, bounds[1] + 1):
        name = names.photo(item.code, n)
        label = labels.fixed("photo", n=n)
        if kind_of(item).xform_type == "image":
            label = {lang: f"{texts[lang]} ({label[lang]})" for lang in label}
        before = relevance.Filled(names.photo(item.code, n - 1)) if n > 1 else ALWAYS
        yield _question(
            "image",
            name,
            label,
            required="yes" if n <= needed else "",
            relevant=relevance.xpath(relevance.both(asked, before)),
            parameters=f"max-pixels={max_side}",
        )


def _item_rows(sheets: Sheets, item: ItemBase, shown: Condition, max_side: int) -> Iterator[Row]:
    texts = _item_texts(item)
    parts = list(_value_rows(sheets, item, texts))
    if relevance.na_box(item):
        # Below the question, as on paper; ticking it hides the question on the same screen.
        box = _question(f"select_multiple {NA_BOX}", names.na(item.code), labels.fixed("na"))
        parts.append(box)
    parts += _photo_rows(item, texts, max_side=max_side)
    if len(parts) == 1:
        yield parts[0] | _and_relevant(shown, parts[0].get("relevant", ""))
        return
    group = {"type": "begin_group", "name": names.group(item.code), "appearance": "field-list"}
    yield group | ({"relevant": relevance.xpath(shown)} if shown != ALWAYS else {})
    yield from parts
    yield {"type": "end_group"}


def _and_relevant(shown: Condition, own: str) -> Row:
    """The item's visibility joined to a part's own condition, as one ``relevant`` cell."""
    if shown == ALWAYS:
        return {"relevant": own} if own else {}
    condition = relevance.xpath(shown)
    return {"relevant": f"({condition}) and ({own})" if own else condition}


def _section_rows(
    sheets: Sheets, section: Section, shown: dict[str, Condition], max_side: int
) -> Iterator[Row]:
    title = labels.of(section.title_ru, section.title_en, section.title_kk)
    yield _question("begin_group", names.section(section.code), title)
    for item in section.items:
        yield from _item_rows(sheets, item, shown[item.code], max_side)
    yield {"type": "end_group"}


def _fixed_choices() -> list[Row]:
    yes, no, na = (labels.fixed(key) for key in ("yes", "no", "na"))
    rows = []
    for name, with_na in ((YES_NO, False), (YES_NO_NA, True)):
        rows.append({"list_name": name, "name": "yes", **labels.columns("label", yes)})
        rows.append({"list_name": name, "name": "no", **labels.columns("label", no)})
        if with_na:
            rows.append({"list_name": name, "name": names.NA, **labels.columns("label", na)})
    rows.append({"list_name": NA_BOX, "name": names.NA, **labels.columns("label", na)})
    return rows


def sheets(
    checklist: ResolvedChecklist, *, form_id: str, version: str, title: str, max_side: int
) -> Sheets:
    """The XLSForm of ``checklist``.

    Raises:
        ValueError: two elements of the form would share a name.
    """
    out = Sheets(choices=_fixed_choices())
    out.survey += [
        {"type": "start-geopoint", "name": names.START_GEOPOINT},
        {"type": "audit", "name": names.AUDIT},
        _with_hint(
            _question(
                f"select_one_from_file {names.VISITS_CSV}",
                names.VISIT,
                labels.fixed("visit"),
                required="yes",
            ),
            labels.fixed("visit_hint"),
        ),
    ]
    shown = relevance.shown(checklist)
    for section in checklist.sections:
        out.survey += _section_rows(out, section, shown, max_side)
    element_names = [row["name"] for row in out.survey if "name" in row]
    repeated = sorted({n for n in element_names if element_names.count(n) > 1})
    if repeated:
        raise ValueError(f"form {form_id}: element names repeat: {', '.join(repeated)}")
    out.settings.append(
        {
            "form_id": form_id,
            "version": version,
            "form_title": title,
            "default_language": labels.DEFAULT_LANGUAGE,
            # Collect lists saved and sent forms by this: the visit's label from visits.csv.
            "instance_name": (f"instance('visits')/root/item[name = ${{{names.VISIT}}}]/label"),
            # A visit the coordinator returns can be reopened and sent again from Collect.
            "client_editable": "yes",
        }
    )
    return out
