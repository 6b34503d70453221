"""Issue 16, items 4, 5 and 7: the standards' own norms, fees, and the method's gaps.

One row per problem fixed, each quoting the report line (report-2018.txt) it comes from.
"""

from typing import Any

import pytest

from service.checklists.format import ChecklistChannel
from service.scoring.results import ItemStatus, Severity
from tests.scoring.test_rules import CALL, IP, Visit, at, codes, status

# (id, the report's words, service, channel, changed answers, expected finding codes)
ROWS: list[tuple[str, str, str, ChecklistChannel, dict[str, Any], list[str]]] = [
    ("s27-own-service-time", "L2559 «Сроки оказания государственной услуги – 30 минут»",
     "S27", IP, {"service_ended_at": at("10:31")}, []),
    ("s27-late-once", "L2559 «30 минут»: 40 minutes is one breach, not two",
     "S27", IP, {"service_ended_at": at("10:46")}, ["deadline-late"]),
    ("s48-45-min-consultation", "L3900 «не более 60 минут»",
     "S48", IP, {"service_ended_at": at("10:51")}, []),
    ("s54-own-service-time", "L4303 «Сроки оказания государственной услуги – 30 минут»",
     "S54", IP, {"service_ended_at": at("10:31")}, []),
    ("programme-wait-norm", "no standard states a wait norm: the programme's 15 minutes",
     "S26", IP, {"number_called_at": at("10:40"), "service_started_at": at("10:41"),
                 "service_ended_at": at("10:50")}, ["queue-wait-over-norm"]),
    ("programme-service-norm", "no standard but S27/S48/S54 states a service time",
     "S26", IP, {"service_ended_at": at("10:36")}, ["service-time-over-norm"]),
    ("ticket-wait-counts", "L3749 «48 минут я сидела и ждала пока база заработает»",
     "S45", IP, {"ticket_sought_at": at("09:12"), "ticket_taken_at": at("10:00")},
     ["queue-actual-wait-over-norm"]),
    ("recorded-vs-real-wait", "L2625 «покажет … не больше 20 минут, а на самом деле более 35»",
     "S26", IP, {"ticket_sought_at": at("09:30"), "queue_recorded_wait": 1200},
     ["queue-actual-wait-over-norm", "queue-recorded-wait-understated"]),
    ("recorded-wait-true", "L2625: a record within the tolerance is no finding",
     "S26", IP, {"queue_recorded_wait": 300}, []),
    ("transfer-hold", "L2608 «ожидал соединения в течении 8 минут, после чего звонок был сорван»",
     "S27", CALL, {"call_transferred": "yes", "transfer_count": 1, "hold_duration": 480},
     ["call-hold-over-norm", "call-transferred"]),
    ("free-service-paid", "issue 16: 5,000 tenge for free S26 scored 100",
     "S26", IP, {"fee_paid": "yes", "fee_amount": 5000}, ["fee-above-standard"]),
    ("s23-tariff-kept", "L2331 «за выдачу лицензии 10 МРП»: 10 × 4,325 in 2026",
     "S23", IP, {"fee_paid": "yes", "fee_amount": 43250}, []),
    ("s23-above-tariff", "L2331 «10 МРП, за дубликат лицензии 1 МРП»",
     "S23", IP, {"fee_paid": "yes", "fee_amount": 50000}, ["fee-above-standard"]),
    ("s59-plate-kept", "L4691 «номерного знака на машину – 1 МРП»",
     "S59", IP, {"fee_paid": "yes", "fee_amount": 4325}, []),
    ("s59-above-tariff", "L4691 «0,5 МРП … 0,25 МРП … 1 МРП»",
     "S59", IP, {"fee_paid": "yes", "fee_amount": 5000}, ["fee-above-standard"]),
    ("paid-without-amounts", "S16 «на платной основе»: no amount named, nothing to judge",
     "S16", IP, {"fee_paid": "yes", "fee_amount": 5000}, []),
    ("stand-vs-standard", "L2607 «Информация … на стендах … в ЦОНе – нет»",
     "S27", IP, {"stand_matches_standard": "differs"}, ["stand-contradicts-standard"]),
    ("1414-where-to-apply", "L2608 «поссоветов обратиться за более полной информацией в ЦОН»",
     "S27", CALL, {"answer_channels_match": "mismatch"}, ["call-answer-contradicts-standard"]),
    ("complaint", "L362 «Количество жалоб составило 3,1%, из них 0,6% - в письменной форме»",
     "S26", IP, {"complaint_filed": "written", "complaint_accepted": "no"},
     ["complaint-not-accepted"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("quote", "code", "channel", "answers", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in ROWS],
)
def test_report_case(
    quote: str, code: str, channel: ChecklistChannel, answers: dict[str, Any], expected: list[str]
) -> None:
    assert codes(Visit(code, channel).set(**answers).score()) == expected, quote


def test_programme_norm_is_named_as_the_programmes() -> None:
    result = Visit("S26").set(service_ended_at=at("10:36")).score()
    (finding,) = result.findings
    assert finding.message_ru == (
        "Обслуживание заняло 30 мин (норма программы мониторинга: 15 минут; 10:06–10:36)."
    )
    assert "standard" not in finding.message_en.replace("standards", "")
    assert (finding.source.document, finding.source.clause_ru) == (
        "programme",
        "время обслуживания: 15 минут, норма программы мониторинга (стандарт не устанавливает)",
    )
    assert result.queue.max_service_minutes == 15


def test_s48_norm_is_the_standards_own_sixty_minutes() -> None:
    # L3900: the service-time norm shown and judged is the standard's, never 15 minutes.
    result = Visit("S48").set(service_ended_at=at("11:16")).score()
    assert result.queue.max_service_minutes == 60
    assert codes(result) == ["deadline-late"]
    assert "service_ended_at" not in [
        i.code for i in result.items if i.status is ItemStatus.non_compliant and i.earned
    ]


def test_ticket_wait_message_says_when_the_ticket_was_sought() -> None:
    result = Visit("S45").set(ticket_sought_at=at("09:12"), ticket_taken_at=at("10:00")).score()
    (finding,) = result.findings
    assert "подошли за талоном 09:12" in finding.message_ru
    assert result.queue.actual_wait_minutes == 54


def test_recorded_wait_names_the_hidden_minutes() -> None:
    result = Visit("S26").set(ticket_sought_at=at("09:30"), queue_recorded_wait=1200).score()
    finding = next(f for f in result.findings if f.code == "queue-recorded-wait-understated")
    assert finding.message_ru == (
        "Система очереди учла ожидание 20 мин, фактически 36 мин "
        "(скрыто 16 мин; допуск программы мониторинга 5 мин)."
    )


def test_fee_for_a_free_service_is_critical_and_costs_the_score() -> None:
    result = Visit("S26").set(fee_paid="yes", fee_amount=5000).score()
    (finding,) = result.findings
    assert finding.severity is Severity.critical
    assert finding.message_ru.startswith(
        "Потребовали или заплатили 5\xa0000 тг; по стандарту не более 0 тг на 2 февраля 2026"
    )
    assert "услуга бесплатна" in finding.message_ru
    assert finding.message_kk.startswith("5\xa0000 теңге талап етілді немесе төленді")
    assert "қызмет тегін" in finding.message_kk
    assert status(result, "fee_amount") is ItemStatus.non_compliant
    assert result.score is not None
    assert result.score < 100


def test_mrp_tariff_is_priced_at_the_visit_years_value() -> None:
    result = Visit("S59").set(fee_paid="yes", fee_amount=5000).score()
    (finding,) = result.findings
    # 2 February 2026: МРП 4,325 (budget law of 8 December 2025).
    assert "1 МРП × 4325 = 4325 тг" in finding.message_ru
    assert "0.25 МРП × 4325 = 1081.25 тг" in finding.message_ru
    assert "0.25 АЕК × 4325 = 1081.25 теңге" in finding.message_kk
    source = finding.source
    assert (source.document, source.line, source.clause_key) == ("S59", 4691, "source.cost")
    # The standard's own words stay Russian in every language of the clause.
    assert source.clause_kk.startswith("құны: Государственная услуга оказывается платно")


def test_payment_for_a_free_service_without_an_amount_is_still_a_finding() -> None:
    result = Visit("S26").set(fee_paid="yes").drop("fee_amount").score()
    assert [
        (f.code, f.severity) for f in result.findings if f.code != "required-item-unanswered"
    ] == [("fee-above-standard", Severity.critical)]


def test_quality_parameters_are_satisfaction_not_compliance() -> None:
    # L11375-L11393: the nine parameters on the report's 1-5 scale, recorded beside the score.
    perfect = Visit("S26").score()
    low = Visit("S26").set(quality_competence=1, quality_payment=2).score()
    assert low.score == perfect.score == 100
    assert status(low, "quality_competence") is ItemStatus.informational
