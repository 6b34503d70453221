"""The template loader: real templates load, broken files are refused with a useful message."""

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.checklists.format import ChecklistChannel, ChecklistError
from service.checklists.items import ChoiceItem, YesNoItem
from service.checklists.loader import load_templates, parse_template

TEMPLATES = Path(__file__).resolve().parents[2] / "checklists" / "templates"

BASE: dict[str, Any] = {
    "channel": "in_person",
    "version": 1,
    "title_ru": "Визит",
    "title_en": "Visit",
    "sections": [
        {
            "code": "s1",
            "title_ru": "Раздел",
            "title_en": "Section",
            "items": [
                {
                    "code": "q1",
                    "kind": "yes_no",
                    "text_ru": "Есть ли стенд?",
                    "text_en": "Is there a stand?",
                    "compliant_answer": "yes",
                    "weight": 1,
                },
                {
                    "code": "q2",
                    "kind": "choice",
                    "text_ru": "Как вызывали?",
                    "text_en": "How were you called?",
                    "options": [
                        {"code": "a", "text_ru": "По табло", "text_en": "By display"},
                        {"code": "b", "text_ru": "Голосом", "text_en": "By voice"},
                    ],
                },
                {"code": "q3", "kind": "text", "text_ru": "Заметки", "text_en": "Notes"},
            ],
        },
        {
            "code": "s2",
            "title_ru": "Второй",
            "title_en": "Second",
            "items": [
                {
                    "code": "q4",
                    "kind": "number",
                    "text_ru": "Сколько окон?",
                    "text_en": "How many desks?",
                    "unit": "windows",
                },
                {"code": "q5", "kind": "photo", "text_ru": "Фото", "text_en": "Photo"},
            ],
        },
    ],
}

Mutation = Callable[[dict[str, Any]], None]


def _item(template: dict[str, Any], section: int, index: int) -> dict[str, Any]:
    item: dict[str, Any] = template["sections"][section]["items"][index]
    return item


def _set(section: int, index: int, **fields: Any) -> Mutation:
    return lambda t: _item(t, section, index).update(fields)


def _drop(section: int, index: int, key: str) -> Mutation:
    return lambda t: _item(t, section, index).pop(key)


def _dup_item(t: dict[str, Any]) -> None:
    t["sections"][1]["items"][0]["code"] = "q1"


def _dup_section(t: dict[str, Any]) -> None:
    t["sections"][1]["code"] = "s1"


def _show_if_on_deadline_cases(t: dict[str, Any]) -> None:
    _item(t, 0, 1).update(options_from="deadline_cases", options=[])
    _item(t, 0, 2).update(show_if={"item": "q2", "equals": "case_1"})


BROKEN: list[tuple[str, Mutation, str, list[str]]] = [
    ("unknown_kind", _set(0, 2, kind="slider"), "item q3", ["slider", "does not match"]),
    ("duplicate_item", _dup_item, "item q1", ["duplicate item code"]),
    ("duplicate_section", _dup_section, "section s1", ["duplicate section code"]),
    (
        "show_if_later",
        _set(0, 0, show_if={"item": "q2", "equals": "a"}),
        "item q1",
        ["'q2'", "comes later"],
    ),
    (
        "show_if_missing",
        _set(1, 0, show_if={"item": "ghost", "equals": "yes"}),
        "item q4",
        ["'ghost'", "does not exist"],
    ),
    ("show_if_self", _set(0, 1, show_if={"item": "q2", "equals": "a"}), "item q2", ["itself"]),
    (
        "show_if_not_an_option",
        _set(0, 2, show_if={"item": "q2", "in": ["a", "z"]}),
        "item q3",
        ["'z'", "not an answer of 'q2'"],
    ),
    (
        "show_if_yes_no_word",
        _set(0, 1, show_if={"item": "q1", "equals": "maybe"}),
        "item q2",
        ["'maybe'", "expected one of: yes, no"],
    ),
    (
        "show_if_yes_no_type",
        _set(0, 1, show_if={"item": "q1", "equals": 3}),
        "item q2",
        ["show_if.equals", "valid string"],
    ),
    (
        "show_if_untestable",
        _set(1, 1, show_if={"item": "q4", "equals": "a"}),
        "item q5",
        ["cannot test 'q4'"],
    ),
    (
        "show_if_both_tests",
        _set(0, 1, show_if={"item": "q1", "equals": "yes", "in": ["no"]}),
        "item q2",
        ["exactly one of"],
    ),
    ("negative_weight", _set(0, 0, weight=-1), "item q1", ["weight", "greater than or equal"]),
    (
        "negative_section_weight",
        lambda t: t["sections"][1].update(weight=-0.5),
        "section s2",
        ["weight", "greater than or equal"],
    ),
    ("missing_ru", _drop(0, 0, "text_ru"), "item q1", ["text_ru", "Field required"]),
    ("blank_ru", _set(0, 2, text_ru="   "), "item q3", ["text_ru", "at least 1 character"]),
    ("missing_en", _drop(1, 0, "text_en"), "item q4", ["text_en", "Field required"]),
    (
        "one_option",
        lambda t: _item(t, 0, 1)["options"].pop(),
        "item q2",
        ["at least 2 options, has 1"],
    ),
    (
        "duplicate_option",
        lambda t: _item(t, 0, 1)["options"][1].update(code="a"),
        "item q2",
        ["duplicate option codes: a"],
    ),
    ("number_min_max", _set(1, 0, min=10, max=2), "item q4", ["min 10.0 is greater than max"]),
    ("photo_counts", _set(1, 1, min_count=4, max_count=2), "item q5", ["min_count 4", "max_count"]),
    ("unknown_item_key", _set(0, 0, colour="red"), "item q1", ["colour", "Extra inputs"]),
    (
        "unknown_top_key",
        lambda t: t.update(author="me"),
        "author",
        ["Extra inputs are not permitted"],
    ),
    ("unknown_channel", lambda t: t.update(channel="fax"), "channel", ["in_person"]),
    (
        "unknown_placeholder",
        _set(0, 2, help_ru="Срок: {deadline}"),
        "item q3",
        ["unknown placeholder {deadline}"],
    ),
    ("critical_cannot_fail", _set(0, 2, critical=True), "item q3", ["critical item needs"]),
    ("weight_not_scorable", _set(1, 0, weight=2), "item q4", ["weight > 0"]),
    (
        "scoring_wrong_code",
        _set(0, 2, kind="timestamp", scoring="queue_wait_start"),
        "item q3",
        ["ticket_taken_at"],
    ),
    (
        "documents_with_options",
        _set(
            0,
            2,
            kind="documents",
            options=[{"code": "x", "text_ru": "Паспорт", "text_en": "Passport"}],
        ),
        "item q3",
        ["filled from the standard"],
    ),
    (
        "show_if_on_deadline_cases",
        _show_if_on_deadline_cases,
        "item q3",
        ["cannot test 'q2'"],
    ),
]


