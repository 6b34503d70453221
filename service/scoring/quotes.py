"""What a finding quotes of a shopper's free text, and the finding without it.

A rule may append the words of a text answer to its message (``more.said``: «Сказано: «…»»);
they may name office staff, so analysts read findings without them (``auth.roles``), and the
findings report, an aggregate, never carries them. The quote is taken out of the message's
parameters and, as the very text it rendered to, out of each language's message.
"""

import re
from collections.abc import Mapping
from typing import Any

from service.scoring.messages import LANGS, render

SAID = "more.said"

# Scores stored before messages had parameters (snapshots 1 and 2, rules 2026.1-2026.2) wrote
# the quote into the text: it ends at its closing mark followed by the standard's text or the
# end, or runs to the end where the stored message was cut.
_WRITTEN = {
    "en": re.compile(r' Said: ".*?"\.(?= The standard \(|$)| Said: ".*\Z', re.DOTALL),
    "ru": re.compile(r" Сказано: «.*?»\.(?= По стандарту|$)| Сказано: «.*\Z", re.DOTALL),
    "kk": re.compile(r" Айтылғаны: «.*?»\.(?= Стандарт бойынша|$)| Айтылғаны: «.*\Z", re.DOTALL),
}


def _unwritten(text: str, lang: str) -> str:
    """``text`` without a quote written into it (see ``_WRITTEN``)."""
    return _WRITTEN[lang].sub("", text)


def _said(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    more = params.get("more")
    if not isinstance(more, list):
        return []
    return [m for m in more if isinstance(m, dict) and m.get("key") == SAID]


def unquoted_messages(params: Mapping[str, Any], messages: Mapping[str, str]) -> dict[str, str]:
    """``messages`` by language (``{"ru": ...}``) with the quotes ``params`` rendered removed."""
    said = _said(params)
    out = dict(messages)
    for lang in LANGS:
        text = out.get(lang)
        if not text:
            continue
        for part in said:
            text = text.replace(render(SAID, part["params"], lang), "", 1)
        out[lang] = text
    return out


def without_quotes(finding: Mapping[str, Any]) -> dict[str, Any]:
    """A finding as stored (``FindingPublic``'s fields) with its quotes taken out."""
    params = finding.get("params") or {}
    said = _said(params)
    if not said:
        # No quote in the parameters: none, or one written into the text by older rules.
        written = {f"message_{lang}": finding.get(f"message_{lang}") or "" for lang in LANGS}
        return dict(finding) | {k: _unwritten(v, k[-2:]) for k, v in written.items() if v}
    messages: dict[str, str] = {lang: finding.get(f"message_{lang}") or "" for lang in LANGS}
    texts = unquoted_messages(params, messages)
    kept = [m for m in params["more"] if m not in said]
    return (
        dict(finding)
        | {"params": {**params, "more": kept}}
        | {f"message_{lang}": texts[lang] for lang in LANGS}
    )
