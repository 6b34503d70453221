"""The table that turns a checklist answer into a finding: ``ITEM_FINDINGS``, item by item.

Pure: no web, database or storage imports. A rule names its finding code, its default
severity (the grading policy, ``checklists/grading.yaml``, overrides it per code), the answers
that trigger it, the clause it rests on and what its message quotes; ``findings.py`` applies
the rules to a visit's answers.
"""

from dataclasses import dataclass
from typing import Any, Literal

from service.scoring.messages import Params, message
from service.scoring.results import FindingCode, Severity

StandardTopic = Literal["documents", "deadline", "cost", "channels"]


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
        topic = self.topic
        return standard_text(topic) if self.clause == "standard-text" and topic else {}


def standard_text(topic: StandardTopic) -> Params:
    """The parameters of the clause ``source.standard-text`` on ``topic``."""
    return {"topic": message(f"topic.{topic}")}


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
        ItemRule("queue-display-voice-mismatch", M, NO, "queue-display", line=2625),),
    "display_order_followed": (ItemRule("queue-order-not-followed", M,
        frozenset({"called_then_live", "not_followed"}), "queue-followed", line=1457),),
    "live_queue_without_tickets": (
        ItemRule("live-queue-without-tickets", M, YES, "queue-followed", line=2625),),
    "queue_jumping_seen": (ItemRule("queue-jumping", M, YES, "queue-order",
        quote="queue_jumping_details", line=2977),),
    "new_ticket_requested": (ItemRule("queue-timer-reset", M, YES,
        "queue-first-ticket", line=3604),),
    # in_person: staff
    "badge_worn": (ItemRule("badge-missing", m, NO, "staff-badge", line=3693),),
    "badge_readable": (ItemRule("badge-unreadable", m, NO, "staff-badge", line=3693),),
    "rudeness_seen": (ItemRule("rudeness", M, YES, "staff-courtesy",
        quote="rudeness_quote", line=3321),),
    "staff_politeness": (ItemRule("rudeness", m, LOW_RATING, "staff-courtesy",
        key="rudeness.staff_politeness", rated=True, line=1457),),
    "help_desk_courtesy": (ItemRule("rudeness", m, LOW_RATING, "help-desk-courtesy",
        key="rudeness.help_desk_courtesy", rated=True, line=848),),
    "routed_correctly": (ItemRule("routed-elsewhere", M, NO, "channels-list",
        on="channels", quote="redirected_to"),),
    # in_person: information stands
    "stand_present": (ItemRule("stand-missing", M, NO, "stands", line=2263),),
    "stand_has_service_info": (
        ItemRule("stand-without-service-info", M, NO, "stands", line=2607),),
    "stand_matches_standard": (
        ItemRule("stand-contradicts-standard", M, frozenset({"differs"}),
            "stands-vs-standard", compare=("deadline", "cost", "documents")),
        ItemRule("stand-contradicts-standard", m, frozenset({"partly_shown"}),
            "stands-vs-standard", key="stand-contradicts-standard.partly",
            compare=("deadline", "cost", "documents")),
    ),
    "stand_reachable": (ItemRule("stand-unreachable", m, NO, "stands", line=3693),),
    # in_person: documents, fees, result
    "documents_beyond_posted_list": (ItemRule("documents-beyond-standard", M, YES,
        "documents-posted", key="documents-beyond-standard.posted",
        on="documents", unless="documents-beyond-standard"),),
    "refusal_for_non_standard_document": (ItemRule("refusal-for-non-standard-document", M,
        YES, "documents-list", on="documents", quote="refusal_reason"),),
    "application_refused": (ItemRule("application-refused", m, YES, "application-refused",
        quote="refusal_reason", unless="refusal-for-non-standard-document", line=4669),),
    "unofficial_charge": (ItemRule("unofficial-charge", M, YES, "standard-text",
        compare=("cost",)),),
    "result_withheld": (ItemRule("result-withheld", M, YES, "result-withheld", on="deadline"),),
    "result_has_errors": (
        ItemRule("result-has-errors", M, YES, "result-errors", line=3105),),
    # in_person: complaints (report line 362: 3.1% complained, 0.6% in writing)
    "complaint_accepted": (ItemRule("complaint-not-accepted", M, NO,
        "complaints", line=362),),
    # in_person: integrity (critical items)
    "informal_payment_asked": (ItemRule("informal-payment", C, YES,
        "integrity-payment", quote="informal_payment_quote", line=3537),),
    "pressure_to_falsify": (ItemRule("pressure-to-falsify", C, YES,
        "integrity-falsify", quote="pressure_quote", line=3340),),
    "acquaintance_offer": (
        ItemRule("acquaintance-offer", C, YES, "integrity-equal", line=4207),),
    # call_1414
    "call_answered": (
        ItemRule("call-not-answered", M, NO, "call-answered", line=4213),),
    "call_dropped": (ItemRule("call-dropped", M, YES, "call-complete",
        details=("transfer_count", "hold_duration"), line=2608),),
    "call_transferred": (ItemRule("call-transferred", m, YES,
        "call-no-transfers",
        details=("transfer_count", "hold_duration"), line=2608),),
    "redirected_elsewhere": (ItemRule("call-redirected", M, YES,
        "call-on-the-spot", quote="call_notes", line=2608),),
    "answer_documents_match": _match_rules("documents"),
    "answer_deadline_match": _match_rules("deadline"),
    "answer_cost_match": _match_rules("cost"),
    # Where to apply (report line 2608: 1414 sent the caller to a ЦОН for a service the
    # ЕНПФ and egov.kz provide; lines 2606-2607 list the channels the operator left out).
    "answer_channels_match": _match_rules("channels"),
    "operator_politeness": (ItemRule("rudeness", m, LOW_RATING,
        "call-courtesy", key="rudeness.operator_politeness",
        rated=True, line=4668),),
    # egov
    "info_matches_standard": (ItemRule("portal-info-contradicts-standard", M, NO,
        "deadline-and-cost", compare=("deadline", "cost")),),
    "technical_failure": (ItemRule("portal-technical-failure", m, YES,
        "portal-online", quote="failure_details",
        details=("failure_types",), line=2616),),
}
# fmt: on
