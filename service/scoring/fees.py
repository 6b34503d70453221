"""The fee asked or paid against the standard's cost (pure: no web, DB or S3 imports).

The standard's cost is data (``standards.catalogue.Cost``): free, or tariffs in tenge or in
МРП, whose value in tenge is the day's (``checklists/mrp.yaml``). A charge above what the
standard allows is a critical finding, and the ``fee_amount`` item scores 0, so a visit that
paid 5,000 tenge for a free service cannot score 100.
"""

import datetime as dt
import math
from collections.abc import Mapping

from pydantic import JsonValue

from service.isotime import local_date
from service.scoring.judged import Judged
from service.scoring.messages import Params, localized, message
from service.scoring.results import Finding, Norm, Severity
from service.scoring.sources import Source
from service.standards.catalogue import Cost
from service.standards.programme import MrpTable, allowed_fee

FEE_PAID, FEE_AMOUNT = "fee_paid", "fee_amount"
# The answers that date a visit, the most precise first: the fee is owed at the day's МРП.
_DATED = ("service_started_at", "ticket_taken_at", "arrived_at", "application_submitted_on")


def visit_day(values: Mapping[str, JsonValue], today: dt.date) -> dt.date:
    """The day of the visit in Kazakhstan, from its answers; ``today`` when none dates it."""
    for code in _DATED:
        value = values.get(code)
        if not isinstance(value, str):
            continue
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            continue
        if moment.tzinfo is None:
            return moment.date()
        return local_date(moment)
    return today


def judge_fee(
    j: Judged,
    values: Mapping[str, JsonValue],
    cost: Cost,
    service: str,
    *,
    day: dt.date,
    mrp: MrpTable,
) -> None:
    """Judge the amount asked or paid (``fee_amount``) against the standard's cost on ``day``.

    Not judged (no fraction) when the standard names no amount (paid without tariffs,
    conditional, unknown) or the МРП of ``day`` is not in the table. A payment for a free
    service is a finding even when the amount was not written down. ``service`` is the
    standard's service code, the document the finding rests on.
    """
    amount = values.get(FEE_AMOUNT)
    paid = values.get(FEE_PAID) == "yes" or (isinstance(amount, int | float) and amount > 0)
    if not paid and amount is None:
        return
    allowed = allowed_fee(cost, day, mrp)
    if allowed is None:
        return
    # The standard's own words, in Russian (the catalogue has them in no other language), or
    # else what its payment says (a cost is judged only when free or paid with tariffs).
    text = cost.text_ru or message(f"source.cost.{cost.payment}")
    source = Source.of(service, "cost", {"text": text}, line=cost.line)
    said = localized(allowed.explanation_ru, allowed.explanation_en, allowed.explanation_kk)
    if not isinstance(amount, int | float):
        if allowed.tenge == 0 and paid:
            _critical(j, [FEE_PAID], "fee-above-standard.free", {"allowed": said}, source)
        return
    # Tariffs in МРП give fractions of a tenge; a charge rounded up to the tenge is not a breach.
    over = amount > math.ceil(allowed.tenge)
    j.fractions[Norm.fee] = 0.0 if over else 1.0
    if over:
        params: Params = {
            "amount": amount,
            "allowed_tenge": allowed.tenge,
            "day": day.isoformat(),
            "allowed": said,
        }
        codes = [c for c in (FEE_PAID, FEE_AMOUNT) if c in values]
        _critical(j, codes, "fee-above-standard", params, source)


def _critical(j: Judged, items: list[str], key: str, params: Params, source: Source) -> None:
    # Payment beyond the standard is critical by default (issue 16's grading policy); the
    # grading policy may still cap it differently, by code.
    finding = Finding.of("fee-above-standard", Severity.critical, items, key, params, source)
    j.findings.append(finding)
