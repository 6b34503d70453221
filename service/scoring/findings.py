"""Findings: what a visit got wrong, in sentences a person can check, with the evidence.

Pure: no web, database or storage imports. The answers are read through the one table that
turns a checklist answer into a finding (``item_rules.ITEM_FINDINGS``); their sentences are the
message catalogue's (``checklists/messages.yaml``), keyed by the finding code or
``code.qualifier``. Findings from the standard's norms are built in ``norms.py`` (queue, call,
deadline) and ``rules.py`` (documents); all share ``Finding`` and the closed set ``FindingCode``.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import JsonValue

from service.checklists.format import ResolvedChecklist
from service.checklists.items import DocumentsItem, ItemBase
from service.scoring import answer_words
from service.scoring.item_rules import ITEM_FINDINGS, ItemRule, StandardTopic
from service.scoring.messages import Params, message
from service.scoring.results import (
    Finding,
    FindingCode,
    ItemResult,
    ItemStatus,
    Severity,
)
from service.scoring.sources import Source

QUOTE_LIMIT = 300


def _detail(code: str, value: JsonValue, item: ItemBase | None) -> dict[str, JsonValue]:
    if code == "hold_duration" and isinstance(value, int | float):
        return message("more.hold_duration", minutes=round(value / 60))
    if code == "failure_types":
        chosen = value if isinstance(value, list) else [value]
        return message(
            "more.failure_types", value=[answer_words.option_text(item, c) for c in chosen]
        )
    return message(f"more.{code}", value=value)


def _quote(text: JsonValue) -> str:
    quoted = str(text).strip()
    return quoted if len(quoted) <= QUOTE_LIMIT else quoted[: QUOTE_LIMIT - 1] + "…"


def _source(rule: ItemRule, sources: Mapping[StandardTopic, Source]) -> Source:
    topic = rule.topic
    if topic is not None:
        return sources[topic].citing(rule.clause, rule.clause_params)
    return Source.of("checklist", rule.clause, rule.clause_params, line=rule.line)


def _rule_findings(
    checklist: ResolvedChecklist,
    item_code: str,
    value: JsonValue,
    values: Mapping[str, JsonValue],
    standard: "StandardTexts",
    *,
    critical: bool,
) -> list[tuple[ItemRule, Finding]]:
    # A critical item's finding is critical whatever the table says.
    found = []
    for rule in ITEM_FINDINGS.get(item_code, ()):
        if not isinstance(value, str | int) or value not in rule.when:
            continue
        codes = [item_code]
        more: list[JsonValue] = []
        for code in rule.details:
            if code in values:
                more.append(_detail(code, values[code], answer_words.item_of(checklist, code)))
                codes.append(code)
        if rule.quote and rule.quote in values:
            more.append(message("more.said", quote=_quote(values[rule.quote])))
            codes.append(rule.quote)
        for topic in rule.compare:
            said = message(f"topic.{topic}")
            more.append(message("more.standard", topic=said, text=standard.texts[topic]))
        params: Params = {"more": more}
        if rule.rated:
            params["value"] = value
        if rule.asked is not None:
            params["what"] = message(f"asked.{rule.asked}")
        severity = Severity.critical if critical else rule.severity
        source = _source(rule, standard.sources)
        finding = Finding.of(rule.finding, severity, codes, rule.message_key, params, source)
        found.append((rule, finding))
    return found


@dataclass(frozen=True)
class StandardTexts:
    """The standard's own texts by topic (in each language) and what each topic rests on."""

    texts: Mapping[StandardTopic, dict[str, JsonValue]]
    sources: Mapping[StandardTopic, Source]


_ANSWER_WORDS = {"yes": "answer.yes", "no": "answer.no"}


def _generic(item: ItemBase, value: JsonValue, code: FindingCode, severity: Severity) -> Finding:
    answer: JsonValue
    if isinstance(value, str) and value in _ANSWER_WORDS:
        answer = message(_ANSWER_WORDS[value])
    elif isinstance(value, list):
        answer = answer_words.joined([answer_words.option_text(item, v) for v in value])
    else:
        answer = answer_words.option_text(item, value) if isinstance(value, str) else str(value)
    question = answer_words.question(item)
    weight = f"{item.weight:g}"  # as the checklist writes it: 0.25, not the messages' 0.2
    source = Source.of("checklist", "checklist-item", {"question": question, "weight": weight})
    params: Params = {"question": question, "answer": answer}
    return Finding.of(code, severity, [item.code], code, params, source)


def answer_findings(
    checklist: ResolvedChecklist,
    values: Mapping[str, JsonValue],
    items: Mapping[str, ItemResult],
    standard: StandardTexts,
    *,
    prior: list[Finding],
    skip_generic: frozenset[str],
    generic: bool,
) -> list[Finding]:
    """``prior`` (the norms' findings) followed by the findings from the visible answers.

    The table's findings (a rule with ``unless`` waits until the others are known); a
    ``critical-item-failed`` for a failed critical item the table says nothing about; a minor
    ``non-compliant-item`` for any other weighted item answered non-compliant, unless
    ``generic`` is off or the item is in ``skip_generic`` (items judged by a norm); and one
    ``required-item-unanswered`` listing every required visible item left unanswered.
    """
    found = list(prior)
    deferred: list[tuple[ItemRule, Finding]] = []
    for item in checklist.items():
        if item.code in values:
            pairs = _rule_findings(
                checklist, item.code, values[item.code], values, standard, critical=item.critical
            )
            found += [f for rule, f in pairs if rule.unless is None]
            deferred += [(rule, f) for rule, f in pairs if rule.unless is not None]
    codes = {f.code for f in found}
    found += [f for rule, f in deferred if rule.unless not in codes]
    for item in checklist.items():
        if items[item.code].status is not ItemStatus.non_compliant:
            continue
        value = values.get(item.code)
        named = [f for f in found if item.code in f.item_codes]
        if item.critical and not any(f.severity is Severity.critical for f in named):
            found.append(_generic(item, value, "critical-item-failed", Severity.critical))
        special = item.code in ITEM_FINDINGS or item.code in skip_generic
        if generic and not (item.critical or special or named or item.weight <= 0):
            if not isinstance(item, DocumentsItem):
                found.append(_generic(item, value, "non-compliant-item", Severity.minor))
    missing = [
        i.code
        for i in checklist.items()
        if items[i.code].status is ItemStatus.unanswered and i.required
    ]
    if missing:
        code: FindingCode = "required-item-unanswered"
        source = Source.of("checklist", "required-items")
        params: Params = {"items": [answer_words.question(checklist.item(c)) for c in missing]}
        found.append(Finding.of(code, Severity.minor, missing, code, params, source))
    return found
