"""normalize(): the one JSON form of each answer kind, and the values it refuses."""

import re
from typing import Any

import pytest
from pydantic import TypeAdapter

from service.answers.values import AnswerValueError, normalize
from service.checklists.items import Item, ItemBase

ADAPTER: TypeAdapter[ItemBase] = TypeAdapter(Item)
OPTIONS = [{"code": c, "text_ru": c, "text_en": c} for c in ("a", "b", "c")]


def item(kind: str, **extra: Any) -> ItemBase:
    return ADAPTER.validate_python(
        {"code": f"q_{kind}", "kind": kind, "text_ru": "Вопрос", "text_en": "Question", **extra}
    )


YES_NO = item("yes_no", allow_na=True)
CHOICE = item("choice", options=OPTIONS)
MULTI = item("multi_choice", options=OPTIONS)
WHOLE = item("number", unit="people", min=0, max=10)
DECIMAL = item("number", unit="kzt", integer=False)
DURATION = item("duration", max=3600)
TIMESTAMP = item("timestamp")
DATE = item("date")
TEXT = item("text", max_length=5)
DOCUMENTS = item("documents", options=OPTIONS[:2], max_extras=2)
RATING = item("rating")
PHOTO = item("photo")


@pytest.mark.parametrize(
    ("target", "value", "expected"),
    [
        pytest.param(YES_NO, "yes", "yes", id="yes"),
        pytest.param(YES_NO, True, "yes", id="true-is-yes"),
        pytest.param(YES_NO, False, "no", id="false-is-no"),
        pytest.param(CHOICE, "b", "b", id="choice"),
        pytest.param(MULTI, ["c", "a"], ["a", "c"], id="multi-sorted"),
        pytest.param(WHOLE, 3.0, 3, id="whole-float"),
        pytest.param(WHOLE, 10, 10, id="at-max"),
        pytest.param(DECIMAL, 2.5, 2.5, id="decimal"),
        pytest.param(DURATION, 0, 0, id="duration-zero"),
        pytest.param(DURATION, 90.0, 90, id="duration-seconds"),
        pytest.param(
            TIMESTAMP, "2026-02-02T10:05:00+05:00", "2026-02-02T05:05:00+00:00", id="to-utc"
        ),
        pytest.param(TIMESTAMP, "2026-02-02T05:05:00Z", "2026-02-02T05:05:00+00:00", id="zulu"),
        pytest.param(
            TIMESTAMP, "2026-01-01T01:00:00+05:00", "2025-12-31T20:00:00+00:00", id="day-back"
        ),
        pytest.param(DATE, "2024-02-29", "2024-02-29", id="leap-day"),
        pytest.param(TEXT, "Да", "Да", id="text"),
        pytest.param(TEXT, "a\tb\r\n", "a\tb\r\n", id="text-with-tab-and-breaks"),
        pytest.param(
            DOCUMENTS,
            {"selected": ["b", "a"], "extras": ["  справка  "]},
            {"selected": ["a", "b"], "extras": ["справка"]},
            id="documents",
        ),
        pytest.param(DOCUMENTS, {}, {"selected": [], "extras": []}, id="documents-empty"),
        pytest.param(RATING, 1, 1, id="rating-1"),
        pytest.param(RATING, 5, 5, id="rating-5"),
    ],
)
def test_accepted_values_and_their_normal_form(target: ItemBase, value: Any, expected: Any) -> None:
    assert normalize(target, value) == expected


def test_na_where_allowed_is_none() -> None:
    assert normalize(YES_NO, None, na=True) is None


