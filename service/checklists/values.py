"""How each item kind validates and normalises an answer value (pure, no web, DB or S3).

Every value is normalised to one JSON form per kind, so equal answers compare equal:
yes_no ``"yes"|"no"``; choice an option code; multi_choice a sorted list of codes; number a
number; duration whole seconds; timestamp an ISO 8601 UTC string; date ``YYYY-MM-DD``; text a
string; documents ``{"selected": [...], "extras": [...]}``; rating 1..5. The registry in
``kinds.py`` names one function of this module per kind; N/A answers are handled before any
of them is called (``answers/values.py``).
"""

import datetime as dt
import math
from typing import Any

from service.checklists.items import (
    ChoiceItem,
    DateItem,
    DocumentsItem,
    DurationItem,
    ItemBase,
    MultiChoiceItem,
    NumberItem,
    RatingItem,
    TextItem,
    TimestampItem,
    YesNoItem,
)
from service.plain_text import no_control_characters

MAX_EXTRA_LENGTH = 500
MAX_MAGNITUDE = 10**15
YEARS = range(2000, 2101)


class AnswerValueError(ValueError):
    """The value does not fit the item; the message says what was expected."""


def _options(item: ChoiceItem | MultiChoiceItem | DocumentsItem) -> list[str]:
    return [o.code for o in item.options]


def _code(value: Any, allowed: list[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise AnswerValueError(f"expected one of {', '.join(allowed)}; got {value!r}")
    return value


def _codes(value: Any, allowed: list[str], *, minimum: int) -> list[str]:
    if not isinstance(value, list) or len(value) < minimum:
        raise AnswerValueError(f"expected a list of at least {minimum} of {', '.join(allowed)}")
    codes = [_code(v, allowed) for v in value]
    if len(set(codes)) != len(codes):
        raise AnswerValueError("the list repeats an option")
    return sorted(codes)


def _number(value: Any, *, integer: bool) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AnswerValueError(f"expected a number; got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise AnswerValueError(f"expected a number; got {value!r}")
    # Huge integers overflow float maths downstream; no answer needs them.
    if abs(value) > MAX_MAGNITUDE:
        raise AnswerValueError(f"expected a number within ±{MAX_MAGNITUDE}")
    if integer:
        if value != int(value):
            raise AnswerValueError(f"expected a whole number; got {value!r}")
        return int(value)
    return value


def _in_range(value: float, low: float | None, high: float | None) -> None:
    if low is not None and value < low:
        raise AnswerValueError(f"{value} is below the minimum {low}")
    if high is not None and value > high:
        raise AnswerValueError(f"{value} is above the maximum {high}")


def _text(value: Any, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise AnswerValueError("expected a non-empty text")
    if len(value) > max_length:
        raise AnswerValueError(f"the text is longer than {max_length} characters")
    try:
        return no_control_characters(value)
    except ValueError as exc:
        raise AnswerValueError(str(exc)) from None


def yes_no(item: YesNoItem, value: Any) -> str:
    # Only real booleans map to yes/no: 1 == True in Python, but 1 is not an answer.
    if isinstance(value, bool):
        value = "yes" if value else "no"
    return _code(value, ["yes", "no"])


def choice(item: ChoiceItem, value: Any) -> str:
    return _code(value, _options(item))


def multi_choice(item: MultiChoiceItem, value: Any) -> list[str]:
    return _codes(value, _options(item), minimum=1)


def number(item: NumberItem, value: Any) -> float | int:
    result = _number(value, integer=item.integer)
    _in_range(result, item.min, item.max)
    return result


def duration(item: DurationItem, value: Any) -> float | int:
    seconds = _number(value, integer=True)
    _in_range(seconds, item.min if item.min is not None else 0, item.max)
    return seconds


def timestamp(item: TimestampItem, value: Any) -> str:
    if not isinstance(value, str) or len(value) > 64:
        raise AnswerValueError("expected an ISO 8601 timestamp with an offset")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise AnswerValueError(f"not an ISO 8601 timestamp: {value!r}") from exc
    if moment.tzinfo is None:
        raise AnswerValueError(f"the timestamp {value!r} has no UTC offset")
    if moment.year not in YEARS:
        raise AnswerValueError(f"the timestamp {value!r} is not between 2000 and 2100")
    return moment.astimezone(dt.UTC).isoformat()


def date(item: DateItem, value: Any) -> str:
    if not isinstance(value, str) or len(value) != 10:
        raise AnswerValueError("expected a date as YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise AnswerValueError(f"not a date: {value!r}") from exc
    if day.year not in YEARS:
        raise AnswerValueError(f"the date {value!r} is not between 2000 and 2100")
    return day.isoformat()


def text(item: TextItem, value: Any) -> str:
    return _text(value, item.max_length)


def documents(item: DocumentsItem, value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict) or not set(value) <= {"selected", "extras"}:
        raise AnswerValueError('expected {"selected": [option codes], "extras": [texts]}')
    selected = _codes(value.get("selected", []), _options(item), minimum=0)
    extras = value.get("extras", [])
    if not isinstance(extras, list) or len(extras) > item.max_extras:
        raise AnswerValueError(f"extras must be a list of at most {item.max_extras} texts")
    cleaned = [_text(e, MAX_EXTRA_LENGTH).strip() for e in extras]
    return {"selected": selected, "extras": cleaned}


def rating(item: RatingItem, value: Any) -> float | int:
    result = _number(value, integer=True)
    _in_range(result, 1, 5)
    return result


def uploaded(item: ItemBase, value: Any) -> None:
    """Photo items take no value: their photos are uploaded instead."""
    raise AnswerValueError("photo items are answered by uploading photos")
