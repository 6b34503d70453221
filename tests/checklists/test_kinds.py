"""The item-kind registry: every kind of the checklist format declares every part, and each works.

Adding a kind to ``items.Item`` without a registry entry, or without an item in ``ITEMS``
below, fails here before anything else does.
"""

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, get_args

import pytest
from pydantic import TypeAdapter

from service.answers.values import normalize
from service.checklists.items import Item, ItemBase, MultiChoiceItem
from service.checklists.kinds import KINDS, Kind, kind_of
from service.checklists.values import AnswerValueError

ADAPTER: TypeAdapter[ItemBase] = TypeAdapter(Item)
OPTIONS = [
    {"code": "good", "text_ru": "х", "text_en": "good", "compliant": True},
    {"code": "half", "text_ru": "п", "text_en": "half", "score": 0.5},
    {"code": "bad", "text_ru": "п", "text_en": "bad", "compliant": False},
    {"code": "info", "text_ru": "и", "text_en": "info"},
]
# The XLSForm question types the OpenRosa work will emit.
XLSFORM_TYPES = {"select_one", "select_multiple", "integer", "decimal", "dateTime", "date"}
XLSFORM_TYPES |= {"text", "image", "range"}
AT = dt.datetime(2026, 3, 18, 10, 5, tzinfo=dt.timezone(dt.timedelta(hours=5)))


def item(kind: str, **extra: Any) -> ItemBase:
    data = {"code": f"q_{kind}", "kind": kind, "text_ru": "Вопрос", "text_en": "Question"}
    return ADAPTER.validate_python(data | extra)


# One item per kind, as a checklist would have it; a new kind needs one here.
ITEMS = {
    "yes_no": item("yes_no", compliant_answer="yes"),
    "choice": item("choice", options=OPTIONS),
    "multi_choice": item("multi_choice", options=OPTIONS),
    "number": item("number", unit="people", min=0, max=10),
    "duration": item("duration", max=3600),
    "timestamp": item("timestamp"),
    "date": item("date"),
    "text": item("text"),
    "photo": item("photo"),
    "documents": item("documents", options=OPTIONS[:2]),
    "rating": item("rating"),
}


def _format_kinds() -> set[str]:
    union = get_args(Item)[0]
    return {get_args(m.model_fields["kind"].annotation)[0] for m in get_args(union)}


def test_every_kind_of_the_format_has_a_registry_entry_and_a_test_item() -> None:
    assert set(KINDS) == _format_kinds() == set(ITEMS)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_entry_declares_every_part(name: str) -> None:
    kind = KINDS[name]
    assert get_args(kind.model.model_fields["kind"].annotation) == (name,)
    for field in fields(Kind):
        assert getattr(kind, field.name) is not None, field.name
    parts = (kind.normalize, kind.fraction, kind.sample, kind.example)
    assert all(callable(part) for part in parts)
    assert kind.xform_type in XLSFORM_TYPES
    assert kind_of(ITEMS[name]) is kind


@dataclass(frozen=True)
class SeededDraw:
    rng: random.Random
    quality: float
    comments: Sequence[str] = ("Всё хорошо",)
    extra_documents: Sequence[str] = ("Справка",)

    def moment(self, code: str) -> dt.datetime:
        return AT

    def day(self, code: str) -> str | None:
        return AT.date().isoformat()

    def critical_failure(self, code: str) -> float:
        return 0.5


@pytest.mark.parametrize("name", sorted(KINDS))
def test_made_up_values_are_valid_answers_and_score_within_0_and_1(name: str) -> None:
    target, kind = ITEMS[name], KINDS[name]
    made = [kind.example(target, AT)]
    made += [kind.sample(target, SeededDraw(random.Random(n), n / 20)) for n in range(21)]
    if not kind.takes_value:
        assert made == [None] * len(made)
        with pytest.raises(AnswerValueError, match="uploading photos"):
            normalize(target, ["photo-1"])
        return
    assert made[0] is not None
    for value in (v for v in made if v is not None):
        fraction = kind.fraction(target, normalize(target, value))
        assert fraction is None or 0 <= fraction <= 1


@pytest.mark.parametrize(
    ("name", "value", "fraction"),
    [
        pytest.param("yes_no", "yes", 1.0, id="yes-no-compliant"),
        pytest.param("yes_no", "no", 0.0, id="yes-no-not-compliant"),
        pytest.param("choice", "good", 1.0, id="choice-compliant"),
        pytest.param("choice", "half", 0.5, id="choice-score-wins"),
        pytest.param("choice", "bad", 0.0, id="choice-not-compliant"),
        pytest.param("choice", "info", None, id="choice-informational"),
        pytest.param("multi_choice", ["good", "half"], 0.5, id="multi-lowest-counts"),
        pytest.param("multi_choice", ["good", "info"], 1.0, id="multi-informational-skipped"),
        pytest.param("multi_choice", ["info"], None, id="multi-only-informational"),
        pytest.param("rating", 1, 0.0, id="rating-1"),
        pytest.param("rating", 3, 0.5, id="rating-3"),
        pytest.param("rating", 5, 1.0, id="rating-5"),
        pytest.param("number", 3, None, id="number-unscored"),
        pytest.param("documents", {"selected": [], "extras": []}, None, id="documents-by-scorer"),
    ],
)
def test_fraction(name: str, value: Any, fraction: float | None) -> None:
    assert KINDS[name].fraction(ITEMS[name], value) == fraction


def test_yes_no_without_a_compliant_answer_is_unscored() -> None:
    assert kind_of(item("yes_no")).fraction(item("yes_no"), "yes") is None


def test_examples_are_the_first_option_not_marked_failing() -> None:
    multi = ITEMS["multi_choice"]
    assert isinstance(multi, MultiChoiceItem)
    assert kind_of(multi).example(multi, AT) == ["good"]
    assert KINDS["timestamp"].example(ITEMS["timestamp"], AT) == "2026-03-18T10:05:00+05:00"
    assert KINDS["date"].example(ITEMS["date"], AT) == "2026-03-18"


def test_samples_follow_quality() -> None:
    target, kind = ITEMS["choice"], KINDS["choice"]
    perfect = {kind.sample(target, SeededDraw(random.Random(n), 1.0)) for n in range(50)}
    poor = {kind.sample(target, SeededDraw(random.Random(n), 0.0)) for n in range(50)}
    assert perfect == {"good"}
    assert poor == {"half", "bad"}
