"""What scoring a visit returns, and what it takes besides the checklist and the standard.

Pure Pydantic: no web, database or storage imports. ``FindingCode`` and ``NoteCode`` are
closed sets so reports can count findings by code; bump ``RULES_VERSION`` whenever a rule
changes what a visit scores, so stored results say which rules produced them. A stored result
is read back through ``scoring.schemas`` (tolerant, versioned by ``SNAPSHOT_VERSION``), never
revalidated against these closed models. Every sentence comes from the message catalogue
(``messages.py``, ``checklists/messages.yaml``): a finding keeps its key and parameters beside
the text rendered in each language.
"""

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from service.checklists.format import ChecklistChannel
from service.scoring.deadlines import DeadlineVerdict
from service.scoring.messages import Params, render_all
from service.scoring.sources import Source

RULES_VERSION = "2026.5"
# The shape of a stored result: bump it when a field is renamed or removed, and teach
# ``scoring.schemas.upgrade_snapshot`` to read the previous shape.
SNAPSHOT_VERSION = 3

# Closed sets, so reports can count by code; grouped by what the finding is about.
# fmt: off
FindingCode = Literal[
    "deadline-late", "deadline-overdue", "deadline-promised-beyond-standard",
    "documents-beyond-standard", "refusal-for-non-standard-document", "application-refused",
    "queue-wait-over-norm", "queue-actual-wait-over-norm", "service-time-over-norm",
    "queue-display-voice-mismatch", "queue-order-not-followed", "queue-jumping",
    "queue-timer-reset", "live-queue-without-tickets",
    "informal-payment", "pressure-to-falsify", "acquaintance-offer", "unofficial-charge",
    "fee-above-standard",
    "rudeness", "badge-missing", "badge-unreadable", "routed-elsewhere",
    "stand-missing", "stand-without-service-info", "stand-unreachable",
    "result-withheld", "result-has-errors",
    "call-not-answered", "call-not-connected-quickly", "call-transferred", "call-dropped",
    "call-redirected", "call-answer-contradicts-standard", "call-answer-missing",
    "portal-info-contradicts-standard", "portal-technical-failure",
    "critical-item-failed", "required-item-unanswered", "non-compliant-item",
    "queue-recorded-wait-understated", "call-hold-over-norm",
    "stand-contradicts-standard", "complaint-not-accepted",
]
NoteCode = Literal[
    "deadline-unknown", "deadline-case-ambiguous", "documents-not-judged", "office-not-a-channel",
    "interval-negative", "interval-implausible", "answer-invalid",
]
# fmt: on


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Severity(StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"


SEVERITY_RANK = {Severity.critical: 0, Severity.major: 1, Severity.minor: 2}


class Finding(_Frozen):
    """One breach, with the items and photos that show it and the source it rests on.

    ``message_key`` and ``params`` name its sentence in the catalogue; ``message_en``,
    ``message_ru`` and ``message_kk`` are that sentence rendered. ``clause`` repeats
    ``source.clause`` for readers of older snapshots.
    """

    code: FindingCode
    severity: Severity
    item_codes: list[str]
    photo_ids: list[str] = []
    message_key: str
    params: Params = {}
    message_en: str
    message_ru: str
    message_kk: str
    clause: str
    source: Source

    @classmethod
    def of(
        cls,
        code: FindingCode,
        severity: Severity,
        items: list[str],
        key: str,
        params: Params,
        source: Source,
    ) -> "Finding":
        """A finding whose message is the catalogue's ``key`` with ``params``."""
        said = _message_fields(key, params)
        return cls(
            code=code,
            severity=severity,
            item_codes=items,
            clause=source.clause,
            source=source,
            **said,
        )


class Note(_Frozen):
    """Something the scorer could not judge and says so, rather than guessing."""

    code: NoteCode
    message_key: str
    params: Params = {}
    message_en: str
    message_ru: str
    message_kk: str

    @classmethod
    def of(cls, code: NoteCode, params: Params, key: str | None = None) -> "Note":
        """A note whose message is the catalogue's ``key`` (default: its code)."""
        return cls(code=code, **_message_fields(key or code, params))


def _message_fields(key: str, params: Params) -> dict[str, Any]:
    """A finding's or note's message: its key and parameters, and its texts rendered."""
    texts = render_all(key, params)
    return {"message_key": key, "params": params} | {f"message_{k}": v for k, v in texts.items()}


class AnswerValue(_Frozen):
    """One answer as stored: the normalised JSON value (``answers.values``) or N/A."""

    value: JsonValue = None
    na: bool = False

    @model_validator(mode="after")
    def _na_has_no_value(self) -> "AnswerValue":
        if self.na and self.value is not None:
            raise ValueError("an N/A answer carries no value")
        return self


class Norm(StrEnum):
    """A norm of the standard (or of the monitoring) that a checklist measures."""

    queue_wait = "queue_wait"
    service_time = "service_time"
    call_connect = "call_connect"
    deadline = "deadline"
    fee = "fee"


# Templates leave timestamps and dates unweighted: they are measurements, and the weight of
# what they measure is a scoring decision, so it lives here (an item's own weight wins if larger).
DEFAULT_NORM_WEIGHTS = {
    Norm.queue_wait: 2.0,
    Norm.service_time: 1.0,
    Norm.call_connect: 1.0,
    Norm.deadline: 3.0,
    Norm.fee: 3.0,
}


class ScoringConfig(_Frozen):
    """Choices a coordinator may change without touching the rules."""

    norm_weights: dict[Norm, float] = Field(default_factory=lambda: dict(DEFAULT_NORM_WEIGHTS))
    # Longer intervals are typing slips (a wrong hour or day), not waits worth a finding.
    max_plausible_minutes: int = Field(default=720, gt=0)
    generic_findings: bool = True

    @model_validator(mode="after")
    def _weights_positive(self) -> "ScoringConfig":
        if any(w < 0 for w in self.norm_weights.values()):
            raise ValueError("norm_weights must be >= 0")
        return self


class ItemStatus(StrEnum):
    compliant = "compliant"
    partial = "partial"
    non_compliant = "non_compliant"
    na = "na"
    hidden = "hidden"
    unanswered = "unanswered"
    informational = "informational"

    @classmethod
    def of(cls, fraction: float) -> "ItemStatus":
        """Compliant at 1, non-compliant at 0, partial in between."""
        if fraction >= 1:
            return cls.compliant
        return cls.non_compliant if fraction <= 0 else cls.partial


class ItemResult(_Frozen):
    code: str
    section: str
    status: ItemStatus
    earned: float
    applicable: float


class SectionResult(_Frozen):
    """``score`` is earned / applicable in percent, None when nothing in it applied."""

    code: str
    weight: float
    earned: float
    applicable: float
    score: float | None

    @classmethod
    def of(cls, code: str, weight: float, items: Sequence[ItemResult]) -> "SectionResult":
        """Roll a section's item results up; the score is None when nothing applied."""
        earned = sum(r.earned for r in items)
        applicable = sum(r.applicable for r in items)
        score = round(100 * earned / applicable, 1) if applicable > 0 else None
        return cls(
            code=code, weight=weight, earned=round(earned, 6), applicable=applicable, score=score
        )


def visit_score(sections: Sequence[SectionResult]) -> float | None:
    """Mean of the section fractions weighted by section weight, in percent, 1 decimal.

    Only sections with something applicable count; None when none (or only weight 0) does.
    Fractions, not the rounded section percentages, so rounding happens once.
    """
    counted = [(s.weight, s.earned / s.applicable) for s in sections if s.applicable > 0]
    total = sum(w for w, _ in counted)
    if total <= 0:
        return None
    return round(100 * sum(w * f for w, f in counted) / total, 1)


class QueueFacts(_Frozen):
    """Measured minutes for reports; None where the checklist could not measure them."""

    wait_minutes: float | None = None
    actual_wait_minutes: float | None = None
    service_minutes: float | None = None
    call_connect_seconds: float | None = None
    max_wait_minutes: int
    max_service_minutes: int


class DocumentsFacts(_Frozen):
    """What was demanded; ``judged`` is False when the standard gives no list to compare."""

    judged: bool
    standard: list[str] = []
    demanded: list[str] = []
    extras: list[str] = []


class Compliance(_Frozen):
    """The compliance measure: the score and the grade the grading policy gives it.

    ``band_grade`` is the score's band alone; ``capped_by`` names what lowered the grade below
    it (``critical-finding``, ``major-finding``, ``deadline``, ``critical-item``).
    """

    score: float | None
    grade: int | None
    band_grade: int | None
    capped_by: list[str] = []
    policy_version: str


class ScoreResult(_Frozen):
    """A visit judged against its checklist and the standard in force.

    Two measures side by side: ``compliance`` (``score`` and ``grade`` repeat it) and
    ``satisfaction``, the shopper's own 1-5 rating, None when not given.
    """

    snapshot_version: int = SNAPSHOT_VERSION
    rules_version: str = RULES_VERSION
    policy_version: str
    service_code: str
    channel: ChecklistChannel
    score: float | None
    grade: int | None
    critical_failed: bool
    compliance: Compliance
    satisfaction: int | None
    sections: list[SectionResult]
    items: list[ItemResult]
    findings: list[Finding]
    notes: list[Note]
    deadline: DeadlineVerdict | None
    queue: QueueFacts
    documents: DocumentsFacts | None
