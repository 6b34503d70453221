"""ResolvedChecklist.visible: the one show_if rule the submit gate, photos, scorer and demo use.

Before it there were three copies (the submit gate's ``answers.service.visible``, the scorer's
``rules._visible`` and a loop in the demo) that disagreed on answers not in their normal form:
the gate read stored values as they were, the scorer first normalised them and dropped those
that no longer fit. The rule now reads every tested answer in its normal form, and an answer
that does not fit its item counts as no answer. Rows marked "was:" pin a case where two old
copies disagreed.
"""

from typing import Any

import pytest

from service.checklists.format import ResolvedChecklist


def _item(code: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "kind": kind, "text_ru": code, "text_en": code, **extra}


def _options(*codes: str) -> list[dict[str, str]]:
    return [{"code": c, "text_ru": c, "text_en": c} for c in codes]


CHECKLIST = ResolvedChecklist.model_validate(
    {
        "service_code": "S26",
        "channel": "in_person",
        "template_version": 1,
        "standard_effective_from": "2018-01-01",
        "standard_digest": "0" * 64,
        "title_ru": "т",
        "title_en": "t",
        "sections": [
            {
                "code": "s",
                "title_ru": "с",
                "title_en": "s",
                "items": [
                    _item("ticket", "yes_no", allow_na=True),
                    _item("ticket_number", "text", show_if={"item": "ticket", "equals": "yes"}),
                    _item("channel", "choice", options=_options("a", "b", "c")),
                    _item("channel_note", "text", show_if={"item": "channel", "in": ["a", "b"]}),
                    _item("problems", "multi_choice", options=_options("queue", "rude")),
                    _item("rude_quote", "text", show_if={"item": "problems", "in": ["rude"]}),
                    _item(
                        "paid_how",
                        "choice",
                        options=_options("cash", "card"),
                        show_if={"item": "ticket", "equals": "yes"},
                    ),
                    _item("receipt", "photo", show_if={"item": "paid_how", "equals": "cash"}),
                ],
            }
        ],
    }
)
ALWAYS = {"ticket", "channel", "problems"}


@pytest.mark.parametrize(
    ("values", "opened"),
    [
        pytest.param({}, set(), id="nothing-answered"),
        pytest.param({"ticket": "yes"}, {"ticket_number", "paid_how"}, id="yes-opens"),
        pytest.param({"ticket": "no"}, set(), id="no-keeps-closed"),
        pytest.param({"ticket": None}, set(), id="na-keeps-closed"),
        pytest.param({"channel": "b"}, {"channel_note"}, id="choice-in-list"),
        pytest.param({"channel": "c"}, set(), id="choice-not-in-list"),
        pytest.param({"problems": ["queue", "rude"]}, {"rude_quote"}, id="multi-any-chosen"),
        pytest.param({"problems": ["queue"]}, set(), id="multi-none-chosen"),
        pytest.param(
            {"ticket": "yes", "paid_how": "cash"},
            {"ticket_number", "paid_how", "receipt"},
            id="chain-open",
        ),
        pytest.param(
            {"ticket": "no", "paid_how": "cash"}, set(), id="answer-to-a-hidden-item-opens-nothing"
        ),
        pytest.param({"ghost": "yes"}, set(), id="unknown-codes-ignored"),
        # was: gate hidden (True is not "yes"), scorer shown (it normalised True to "yes").
        pytest.param({"ticket": True}, {"ticket_number", "paid_how"}, id="boolean-yes-opens"),
        # was: gate shown (a list item matched), scorer hidden (a list is no yes/no answer).
        pytest.param({"ticket": ["yes"]}, set(), id="list-to-yes-no-opens-nothing"),
        # was: gate shown (a bare code matched), scorer hidden (a multi_choice needs a list).
        pytest.param({"problems": "rude"}, set(), id="bare-code-to-multi-opens-nothing"),
        # was: gate and demo shown ("rude" matched), scorer hidden (the answer does not fit).
        pytest.param({"problems": ["rude", "ghost"]}, set(), id="multi-with-unknown-option"),
        # was: gate shown (unsorted, repeated list still matched), scorer hidden (repeats refused).
        pytest.param({"problems": ["rude", "rude"]}, set(), id="multi-repeating-an-option"),
        # The scorer and demo compared str(value), the gate did not; no option code is a
        # number (codes start with a letter), so values are no longer coerced.
        pytest.param({"channel": 1}, set(), id="number-is-no-code"),
    ],
)
def test_visible(values: dict[str, Any], opened: set[str]) -> None:
    assert CHECKLIST.visible(values) == ALWAYS | opened


def test_items_are_judged_in_order_so_a_chain_needs_every_link() -> None:
    shown = CHECKLIST.visible({"ticket": "yes", "paid_how": "card"})
    assert "paid_how" in shown
    assert "receipt" not in shown


def test_a_walk_reads_answers_added_while_it_walks() -> None:
    """The demo answers item by item: an answer given on the way opens the items after it."""
    answers: dict[str, Any] = {}
    walked = []
    for item in CHECKLIST.shown_items(answers):
        walked.append(item.code)
        answers[item.code] = {"ticket": "yes", "paid_how": "cash", "problems": ["queue"]}.get(
            item.code
        )
    assert walked == [
        "ticket", "ticket_number", "channel", "problems", "paid_how", "receipt"
    ]  # fmt: skip
    assert set(walked) == CHECKLIST.visible(answers)
