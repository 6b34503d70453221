"""Findings: what a visit got wrong, in sentences a person can check, with the evidence.

Pure: no web, database or storage imports. ``ITEM_FINDINGS`` is the one table that turns a
checklist answer into a finding; its sentences are the message catalogue's
(``checklists/messages.yaml``), keyed by the finding code or ``code.qualifier``. A severity here is
the rule's default: the grading policy (``checklists/grading.yaml``) overrides it per code.
Findings from the standard's norms are built in ``norms.py`` (queue, call, deadline) and
``rules.py`` (documents); all share ``Finding`` and the closed set ``FindingCode``.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import JsonValue

from service.checklists.format import ResolvedChecklist
from service.checklists.items import DocumentsItem, ItemBase
from service.scoring import answer_words
from service.scoring.messages import Params, message
from service.scoring.results import (
    Finding,
    FindingCode,
    ItemResult,
    ItemStatus,
    Severity,
)
from service.scoring.sources import Source

StandardTopic = Literal["documents", "deadline", "cost", "channels"]
QUOTE_LIMIT = 300


@dataclass(frozen=True)
class ItemRule:
    """When an item's answer is in ``when``, report ``finding`` at ``severity``.

    ``key`` is the catalogue's message (default: the finding code); ``clause`` is what the
    finding rests on, the catalogue's ``source.<clause>``, in the standard (``on`` or
    ``compare`` names the topic, so the source is the standard with its report line) or else in
    the monitoring's checklist (``line``: the report line the checklist's question comes from,
    when it names one). ``rated`` passes the answer (a
    rating) to the message as ``value``; ``asked`` names the topic an operator was asked
    about, passed as ``what``. ``quote`` names a text item
    whose answer is quoted; ``details`` names items whose values are appended; ``compare``
    appends the standard's own text on those topics; ``unless`` skips the rule when a finding
    with that code already exists (the more specific one wins).
    """

    finding: FindingCode
    severity: Severity
    when: frozenset[str | int]
    clause: str
    key: str = ""
    on: StandardTopic | None = None
    line: int | None = None
    rated: bool = False
    asked: StandardTopic | None = None
    quote: str | None = None
    details: tuple[str, ...] = ()
    compare: tuple[StandardTopic, ...] = ()
    unless: FindingCode | None = None

    @property
    def message_key(self) -> str:
        return self.key or self.finding

    @property
    def topic(self) -> StandardTopic | None:
        return self.on or (self.compare[0] if self.compare else None)

    @property
    def clause_params(self) -> Params:
        # "<topic>: the standard's text" names the topic the rule compares with.
        return {"topic": message(f"topic.{self.topic}")} if self.clause == "standard-text" else {}


YES, NO = frozenset({"yes"}), frozenset({"no"})
LOW_RATING = frozenset({1, 2})
C, M, m = Severity.critical, Severity.major, Severity.minor  # short, so rows stay readable


def _match_rules(topic: StandardTopic) -> tuple[ItemRule, ...]:
    # The operator's own words come from the call's notes, when the shopper wrote them.
    extra: dict[str, Any] = {"compare": (topic,), "quote": "call_notes", "asked": topic}
    return (
        ItemRule("call-answer-contradicts-standard", M, frozenset({"mismatch"}), "standard-text",
                 **extra),
        ItemRule("call-answer-contradicts-standard", m, frozenset({"partial"}), "standard-text",
                 key="call-answer-contradicts-standard.partial", **extra),
        ItemRule("call-answer-missing", m, frozenset({"no_answer"}), "standard-text", **extra),
    )  # fmt: skip


# fmt: off
ITEM_FINDINGS: dict[str, tuple[ItemRule, ...]] = {
    # in_person: queue
    "display_matches_voice": (
        ItemRule("queue-display-voice-mismatch", M, NO, "queue-display"),),
    "display_order_followed": (ItemRule("queue-order-not-followed", M,
        frozenset({"called_then_live", "not_followed"}), "queue-followed"),),
    "live_queue_without_tickets": (
        ItemRule("live-queue-without-tickets", M, YES, "queue-followed"),),
    "queue_jumping_seen": (ItemRule("queue-jumping", M, YES, "queue-order",
        quote="queue_jumping_details"),),
    "new_ticket_requested": (ItemRule("queue-timer-reset", M, YES,
        "queue-first-ticket"),),
    # in_person: staff
    "badge_worn": (ItemRule("badge-missing", m, NO, "staff-badge"),),
    "badge_readable": (ItemRule("badge-unreadable", m, NO, "staff-badge"),),
    "rudeness_seen": (ItemRule("rudeness", M, YES, "staff-courtesy",
        quote="rudeness_quote"),),
    "staff_politeness": (ItemRule("rudeness", m, LOW_RATING, "staff-courtesy",
        key="rudeness.staff_politeness", rated=True),),
    "help_desk_courtesy": (ItemRule("rudeness", m, LOW_RATING, "staff-courtesy",
        key="rudeness.help_desk_courtesy", rated=True),),
    "routed_correctly": (ItemRule("routed-elsewhere", M, NO, "channels-list",
        on="channels", quote="redirected_to"),),
    # in_person: information stands
    "stand_present": (ItemRule("stand-missing", M, NO, "stands"),),
    "stand_has_service_info": (
        ItemRule("stand-without-service-info", M, NO, "stands"),),
    "stand_matches_standard": (
        ItemRule("stand-contradicts-standard", M, frozenset({"differs"}),
            "stands-vs-standard", compare=("deadline", "cost", "documents")),
        ItemRule("stand-contradicts-standard", m, frozenset({"partly_shown"}),
            "stands-vs-standard", key="stand-contradicts-standard.partly",
            compare=("deadline", "cost", "documents")),
    ),
    "stand_reachable": (ItemRule("stand-unreachable", m, NO, "stands"),),
    # in_person: documents, fees, result
    "documents_beyond_posted_list": (ItemRule("documents-beyond-standard", M, YES,
        "documents-posted", key="documents-beyond-standard.posted",
        on="documents", unless="documents-beyond-standard"),),
    "refusal_for_non_standard_document": (ItemRule("refusal-for-non-standard-document", M,
        YES, "documents-list", on="documents", quote="refusal_reason"),),
    "application_refused": (ItemRule("application-refused", m, YES, "application-refused",
        quote="refusal_reason", unless="refusal-for-non-standard-document"),),
    "unofficial_charge": (ItemRule("unofficial-charge", M, YES, "standard-text",
        compare=("cost",)),),
    "result_withheld": (ItemRule("result-withheld", M, YES, "result-withheld", on="deadline"),),
    "result_has_errors": (
        ItemRule("result-has-errors", M, YES, "result-errors"),),
    # in_person: complaints (report line 362: 3.1% complained, 0.6% in writing)
    "complaint_accepted": (ItemRule("complaint-not-accepted", M, NO,
        "complaints", line=362),),
    # in_person: integrity (critical items)
    "informal_payment_asked": (ItemRule("informal-payment", C, YES,
        "integrity-payment", quote="informal_payment_quote"),),
    "pressure_to_falsify": (ItemRule("pressure-to-falsify", C, YES,
        "integrity-falsify", quote="pressure_quote"),),
    "acquaintance_offer": (
        ItemRule("acquaintance-offer", C, YES, "integrity-equal"),),
    # call_1414
    "call_answered": (
        ItemRule("call-not-answered", M, NO, "call-answered"),),
    "call_dropped": (ItemRule("call-dropped", M, YES, "call-complete",
        details=("transfer_count", "hold_duration")),),
    "call_transferred": (ItemRule("call-transferred", m, YES,
        "call-no-transfers",
        details=("transfer_count", "hold_duration")),),
    "redirected_elsewhere": (ItemRule("call-redirected", M, YES,
        "call-on-the-spot", quote="call_notes"),),
    "answer_documents_match": _match_rules("documents"),
    "answer_deadline_match": _match_rules("deadline"),
    "answer_cost_match": _match_rules("cost"),
    # Where to apply (report line 2608: 1414 sent the caller to a ЦОН for a service the
    # ЕНПФ and egov.kz provide; lines 2606-2607 list the channels the operator left out).
    "answer_channels_match": _match_rules("channels"),
    "operator_politeness": (ItemRule("rudeness", m, LOW_RATING,
        "call-courtesy", key="rudeness.operator_politeness",
        rated=True),),
    # egov
    "info_matches_standard": (ItemRule("portal-info-contradicts-standard", M, NO,
        "deadline-and-cost", compare=("deadline", "cost")),),
    "technical_failure": (ItemRule("portal-technical-failure", m, YES,
        "portal-online", quote="failure_details",
        details=("failure_types",)),),
}
# fmt: on


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
    source = Source.of("checklist", "checklist-item", {"question": question, "weight": item.weight})
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
