"""Findings: what a visit got wrong, in sentences a person can check, with the evidence.

Pure: no web, database or storage imports. ``ITEM_FINDINGS`` is the one table that turns a
checklist answer into a finding, so changing a wording is a one-line edit. A severity here is
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
from service.scoring.results import Finding, FindingCode, ItemResult, ItemStatus, Severity

StandardTopic = Literal["documents", "deadline", "cost", "channels"]
QUOTE_LIMIT = 300


@dataclass(frozen=True)
class ItemRule:
    """When an item's answer is in ``when``, report ``finding`` at ``severity``.

    ``quote`` names a text item whose answer is quoted; ``details`` names items whose values
    are appended; ``compare`` appends the standard's own text on those topics; ``unless`` skips
    the rule when a finding with that code already exists (the more specific one wins).
    """

    finding: FindingCode
    severity: Severity
    when: frozenset[str | int]
    en: str
    ru: str
    clause: str
    quote: str | None = None
    details: tuple[str, ...] = ()
    compare: tuple[StandardTopic, ...] = ()
    unless: FindingCode | None = None


YES, NO = frozenset({"yes"}), frozenset({"no"})
LOW_RATING = frozenset({1, 2})
C, M, m = Severity.critical, Severity.major, Severity.minor  # short, so rows stay readable


def _match_rules(topic: StandardTopic, what_en: str, what_ru: str) -> tuple[ItemRule, ...]:
    clause = f"{topic}: the standard's text"
    said_en, said_ru = f"The operator's {what_en}", f"Названные оператором {what_ru}"
    # The operator's own words come from the call's notes, when the shopper wrote them.
    extra: dict[str, Any] = {"compare": (topic,), "quote": "call_notes"}
    return (
        ItemRule("call-answer-contradicts-standard", M, frozenset({"mismatch"}),
                 f"{said_en} contradicted the standard.",
                 f"{said_ru} противоречат стандарту.", clause, **extra),
        ItemRule("call-answer-contradicts-standard", m, frozenset({"partial"}),
                 f"{said_en} matched the standard only in part.",
                 f"{said_ru} совпали со стандартом лишь частично.", clause, **extra),
        ItemRule("call-answer-missing", m, frozenset({"no_answer"}),
                 f"The operator gave no answer about the {what_en}.",
                 f"Оператор не ответил на вопрос: {what_ru}.", clause, **extra),
    )  # fmt: skip


# fmt: off
ITEM_FINDINGS: dict[str, tuple[ItemRule, ...]] = {
    # in_person: queue
    "display_matches_voice": (ItemRule("queue-display-voice-mismatch", M, NO,
        "The number on the display did not match the voice announcement.",
        "Номер на табло не совпадал с голосовым объявлением.", "queue: electronic queue (C3)"),),
    "display_order_followed": (ItemRule("queue-order-not-followed", M,
        frozenset({"called_then_live", "not_followed"}),
        "The display's calling order was not followed.",
        "Порядок вызова по табло не соблюдался.", "queue: electronic queue (C4)"),),
    "live_queue_without_tickets": (ItemRule("live-queue-without-tickets", M, YES,
        "A live queue without tickets ran instead of or beside the electronic queue.",
        "Была живая очередь без талонов.", "queue: electronic queue (C4)"),),
    "queue_jumping_seen": (ItemRule("queue-jumping", M, YES,
        "Someone was served out of turn or without a ticket.",
        "Кого-то обслужили вне очереди или без талона.", "queue: order of service (C7)",
        quote="queue_jumping_details"),),
    "new_ticket_requested": (ItemRule("queue-timer-reset", M, YES,
        "Staff asked the visitor to take a new ticket, which restarts the recorded wait.",
        "Посетителя попросили взять новый талон, что обнуляет учтённое ожидание.",
        "queue: the wait runs from the first ticket (C6)"),),
    # in_person: staff
    "badge_worn": (ItemRule("badge-missing", m, NO, "The staff member wore no badge.",
        "У сотрудника не было бейджа.", "staff: badge (D1)"),),
    "badge_readable": (ItemRule("badge-unreadable", m, NO,
        "The name on the badge could not be read from the visitor's seat.",
        "Имя на бейдже нельзя было прочитать с места посетителя.", "staff: badge (D1)"),),
    "rudeness_seen": (ItemRule("rudeness", M, YES, "A member of staff was rude.",
        "Работник вёл себя грубо.", "staff: courtesy (D2)", quote="rudeness_quote"),),
    "staff_politeness": (ItemRule("rudeness", m, LOW_RATING,
        "The staff member's courtesy was rated {value} of 5.",
        "Вежливость сотрудника оценена на {value} из 5.", "staff: courtesy (D2)"),),
    "help_desk_courtesy": (ItemRule("rudeness", m, LOW_RATING,
        "The consultant's courtesy was rated {value} of 5.",
        "Вежливость консультанта оценена на {value} из 5.", "staff: courtesy (D2)"),),
    "routed_correctly": (ItemRule("routed-elsewhere", M, NO,
        "The application was not taken here; the visitor was sent elsewhere.",
        "Заявление здесь не приняли и направили в другое место.", "channels: the standard's list",
        quote="redirected_to"),),
    # in_person: information stands
    "stand_present": (ItemRule("stand-missing", M, NO, "The hall had no information stands.",
        "В зале не было информационных стендов.", "information: stands (B4)"),),
    "stand_has_service_info": (ItemRule("stand-without-service-info", M, NO,
        "The stands had no information on this service.",
        "На стендах не было информации об этой услуге.", "information: stands (B4)"),),
    "stand_matches_standard": (
        ItemRule("stand-contradicts-standard", M, frozenset({"differs"}),
            "The stand's deadline, cost or document list contradicts the standard.",
            "Срок, стоимость или перечень документов на стенде противоречат стандарту.",
            "information: stands vs the standard (B4)", compare=("deadline", "cost", "documents")),
        ItemRule("stand-contradicts-standard", m, frozenset({"partly_shown"}),
            "The stand shows only part of the standard's deadline, cost and document list.",
            "На стенде лишь часть срока, стоимости и перечня документов по стандарту.",
            "information: stands vs the standard (B4)", compare=("deadline", "cost", "documents")),
    ),
    "stand_reachable": (ItemRule("stand-unreachable", m, NO,
        "Visitors could not reach the stands (they stood behind the desks).",
        "К стендам нельзя было подойти (они стояли за стойками).", "information: stands (B4)"),),
    # in_person: documents, fees, result
    "documents_beyond_posted_list": (ItemRule("documents-beyond-standard", M, YES,
        "Documents beyond the published list were demanded (not named in the answers).",
        "Потребовали документы сверх опубликованного перечня (в ответах не названы).",
        "documents: the published list", unless="documents-beyond-standard"),),
    "refusal_for_non_standard_document": (ItemRule("refusal-for-non-standard-document", M,
        YES, "The application was refused for lack of a document the standard does not list.",
        "В приёме отказали из-за документа, которого нет в перечне стандарта.",
        "documents: the standard's list", quote="refusal_reason"),),
    "application_refused": (ItemRule("application-refused", m, YES,
        "The application was refused or the visitor was told to come back.",
        "В приёме заявления отказали или попросили прийти ещё раз.", "documents (E2)",
        quote="refusal_reason", unless="refusal-for-non-standard-document"),),
    "unofficial_charge": (ItemRule("unofficial-charge", M, YES,
        "The visitor was asked to pay for something the standard does not provide for.",
        "Просили заплатить за то, чего нет в стандарте.", "cost: the standard's text",
        compare=("cost",)),),
    "result_withheld": (ItemRule("result-withheld", M, YES,
        "A ready result was withheld because \"the deadline has not come yet\".",
        "Готовый результат не выдали под предлогом «срок ещё не подошёл».", "deadline (F4)"),),
    "result_has_errors": (ItemRule("result-has-errors", M, YES,
        "The issued document contains errors.", "В выданном документе есть ошибки.",
        "result: document without errors (E5)"),),
    # in_person: complaints (report line 362: 3.1% complained, 0.6% in writing)
    "complaint_accepted": (ItemRule("complaint-not-accepted", M, NO,
        "The visitor's complaint was not accepted.", "Жалобу посетителя не приняли.",
        "complaints: the right to complain (report line 362)"),),
    # in_person: integrity (critical items)
    "informal_payment_asked": (ItemRule("informal-payment", C, YES,
        "An informal payment was asked for or hinted at.",
        "Просили неофициальное вознаграждение или намекали на него.",
        "integrity: no informal payments (G1)", quote="informal_payment_quote"),),
    "pressure_to_falsify": (ItemRule("pressure-to-falsify", C, YES,
        "The visitor was pressed to give false information.",
        "Посетителя принуждали указать недостоверные сведения.",
        "integrity: no falsification (G2)", quote="pressure_quote"),),
    "acquaintance_offer": (ItemRule("acquaintance-offer", C, YES,
        "Someone offered to speed things up through acquaintances.",
        "Предлагали «ускорить» дело через знакомых.", "integrity: equal treatment (G3)"),),
    # call_1414
    "call_answered": (ItemRule("call-not-answered", M, NO, "No operator answered the call.",
        "Оператор не ответил на звонок.", "call centre: an operator answers (A5)"),),
    "call_dropped": (ItemRule("call-dropped", M, YES,
        "The call dropped before an answer was given.",
        "Звонок оборвался до получения ответа.", "call centre: complete answer (A5)",
        details=("transfer_count", "hold_duration")),),
    "call_transferred": (ItemRule("call-transferred", m, YES, "The call was transferred.",
        "Звонок переводили.", "call centre: answer without transfers (A5)",
        details=("transfer_count", "hold_duration")),),
    "redirected_elsewhere": (ItemRule("call-redirected", M, YES,
        "The operator sent the caller elsewhere instead of answering.",
        "Оператор отправил за ответом в другое место.", "call centre: answer on the spot (A5)",
        quote="call_notes"),),
    "answer_documents_match": _match_rules("documents", "list of documents", "документы"),
    "answer_deadline_match": _match_rules("deadline", "deadline", "сроки"),
    "answer_cost_match": _match_rules("cost", "cost", "стоимость"),
    # Where to apply (report line 2608: 1414 sent the caller to a ЦОН for a service the
    # ЕНПФ and egov.kz provide; lines 2606-2607 list the channels the operator left out).
    "answer_channels_match": _match_rules("channels", "channels to apply", "каналы подачи"),
    "operator_politeness": (ItemRule("rudeness", m, LOW_RATING,
        "The operator's courtesy was rated {value} of 5.",
        "Вежливость оператора оценена на {value} из 5.", "call centre: courtesy (A5, D2)"),),
    # egov
    "info_matches_standard": (ItemRule("portal-info-contradicts-standard", M, NO,
        "The portal's deadline or cost differs from the standard.",
        "Срок или стоимость на портале не совпадают со стандартом.",
        "deadline and cost: the standard's text", compare=("deadline", "cost")),),
    "technical_failure": (ItemRule("portal-technical-failure", m, YES,
        "The portal failed while applying.", "При подаче заявки портал давал сбои.",
        "portal: application online (A7)", quote="failure_details",
        details=("failure_types",)),),
}
# fmt: on

_DETAIL_LABELS = {
    "transfer_count": ("Transfers", "Переводов"),
    "hold_duration": ("On hold", "На удержании"),
    "failure_types": ("Failures", "Сбои"),
}


def _detail(code: str, value: JsonValue) -> tuple[str, str]:
    en, ru = _DETAIL_LABELS.get(code, (code, code))
    if code.endswith("_duration") and isinstance(value, int):
        return f"{en}: {value / 60:.0f} min", f"{ru}: {value / 60:.0f} мин"
    shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return f"{en}: {shown}", f"{ru}: {shown}"


def _quote(text: JsonValue) -> str:
    quoted = str(text).strip()
    return quoted if len(quoted) <= QUOTE_LIMIT else quoted[: QUOTE_LIMIT - 1] + "…"


def _rule_findings(
    item_code: str,
    value: JsonValue,
    values: Mapping[str, JsonValue],
    standard_texts: Mapping[StandardTopic, tuple[str, str]],
    *,
    critical: bool,
) -> list[tuple[ItemRule, Finding]]:
    # A critical item's finding is critical whatever the table says.
    found = []
    for rule in ITEM_FINDINGS.get(item_code, ()):
        if not isinstance(value, str | int) or value not in rule.when:
            continue
        en, ru = rule.en.format(value=value), rule.ru.format(value=value)
        codes = [item_code]
        for code in rule.details:
            if code in values:
                d_en, d_ru = _detail(code, values[code])
                en, ru, codes = f"{en} {d_en}.", f"{ru} {d_ru}.", [*codes, code]
        if rule.quote and rule.quote in values:
            quoted = _quote(values[rule.quote])
            en, ru = f'{en} Said: "{quoted}".', f"{ru} Сказано: «{quoted}»."
            codes.append(rule.quote)
        for topic in rule.compare:
            s_en, s_ru = standard_texts[topic]
            en, ru = f"{en} The standard ({topic}): {s_en}.", f"{ru} По стандарту: {s_ru}."
        severity = Severity.critical if critical else rule.severity
        finding = _finding(rule.finding, severity, codes, en, ru, rule.clause)
        found.append((rule, finding))
    return found


def _finding(
    code: FindingCode, severity: Severity, items: list[str], en: str, ru: str, clause: str
) -> Finding:
    return Finding(
        code=code, severity=severity, item_codes=items, message_en=en, message_ru=ru, clause=clause
    )


def _generic(item: ItemBase, value: JsonValue, code: FindingCode, severity: Severity) -> Finding:
    shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    shown_ru = {"yes": "да", "no": "нет"}.get(shown, shown)
    en, ru = f'"{item.text_en}": answered "{shown}".', f"«{item.text_ru}»: ответ «{shown_ru}»."
    clause = f"checklist: {item.code} (weight {item.weight:g})"
    return _finding(code, severity, [item.code], en, ru, clause)


def answer_findings(
    checklist: ResolvedChecklist,
    values: Mapping[str, JsonValue],
    items: Mapping[str, ItemResult],
    standard_texts: Mapping[StandardTopic, tuple[str, str]],
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
                item.code, values[item.code], values, standard_texts, critical=item.critical
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
        en, ru = "Required items left unanswered", "Не заполнены обязательные пункты"
        listed, clause = ", ".join(missing), "checklist: required items"
        found.append(
            _finding(
                "required-item-unanswered",
                Severity.minor,
                missing,
                f"{en}: {listed}.",
                f"{ru}: {listed}.",
                clause,
            )
        )
    return found