@pytest.mark.parametrize(
    ("target", "value", "na", "message"),
    [
        pytest.param(YES_NO, "maybe", False, "expected one of yes, no; got 'maybe'", id="word"),
        pytest.param(
            YES_NO,
            1,
            False,
            "expected one of yes, no; got 1",
            id="yes-no-int",
        ),
        pytest.param(CHOICE, "z", False, "expected one of a, b, c; got 'z'", id="unknown-option"),
        pytest.param(CHOICE, ["a"], False, "expected one of a, b, c", id="choice-list"),
        pytest.param(MULTI, [], False, "a list of at least 1 of a, b, c", id="multi-empty"),
        pytest.param(MULTI, "a", False, "a list of at least 1", id="multi-not-list"),
        pytest.param(MULTI, ["a", "a"], False, "the list repeats an option", id="multi-repeat"),
        pytest.param(MULTI, ["a", "x"], False, "got 'x'", id="multi-unknown"),
        pytest.param(WHOLE, "3", False, "expected a number; got '3'", id="number-string"),
        pytest.param(WHOLE, True, False, "expected a number; got True", id="bool-as-number"),
        pytest.param(DECIMAL, float("nan"), False, "expected a number; got nan", id="nan"),
        pytest.param(DECIMAL, float("inf"), False, "expected a number; got inf", id="inf"),
        pytest.param(WHOLE, 2.5, False, "expected a whole number; got 2.5", id="not-whole"),
        pytest.param(WHOLE, 11, False, "11 is above the maximum 10", id="above-max"),
        pytest.param(WHOLE, -1, False, "-1 is below the minimum 0", id="below-min"),
        pytest.param(DURATION, -5, False, "-5 is below the minimum 0", id="negative-duration"),
        pytest.param(DURATION, 3601, False, "above the maximum 3600", id="long-duration"),
        pytest.param(RATING, 0, False, "0 is below the minimum 1", id="rating-0"),
        pytest.param(RATING, 6, False, "6 is above the maximum 5", id="rating-6"),
        pytest.param(RATING, 4.5, False, "expected a whole number", id="rating-half"),
        pytest.param(
            TIMESTAMP, "2026-02-02T10:05:00", False, "has no UTC offset", id="naive-timestamp"
        ),
        pytest.param(TIMESTAMP, "yesterday", False, "not an ISO 8601 timestamp", id="words"),
        pytest.param(TIMESTAMP, 1770000000, False, "expected an ISO 8601 timestamp", id="epoch"),
        pytest.param(DATE, "2026-02-30", False, "not a date: '2026-02-30'", id="no-such-day"),
        pytest.param(DATE, "2026-2-3", False, "expected a date as YYYY-MM-DD", id="short-date"),
        pytest.param(DATE, "2026-02-02T10:00", False, "expected a date as", id="date-with-time"),
        pytest.param(TEXT, "", False, "expected a non-empty text", id="empty-text"),
        pytest.param(TEXT, "   ", False, "expected a non-empty text", id="blank-text"),
        pytest.param(TEXT, "abcdef", False, "longer than 5 characters", id="too-long"),
        pytest.param(TEXT, "a\x00b", False, "a control character (U+0000)", id="nul-text"),
        pytest.param(TEXT, "a\x1bb", False, "a control character (U+001B)", id="escape-text"),
        pytest.param(DOCUMENTS, {"extras": ["ok", "x\x00"]}, False, "(U+0000)", id="nul-in-extras"),
        pytest.param(DOCUMENTS, {"other": []}, False, '{"selected"', id="documents-key"),
        pytest.param(DOCUMENTS, {"selected": ["z"]}, False, "got 'z'", id="documents-option"),
        pytest.param(
            DOCUMENTS, {"extras": ["a", "b", "c"]}, False, "at most 2 texts", id="many-extras"
        ),
        pytest.param(DOCUMENTS, {"extras": [3]}, False, "non-empty text", id="extra-not-text"),
        pytest.param(
            DOCUMENTS, {"extras": ["x" * 501]}, False, "longer than 500", id="extra-too-long"
        ),
        pytest.param(PHOTO, ["p1"], False, "answered by uploading photos", id="photo"),
        pytest.param(CHOICE, None, False, "a value is required", id="missing"),
        pytest.param(CHOICE, None, True, "cannot be answered N/A", id="na-not-allowed"),
        pytest.param(YES_NO, "yes", True, "an N/A answer carries no value", id="na-with-value"),
    ],
)
def test_rejected_values_say_why(target: ItemBase, value: Any, na: bool, message: str) -> None:
    with pytest.raises(AnswerValueError, match=re.escape(message)):
        normalize(target, value, na=na)
