"""The grading policy: finding severities, grade bands and the caps findings put on a grade.

Pure: plain values in, values out; no web, database or storage imports. The default policy
is ``checklists/grading.yaml``; a programme publishes others (``scoring.service``), and each
score records the version that graded it. Every rule carries the report lines it rests on.

The one rule between the policy and the scorer's own severities: a finding code the policy
lists takes the policy's severity; a code it does not list keeps the severity its rule in
``findings.py`` / ``norms.py`` gives; a finding on an item the checklist marks critical is
always critical (the checklist's own decision, which no policy lowers).
"""

import functools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from service import yaml_load
from service.scoring.deadlines import DeadlineStatus
from service.scoring.results import (
    SEVERITY_RANK,
    Compliance,
    Finding,
    FindingCode,
    Severity,
)

POLICY_FILE = Path(__file__).resolve().parents[2] / "checklists" / "grading.yaml"
FINDING_CODES: frozenset[str] = frozenset(get_args(FindingCode))
Source = Field(min_length=1, max_length=2000)


class _Rule(BaseModel):
    # Scalars are strict (see Floor, Cap, ...): a policy arrives as JSON from an admin, and
    # "yes" read as true or "3" as 3 would publish a version nobody wrote.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Floor(_Rule):
    min_score: float = Field(ge=0, le=100, strict=True)
    grade: int = Field(ge=1, le=5, strict=True)


class Bands(_Rule):
    floors: list[Floor] = Field(min_length=1)
    source: str = Source

    @model_validator(mode="after")
    def _descend(self) -> "Bands":
        pairs = [(f.min_score, f.grade) for f in self.floors]
        if any(a[0] <= b[0] or a[1] <= b[1] for a, b in zip(pairs, pairs[1:], strict=False)):
            raise ValueError("band floors and grades must both strictly descend")
        return self


class Cap(_Rule):
    max_grade: int = Field(ge=1, le=5, strict=True)
    source: str = Source


class Five(_Rule):
    deadline_statuses: frozenset[DeadlineStatus]
    source: str = Source

    @field_validator("deadline_statuses", mode="before")
    @classmethod
    def _no_repeats(cls, value: Any) -> Any:
        # The schema promises unique items: a repeated status is a typo, not a set to merge.
        if isinstance(value, list) and len(value) != len(set(map(str, value))):
            raise ValueError("each deadline status may be listed once")
        return value


class CriticalItem(_Rule):
    grade: int = Field(ge=1, le=5, strict=True)
    source: str = Source


class Satisfaction(_Rule):
    item: str = Field(min_length=1, max_length=64)
    in_compliance: bool = Field(strict=True)
    source: str = Source


class SeverityRule(_Rule):
    severity: Severity
    source: str = Source


class GradingPolicy(_Rule):
    """One published version of the policy; see ``checklists/grading.yaml`` for each field."""

    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
    title: str = Field(min_length=1, max_length=200)
    source: str = Source
    bands: Bands
    caps: dict[Severity, Cap]
    five: Five
    critical_item: CriticalItem
    satisfaction: Satisfaction
    severities: dict[str, SeverityRule]

    @model_validator(mode="after")
    def _known_codes(self) -> "GradingPolicy":
        # A misspelt code would silently leave a finding at its rule's severity.
        unknown = sorted(set(self.severities) - FINDING_CODES)
        if unknown:
            raise ValueError(f"unknown finding codes: {', '.join(unknown)}")
        if Severity.minor in self.caps:
            raise ValueError("minor findings do not cap the grade; only critical and major do")
        return self

    def severity(self, finding: Finding, critical_items: frozenset[str]) -> Severity:
        """The severity ``finding`` has under this policy (see the module's rule)."""
        if critical_items.intersection(finding.item_codes):
            return Severity.critical
        rule = self.severities.get(finding.code)
        return finding.severity if rule is None else rule.severity

    def apply(self, findings: Iterable[Finding], critical_items: frozenset[str]) -> list[Finding]:
        """``findings`` with this policy's severities, critical first (stable within one)."""
        out = [
            f.model_copy(update={"severity": self.severity(f, critical_items)}) for f in findings
        ]
        return sorted(out, key=lambda f: SEVERITY_RANK[f.severity])

    def band(self, score: float) -> int:
        """The 1..5 grade of a 0..100 score: the first band whose floor it reaches."""
        return next((f.grade for f in self.bands.floors if score >= f.min_score), 1)

    def grade(
        self,
        score: float | None,
        findings: Sequence[Finding],
        *,
        deadline: DeadlineStatus | None,
        critical_failed: bool,
    ) -> Compliance:
        """The compliance grade: the score's band, lowered by every cap that applies.

        Args:
            score: the compliance score, None when nothing applied (then no grade, unless a
                critical item failed).
            findings: the visit's findings, with this policy's severities.
            deadline: the deadline verdict's status, None when there was none to judge.
            critical_failed: a critical item was answered non-compliant.
        """
        band = None if score is None else self.band(score)
        caps: dict[str, int] = {}
        for severity, cap in self.caps.items():
            if any(f.severity is severity for f in findings):
                caps[f"{severity.value}-finding"] = cap.max_grade
        if deadline is not None and deadline not in self.five.deadline_statuses:
            caps["deadline"] = 4
        if critical_failed:
            caps["critical-item"] = self.critical_item.grade
        grade = band
        if caps and (band is not None or critical_failed):
            grade = min([*caps.values(), *([band] if band is not None else [])])
        capped_by = sorted(k for k, v in caps.items() if band is None or v < band)
        return Compliance(
            score=score,
            grade=grade,
            band_grade=band,
            capped_by=capped_by if grade != band else [],
            policy_version=self.version,
        )


class PolicyError(ValueError):
    """A policy document that cannot be used; the message lists every problem."""


def parse_policy(data: Any) -> GradingPolicy:
    """Validate a policy document (parsed YAML or JSON) into a ``GradingPolicy``."""
    try:
        return GradingPolicy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'policy'}: {e['msg']}" for e in exc.errors()
        )
        raise PolicyError(problems) from exc


def read_policy(text: str) -> GradingPolicy:
    """Parse a policy file's YAML text (JSON is YAML too)."""
    try:
        data = yaml_load.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"not YAML: {exc}") from exc
    return parse_policy(data)


def stored_policy(body: Mapping[str, Any]) -> GradingPolicy:
    """A stored version read back: codes removed from the rules since it was published are
    dropped rather than refused, so an old version stays readable."""
    severities = body.get("severities")
    if isinstance(severities, Mapping):
        body = {**body, "severities": {k: v for k, v in severities.items() if k in FINDING_CODES}}
    return parse_policy(body)


@functools.cache
def default_policy() -> GradingPolicy:
    """The policy shipped in ``checklists/grading.yaml``, used until a programme publishes."""
    return read_policy(POLICY_FILE.read_text(encoding="utf-8"))
