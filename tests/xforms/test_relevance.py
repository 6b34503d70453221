"""show_if becomes relevant: the phone shows exactly the items ResolvedChecklist.visible shows."""

import random
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from service.checklists.format import ResolvedChecklist
from service.xforms import names, relevance
from tests.xforms.collect import XF
from tests.xforms.forms import checklist, checklists, xform
from tests.xforms.test_instance import every_kind


def _tokens(target: ResolvedChecklist, answers: dict[str, tuple[Any, bool]]) -> dict[str, Any]:
    """What the phone's questions hold for API-style answers ``{code: (value, na)}``."""
    tokens: dict[str, frozenset[str]] = {}
    for code, (value, na) in answers.items():
        item = target.item(code)
        if na:
            key = code if relevance.na_in_choices(item) else names.na(code)
            tokens[key] = frozenset({names.NA})
        else:
            tokens[code] = frozenset(value if isinstance(value, list) else [value])
    return tokens


def _random_answers(target: ResolvedChecklist, rng: random.Random) -> dict[str, tuple[Any, bool]]:
    """Answers to the items a show_if can test (and others left out), N/A where allowed."""
    answers: dict[str, tuple[Any, bool]] = {}
    for item in target.items():
        codes = item.answer_codes()
        roll = rng.random()
        if codes is None or roll < 0.1:
            continue
        if item.allow_na and roll < 0.25:
            answers[item.code] = (None, True)
        elif getattr(item, "kind", None) == "multi_choice":
            answers[item.code] = (rng.sample(codes, rng.randint(1, len(codes))), False)
        else:
            answers[item.code] = (rng.choice(codes), False)
    return answers


@pytest.mark.parametrize("seed", range(40))
def test_the_phone_shows_what_visible_shows(seed: int) -> None:
    rng = random.Random(seed)
    for target in rng.sample(checklists(), 6):
        conditions = relevance.shown(target)
        answers = _random_answers(target, rng)
        values = {code: value for code, (value, _) in answers.items()}
        tokens = _tokens(target, answers)
        on_phone = {code for code, c in conditions.items() if c.holds(tokens)}
        assert on_phone == target.visible(values)


def test_a_hidden_answer_opens_nothing() -> None:
    # Chain: a -> b -> c. Answering b "yes" while a hides b must not show c.
    base = every_kind()
    items = [
        {"code": "a", "kind": "yes_no", "text_ru": "А", "text_en": "A"},
        {
            "code": "b",
            "kind": "multi_choice",
            "text_ru": "Б",
            "text_en": "B",
            "allow_na": True,
            "options": [
                {"code": "x", "text_ru": "Икс", "text_en": "X"},
                {"code": "y", "text_ru": "Игрек", "text_en": "Y"},
            ],
            "show_if": {"item": "a", "equals": "yes"},
        },
        {
            "code": "c",
            "kind": "text",
            "text_ru": "В",
            "text_en": "C",
            "show_if": {"item": "b", "in": ["x"]},
        },
    ]
    section = {"code": "s", "title_ru": "С", "title_en": "S", "items": items}
    target = ResolvedChecklist.model_validate(
        base.model_dump(mode="json", by_alias=True) | {"sections": [section]}
    )
    conditions = relevance.shown(target)
    assert relevance.xpath(conditions["c"]) == (
        "(selected(${a}, 'yes')) and (not(selected(${b__na}, '_na'))) and (selected(${b}, 'x'))"
    )
    hidden_b = {"a": frozenset({"no"}), "b": frozenset({"x"})}
    na_b = {"a": frozenset({"yes"}), "b": frozenset({"x"}), "b__na": frozenset({"_na"})}
    shown_c = {"a": frozenset({"yes"}), "b": frozenset({"x", "y"})}
    assert [conditions["c"].holds(t) for t in (hidden_b, na_b, shown_c)] == [False, False, True]
    assert relevance.xpath(conditions["a"]) == ""


@pytest.mark.parametrize(
    ("service", "channel"), [("S26", "in_person"), ("S26", "call_1414"), ("S04", "egov")]
)
def test_the_form_carries_each_condition_on_the_item(service: str, channel: str) -> None:
    target = checklist(service, channel)
    root = ET.fromstring(xform(target).xml)
    binds = {b.get("nodeset", "").rsplit("/", 1)[-1]: b for b in root.iter(f"{XF}bind")}
    paths = {name: b.get("nodeset", "") for name, b in binds.items()}
    conditions = relevance.shown(target)
    ruled = [i for i in target.items() if i.show_if is not None]
    assert ruled
    for item in ruled:
        # pyxform writes ${name} as the node's path with a space each side.
        expected = re.sub(
            r"\$\{(\w+)\}", lambda m: f" {paths[m[1]]} ", relevance.xpath(conditions[item.code])
        )
        # The item's group when it has several parts, else its one question.
        own = (names.group(item.code), item.code, names.photo(item.code, 1))
        bind = next(binds[name] for name in own if name in binds)
        assert bind.get("relevant") == expected, item.code
