"""The item-kind registry: everything that differs between kinds of checklist item, in one place.

Pure: no web, database or storage imports. Each kind declares once how it validates and
normalises a value (``values.py``), how far a value complies for scoring, how the demo and the
test factories make up a plausible value (``samples.py``), and which XLSForm question type it
becomes. Code that needs any of these asks ``kind_of(item)`` instead of switching on the kind,
so a new kind is one entry here plus its tests (``docs/kinds.md``).
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import JsonValue

from service.checklists import samples, values
from service.checklists.items import (
    ChoiceItem,
    DateItem,
    DocumentsItem,
    DurationItem,
    ItemBase,
    MultiChoiceItem,
    NumberItem,
    PhotoItem,
    RatingItem,
    TextItem,
    TimestampItem,
    YesNoItem,
)

ItemT = TypeVar("ItemT", bound=ItemBase)


@dataclass(frozen=True)
class Kind(Generic[ItemT]):
    """One kind of checklist item and what it declares.

    Attributes:
        model: the Pydantic item class; its ``kind`` literal is the registry key.
        takes_value: False when the item is answered other than by a value (photos are
            uploaded), so answer forms, submit gates and factories leave it out.
        normalize: the value in the kind's one JSON form; raises ``AnswerValueError``.
        fraction: how far a normalised value complies, 0..1, or None when it is not scored
            (the scorer's norms and documents judging come on top, in ``scoring/``).
        sample: a random plausible raw value for the demo, or None for no answer.
        example: the fixed plausible raw value factories and tests use, or None.
        xform_type: the XLSForm question type the kind's value question becomes on phones
            (``service/xforms/survey.py`` writes it, ``xforms/instance.py`` reads it back).
        free_text: the value is what a person typed, which may name someone: left out of
            what analysts read (``auth.roles.reads_free_text``).
    """

    model: type[ItemT]
    takes_value: bool
    normalize: Callable[[ItemT, Any], Any]
    fraction: Callable[[ItemT, JsonValue], float | None]
    sample: Callable[[ItemT, samples.Draw], Any]
    example: Callable[[ItemT, dt.datetime], Any]
    xform_type: str
    free_text: bool = False


def _unscored(item: ItemBase, value: JsonValue) -> float | None:
    return None


def _yes_no_fraction(item: YesNoItem, value: JsonValue) -> float | None:
    return None if item.compliant_answer is None else float(value == item.compliant_answer)


def _options_fraction(item: ChoiceItem | MultiChoiceItem, value: JsonValue) -> float | None:
    # The lowest chosen option counts, so ticking more options cannot average a failure away.
    chosen = value if isinstance(value, list) else [value]
    scores = [s for o in item.options if o.code in chosen and (s := o.fraction()) is not None]
    return min(scores) if scores else None


def _rating_fraction(item: RatingItem, value: JsonValue) -> float | None:
    return (value - 1) / 4 if isinstance(value, int) else None


KINDS: dict[str, Kind[Any]] = {
    "yes_no": Kind(
        model=YesNoItem,
        takes_value=True,
        normalize=values.yes_no,
        fraction=_yes_no_fraction,
        sample=samples.sample_yes_no,
        example=samples.example_yes_no,
        # A two-option list (yes, no) on the phone.
        xform_type="select_one",
    ),
    "choice": Kind(
        model=ChoiceItem,
        takes_value=True,
        normalize=values.choice,
        fraction=_options_fraction,
        sample=samples.sample_choice,
        example=samples.example_choice,
        xform_type="select_one",
    ),
    "multi_choice": Kind(
        model=MultiChoiceItem,
        takes_value=True,
        normalize=values.multi_choice,
        fraction=_options_fraction,
        sample=samples.sample_multi_choice,
        example=samples.example_multi_choice,
        xform_type="select_multiple",
    ),
    "number": Kind(
        model=NumberItem,
        takes_value=True,
        normalize=values.number,
        fraction=_unscored,
        sample=samples.sample_number,
        example=samples.example_number,
        # "decimal" when the item's ``integer`` is false.
        xform_type="integer",
    ),
    "duration": Kind(
        model=DurationItem,
        takes_value=True,
        normalize=values.duration,
        fraction=_unscored,
        sample=samples.sample_duration,
        example=samples.example_duration,
        # Minutes on the phone (nobody times a queue in seconds), read back as whole seconds.
        xform_type="decimal",
    ),
    "timestamp": Kind(
        model=TimestampItem,
        takes_value=True,
        normalize=values.timestamp,
        fraction=_unscored,
        sample=samples.sample_timestamp,
        example=samples.example_timestamp,
        xform_type="dateTime",
    ),
    "date": Kind(
        model=DateItem,
        takes_value=True,
        normalize=values.date,
        fraction=_unscored,
        sample=samples.sample_date,
        example=samples.example_date,
        xform_type="date",
    ),
    "text": Kind(
        model=TextItem,
        takes_value=True,
        normalize=values.text,
        fraction=_unscored,
        sample=samples.sample_text,
        example=samples.example_text,
        xform_type="text",
        free_text=True,
    ),
    "photo": Kind(
        model=PhotoItem,
        takes_value=False,
        normalize=values.uploaded,
        fraction=_unscored,
        sample=samples.sample_nothing,
        example=samples.example_nothing,
        xform_type="image",
    ),
    "documents": Kind(
        model=DocumentsItem,
        takes_value=True,
        normalize=values.documents,
        # Judged against the standard's list in ``scoring/rules.py``, not by the value alone.
        fraction=_unscored,
        sample=samples.sample_documents,
        example=samples.example_documents,
        # The standard's list; extras typed in a repeat of text questions.
        xform_type="select_multiple",
    ),
    "rating": Kind(
        model=RatingItem,
        takes_value=True,
        normalize=values.rating,
        fraction=_rating_fraction,
        sample=samples.sample_rating,
        example=samples.example_rating,
        # start=1, end=5.
        xform_type="range",
    ),
}
_BY_MODEL: dict[type[ItemBase], Kind[Any]] = {k.model: k for k in KINDS.values()}


def kind_of(item: ItemBase) -> Kind[Any]:
    """The registry entry of ``item``'s kind."""
    return _BY_MODEL[type(item)]


def free_text_codes(items: Iterable[ItemBase]) -> frozenset[str]:
    """The codes of ``items`` answered in free text (see ``Kind.free_text``)."""
    return frozenset(item.code for item in items if kind_of(item).free_text)
