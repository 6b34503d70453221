"""A finding without the words a shopper typed: quotes named in its parameters (rules 2026.3
on) and quotes older rules wrote into the text (snapshots 1 and 2)."""

import json
from pathlib import Path
from typing import Any

from service.scoring.messages import message, render_all
from service.scoring.quotes import unquoted_messages, without_quotes
from service.scoring.schemas import upgrade_snapshot

QUOTE = "Айгуль Б.: «ждите» за дверью"
DATA = Path(__file__).parent / "data"


def finding(key: str, params: dict[str, Any]) -> dict[str, Any]:
    texts = render_all(key, params)
    return {"code": "rudeness", "message_key": key, "params": params} | {
        f"message_{lang}": text for lang, text in texts.items()
    }


def test_a_quote_in_the_parameters_leaves_params_and_every_language() -> None:
    standard = message("more.standard", topic=message("topic.cost"), text="бесплатно")
    quoted = finding("rudeness", {"more": [message("more.said", quote=QUOTE), standard]})
    assert QUOTE in quoted["message_ru"]

    plain = without_quotes(quoted)

    expected = render_all("rudeness", {"more": [standard]})
    assert {lang: plain[f"message_{lang}"] for lang in expected} == expected
    assert plain["params"] == {"more": [standard]}
    assert quoted["params"]["more"][0]["key"] == "more.said"  # the stored one is untouched


def test_the_report_rows_messages_lose_the_quote() -> None:
    params = {"more": [message("more.said", quote=QUOTE)]}
    texts = {str(lang): text for lang, text in render_all("rudeness", params).items()}
    assert unquoted_messages(params, texts) == render_all("rudeness", {"more": []})


def test_a_quote_older_rules_wrote_into_the_text_is_cut() -> None:
    snapshot = json.loads((DATA / "score-snapshot-2026.2.json").read_text(encoding="utf-8"))
    snapshot["findings"].append(
        {
            "code": "rudeness",
            "severity": "major",
            "item_codes": ["rudeness_seen", "rudeness_quote"],
            "message_en": f'A member of staff was rude. Said: "{QUOTE}". The standard (cost): '
            "free.",
            "message_ru": f"Работник был груб. Сказано: «{QUOTE}». По стандарту: бесплатно.",
            "clause": "staff: courtesy",
        }
    )
    old = upgrade_snapshot(snapshot)["findings"][-1]

    plain = without_quotes(old)

    assert plain["message_en"] == "A member of staff was rude. The standard (cost): free."
    assert plain["message_ru"] == "Работник был груб. По стандарту: бесплатно."


def test_a_written_quote_cut_off_with_its_message_is_cut_to_the_end() -> None:
    cut = {"code": "rudeness", "message_ru": "Работник был груб. Сказано: «Айгуль Б.: жди"}
    assert without_quotes(cut)["message_ru"] == "Работник был груб."


def test_a_finding_without_a_quote_is_left_alone() -> None:
    plain = finding("rudeness", {"more": []})
    assert without_quotes(plain) == plain
