"""What judging a visit gathers as it goes, and the photos each finding shows as evidence.

``Judged`` is the working record the norm, fee, wait and topic judges write into
(``norms.judge_norms`` starts it); ``attach_photos`` gives each finding of the finished
record its evidence. Pure: no web, database or storage imports.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from service.scoring.deadlines import DeadlineVerdict
from service.scoring.messages import Params
from service.scoring.results import (
    SEVERITY_RANK,
    DocumentsFacts,
    Finding,
    FindingCode,
    Norm,
    Note,
    NoteCode,
    QueueFacts,
    Severity,
)
from service.scoring.sources import Source


@dataclass
class Judged:
    """What ``norms.judge_norms`` found: facts, findings, notes and each norm's fraction."""

    queue: QueueFacts
    fractions: dict[Norm, float | None] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    deadline: DeadlineVerdict | None = None
    documents: DocumentsFacts | None = None
    documents_fraction: float | None = None

    def add(
        self,
        code: FindingCode,
        items: list[str],
        key: str,
        params: Params,
        source: Source,
        *,
        minor: bool = False,
    ) -> None:
        """Record a finding; a breach of the standard's norms is major unless ``minor``."""
        severity = Severity.minor if minor else Severity.major
        self.findings.append(Finding.of(code, severity, items, key, params, source))

    def note(self, code: NoteCode, params: Params, key: str | None = None) -> None:
        """Record what could not be judged, and why."""
        self.notes.append(Note.of(code, params, key))


# Items whose photos are evidence for a finding although the finding does not name them.
EXTRA_EVIDENCE: dict[FindingCode, tuple[str, ...]] = {
    "queue-wait-over-norm": ("ticket_photo",),
    "queue-actual-wait-over-norm": ("ticket_photo",),
    "deadline-late": ("receipt_given",),
    "deadline-overdue": ("receipt_given",),
    "deadline-promised-beyond-standard": ("receipt_given",),
    "portal-technical-failure": ("failure_screenshots",),
}


def attach_photos(findings: Sequence[Finding], photos: Mapping[str, list[str]]) -> list[Finding]:
    """Each finding with the photos of its items (and ``EXTRA_EVIDENCE``) as evidence."""
    out = []
    for finding in findings:
        codes = [*finding.item_codes, *EXTRA_EVIDENCE.get(finding.code, ())]
        ids = list(dict.fromkeys(pid for code in codes for pid in photos.get(code, [])))
        out.append(finding.model_copy(update={"photo_ids": ids}))
    # Critical first, then major, then minor; the order of discovery within a severity.
    return sorted(out, key=lambda f: SEVERITY_RANK[f.severity])
