"""API models of scores and grading policies.

A stored score is a snapshot: the JSON ``ScoreResult`` made when the visit was scored, by the
rules and policy of that day. It is read back through these models, never through the closed
``results`` models the scorer writes with: codes, fields and severities change as the rules
do, and a score stored years ago must still open. So on read:

* ``upgrade_snapshot`` brings each older ``snapshot_version`` to the current shape (a field
  renamed or added since is filled from what the old one has);
* finding and note codes are plain strings: a code since renamed is shown under its new name
  (``RENAMED_FINDING_CODES``), an unknown one as it was stored;
* fields no longer written are ignored, fields missing get neutral defaults.
"""

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from service.scoring.results import SNAPSHOT_VERSION

# Old code -> new code, for codes renamed after scores were stored under the old name.
RENAMED_FINDING_CODES: dict[str, str] = {}


class _Snapshot(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SourcePublic(_Snapshot):
    """What a finding rests on: the document, its clause and the 2018 report's line."""

    document: str = Field(
        default="",
        description="A standard's service code (S33), `programme` for the monitoring "
        "programme's norms, `checklist` for the monitoring's checklist; empty in scores "
        "stored before sources were recorded",
    )
    clause: str = Field(default="", description="The clause, in English")
    line: int | None = Field(default=None, description="The report line, when known")
    clause_key: str = Field(
        default="",
        description="The message catalogue's key of the clause; empty in scores stored before "
        "clauses had languages",
    )
    clause_params: dict[str, Any] = Field(
        default={}, description="The clause's parameters, as the message catalogue names them"
    )
    clause_en: str = Field(default="", description="The clause in English (as `clause`)")
    clause_ru: str = Field(default="", description="The clause in Russian")
    clause_kk: str = Field(
        default="", description="The clause in Kazakh; a standard's own words quoted in Russian"
    )


class FindingPublic(_Snapshot):
    code: str
    severity: str
    item_codes: list[str] = []
    photo_ids: list[str] = []
    message_key: str = Field(default="", description="The message catalogue's key")
    params: dict[str, Any] = {}
    message_en: str = ""
    message_ru: str = ""
    message_kk: str = Field(default="", description="Empty in scores stored before Kazakh")
    clause: str = ""
    source: SourcePublic = SourcePublic()


class NotePublic(_Snapshot):
    code: str
    message_key: str = ""
    params: dict[str, Any] = {}
    message_en: str = ""
    message_ru: str = ""
    message_kk: str = ""


class ItemResultPublic(_Snapshot):
    code: str
    section: str = ""
    status: str
    earned: float = 0
    applicable: float = 0


class SectionResultPublic(_Snapshot):
    code: str
    weight: float = 1
    earned: float = 0
    applicable: float = 0
    score: float | None = None


class DeadlinePublic(_Snapshot):
    status: str
    due_date: dt.date | None = None
    submitted_on: dt.date | None = None
    result_on: dt.date | None = None
    result_basis: str | None = None
    received_on: dt.date | None = None
    earliest_date: dt.date | None = None
    late_by_working_days: int | None = None
    late_by_minutes: float | None = None
    measured_minutes: float | None = None
    explanation_key: str = ""
    explanation_params: dict[str, Any] = {}
    explanation_en: str = ""
    explanation_ru: str = ""
    explanation_kk: str = ""
    range_upper_bound_used: bool = False


class QueuePublic(_Snapshot):
    wait_minutes: float | None = None
    actual_wait_minutes: float | None = None
    service_minutes: float | None = None
    call_connect_seconds: float | None = None
    max_wait_minutes: int | None = None
    max_service_minutes: int | None = None


class DocumentsPublic(_Snapshot):
    judged: bool = False
    standard: list[str] = []
    demanded: list[str] = []
    extras: list[str] = []


class CompliancePublic(_Snapshot):
    """The compliance score and grade; ``policy_version`` None: graded before policies."""

    score: float | None = None
    grade: int | None = None
    band_grade: int | None = None
    capped_by: list[str] = []
    policy_version: str | None = None


class VisitScorePublic(_Snapshot):
    """A visit's stored score: compliance and satisfaction side by side, and why."""

    snapshot_version: int = SNAPSHOT_VERSION
    rules_version: str
    policy_version: str | None = None
    service_code: str
    channel: str
    score: float | None = None
    grade: int | None = None
    critical_failed: bool = False
    compliance: CompliancePublic
    satisfaction: int | None = Field(
        default=None, description="The shopper's own 1-5 rating; None when not given."
    )
    sections: list[SectionResultPublic] = []
    items: list[ItemResultPublic] = []
    findings: list[FindingPublic] = []
    notes: list[NotePublic] = []
    deadline: DeadlinePublic | None = None
    queue: QueuePublic = QueuePublic()
    documents: DocumentsPublic | None = None
    computed_at: dt.datetime


def _renamed(finding: Any) -> Any:
    code = finding.get("code") if isinstance(finding, dict) else None
    if not isinstance(code, str) or code not in RENAMED_FINDING_CODES:
        return finding
    return {**finding, "code": RENAMED_FINDING_CODES[code]}


def _with_source(finding: Any) -> Any:
    # Version 2 had the clause only: it becomes the source's clause, with no document or line.
    if not isinstance(finding, dict) or "source" in finding:
        return finding
    clause = finding.get("clause")
    return {**finding, "source": {"clause": clause if isinstance(clause, str) else ""}}


def upgrade_snapshot(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored result in the current snapshot shape (a copy; the stored one is untouched).

    Version 1 (rules 2026.1, no ``snapshot_version``) had no policy: its grade came from
    bands alone, so its compliance is that score and grade with no policy version, and its
    satisfaction was not kept apart (the rating was a weighted item).

    Version 2 (rules 2026.2) had messages in English and Russian and a finding's ``clause``
    only: Kazakh texts and message keys stay empty, and the clause becomes ``source.clause``.
    """
    snapshot = dict(stored)
    version = snapshot.get("snapshot_version", 1)
    if not isinstance(version, int) or version < 2:
        snapshot["compliance"] = {
            "score": snapshot.get("score"),
            "grade": snapshot.get("grade"),
            "band_grade": snapshot.get("grade"),
            "policy_version": None,
        }
        snapshot.setdefault("satisfaction", None)
        snapshot["snapshot_version"] = 2
    if snapshot.get("snapshot_version") == 2:
        findings = snapshot.get("findings")
        if isinstance(findings, list):
            snapshot["findings"] = [_with_source(f) for f in findings]
        snapshot["snapshot_version"] = 3
    findings = snapshot.get("findings")
    if isinstance(findings, list):
        snapshot["findings"] = [_renamed(f) for f in findings]
    return snapshot


class GradingPolicyPublic(_Snapshot):
    """A published grading policy: the document as published, and when and by whom."""

    version: str
    published_at: dt.datetime | None = Field(
        default=None, description="None for the policy shipped with the service."
    )
    published_by: str | None = None
    current: bool
    body: dict[str, Any]