@pytest.mark.parametrize(
    ("mutate", "where", "reasons"),
    [pytest.param(m, w, r, id=name) for name, m, w, r in BROKEN],
)
def test_broken_file_names_file_item_and_reason(
    tmp_path: Path, mutate: Mutation, where: str, reasons: list[str]
) -> None:
    template = copy.deepcopy(BASE)
    mutate(template)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(template, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ChecklistError) as caught:
        parse_template(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert where in message
    for reason in reasons:
        assert reason in message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("channel: [in_person\n", "cannot read YAML", id="syntax"),
        pytest.param("channel: egov\nchannel: egov\n", "duplicate key 'channel'", id="dup_key"),
        pytest.param("- just\n- a list\n", "expected a mapping", id="not_mapping"),
    ],
)
def test_unreadable_text_is_refused(text: str, reason: str) -> None:
    with pytest.raises(ChecklistError, match=reason) as caught:
        parse_template(text, name="inline.yaml")
    assert str(caught.value).startswith("inline.yaml: ")


def test_base_template_is_valid() -> None:
    template = parse_template(yaml.safe_dump(BASE, allow_unicode=True))
    assert [i.code for i in template.items()] == ["q1", "q2", "q3", "q4", "q5"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("yes", "yes"), ("no", "no"), ("true", "yes"), ("false", "no"), ('"yes"', "yes")],
)
def test_yes_and_no_stay_words(value: str, expected: str) -> None:
    # Under YAML 1.1 a bare yes is a boolean; the loader reads 1.2 and maps booleans back.
    text = yaml.safe_dump(BASE, allow_unicode=True).replace(
        "compliant_answer: 'yes'", f"compliant_answer: {value}"
    )
    item = next(parse_template(text).items())
    assert isinstance(item, YesNoItem)
    assert item.compliant_answer == expected


def test_real_templates_load() -> None:
    templates = load_templates(TEMPLATES)
    assert set(templates) == set(ChecklistChannel)
    for channel, template in templates.items():
        assert template.channel is channel
        codes = [item.code for item in template.items()]
        assert len(codes) == len(set(codes))


def test_template_channel_must_match_file_name(tmp_path: Path) -> None:
    for channel in ChecklistChannel:
        text = (TEMPLATES / f"{channel.value}.yaml").read_text(encoding="utf-8")
        if channel is ChecklistChannel.egov:
            text = text.replace("channel: egov", "channel: call_1414")
        (tmp_path / f"{channel.value}.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ChecklistError, match=r"egov\.yaml: channel: call_1414 does not match"):
        load_templates(tmp_path)


def test_missing_template_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ChecklistError, match=r"in_person\.yaml: missing"):
        load_templates(tmp_path)


def test_deadline_case_item_is_left_for_the_builder() -> None:
    template = load_templates(TEMPLATES)[ChecklistChannel.in_person]
    item = next(i for i in template.items() if i.code == "deadline_case")
    assert isinstance(item, ChoiceItem)
    assert item.options_from == "deadline_cases"
    assert item.options == []
