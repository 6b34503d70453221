"""Score a visit against the standard in force and keep the result with its explanation."""

import datetime as dt
import time
import uuid
from collections import defaultdict
from typing import Any, ClassVar, Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service import db
from service.answers import service as answers_service
from service.calendar import service as calendar_service
from service.checklists.format import ResolvedChecklist
from service.checklists.pinned import checklist_for_visit
from service.error_codes import ErrorCode
from service.errors import Conflict, NotFound, ValidationFailed
from service.isotime import local_date
from service.observability import metrics
from service.offices import service as offices_service
from service.photos import reads as photo_reads
from service.scoring import repository
from service.scoring.deadlines import ResultDates
from service.scoring.models import GradingPolicyVersion, VisitCriterion, VisitFinding, VisitScore
from service.scoring.policy import GradingPolicy, PolicyError, default_policy, parse_policy
from service.scoring.policy import stored_policy as policy_of_row
from service.scoring.quotes import unquoted_messages, without_quotes
from service.scoring.results import AnswerValue, Finding, ScoreResult, Severity
from service.scoring.rules import score_visit
from service.scoring.schemas import GradingPolicyPublic, VisitScorePublic, upgrade_snapshot
from service.standards import service as standards_service


class ScoreNotFound(NotFound):
    code: ClassVar[ErrorCode] = "score-not-found"
    title = "Score not found"


class ScoreLocked(Conflict):
    code: ClassVar[ErrorCode] = "score-locked"
    title = "Score locked"


class PolicyNotFound(NotFound):
    code: ClassVar[ErrorCode] = "grading-policy-not-found"
    title = "Grading policy not found"


class PolicyExists(Conflict):
    code: ClassVar[ErrorCode] = "grading-policy-exists"
    title = "Grading policy version exists"


class PolicyInvalid(ValidationFailed):
    code: ClassVar[ErrorCode] = "grading-policy-invalid"
    title = "Grading policy invalid"


class ScoredVisit(Protocol):
    """What scoring reads of a visit: its pinned checklist and standard, its deadline case, and
    the result's dates recorded after the visit (``POST /visits/{id}/result``).

    The visit and its status belong to ``service.visits``, which decides when a visit is scored
    (submit, review, reopen, rescore) and calls in.
    """

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def checklist_id(self) -> int: ...

    @property
    def standard_id(self) -> int: ...

    @property
    def deadline_case_index(self) -> int | None: ...

    @property
    def office_id(self) -> int: ...

    @property
    def result_ready_date(self) -> dt.date | None: ...

    @property
    def result_received_date(self) -> dt.date | None: ...


def compute(session: Session, visit: ScoredVisit, *, now: dt.datetime) -> ScoreResult:
    """Judge the visit's current answers; stores nothing."""
    checklist = checklist_for_visit(session, visit)
    standard = standards_service.body_of(
        standards_service.get_standard_by_id(session, visit.standard_id)
    )
    answers = {
        code: AnswerValue(value=row.value, na=row.na)
        for code, row in answers_service.current_answers(session, visit).items()
    }
    return score_visit(
        checklist,
        standard,
        answers,
        calendar=calendar_service.working_calendar(session),
        today=local_date(now),
        photos=photo_reads.ids_by_item(session, visit.id),
        deadline_case_index=visit.deadline_case_index,
        policy=current_policy(session),
        result_dates=ResultDates(
            ready_on=visit.result_ready_date, received_on=visit.result_received_date
        ),
        office_channels=offices_service.application_channels(session, visit.office_id),
    )


def score_and_store(session: Session, visit: ScoredVisit, *, now: dt.datetime) -> VisitScore:
    """Score the visit and replace its stored result (findings and criteria rows too)."""
    started = time.perf_counter()
    result = compute(session, visit, now=now)
    metrics.SCORING_SECONDS.observe(time.perf_counter() - started)
    checklist = checklist_for_visit(session, visit)
    score, findings, criteria = stored_rows(visit.id, checklist, result, now=now)
    repository.replace(session, score, findings, criteria)
    return score


def stored_rows(
    visit_id: uuid.UUID, checklist: ResolvedChecklist, result: ScoreResult, *, now: dt.datetime
) -> tuple[VisitScore, list[VisitFinding], list[VisitCriterion]]:
    """The rows a result is stored as: the score, one row per finding, points per criterion."""
    counts = {s: sum(f.severity is s for f in result.findings) for s in Severity}
    deadline = result.deadline
    score = VisitScore(
        visit_id=visit_id,
        rules_version=result.rules_version,
        policy_version=result.policy_version,
        score=result.score,
        grade=result.grade,
        critical_failed=result.critical_failed,
        deadline_status=deadline.status.value if deadline else None,
        deadline_due_on=deadline.due_date if deadline else None,
        late_working_days=deadline.late_by_working_days if deadline else None,
        wait_minutes=result.queue.wait_minutes,
        service_minutes=result.queue.service_minutes,
        call_connect_seconds=result.queue.call_connect_seconds,
        findings_critical=counts[Severity.critical],
        findings_major=counts[Severity.major],
        findings_minor=counts[Severity.minor],
        result=result.model_dump(mode="json"),
        computed_at=now,
    )
    findings = [_finding_row(visit_id, f) for f in result.findings]
    # Points per criterion over the items that applied, for the criteria report.
    criterion_of = {item.code: item.criterion for item in checklist.items()}
    earned: dict[str, float] = defaultdict(float)
    applicable: dict[str, float] = defaultdict(float)
    for item in result.items:
        criterion = criterion_of.get(item.code)
        if criterion is not None and item.applicable > 0:
            earned[criterion.value] += item.earned
            applicable[criterion.value] += item.applicable
    criteria = [
        VisitCriterion(
            visit_id=visit_id, criterion=name, earned=earned[name], applicable=applicable[name]
        )
        for name in sorted(applicable)
    ]
    return score, findings, criteria


def _finding_row(visit_id: uuid.UUID, finding: Finding) -> VisitFinding:
    """The findings report's row of ``finding``: an aggregate, so without its quotes."""
    said = {"en": finding.message_en, "ru": finding.message_ru, "kk": finding.message_kk}
    texts = unquoted_messages(finding.params, said)
    codes = finding.item_codes
    return VisitFinding(
        visit_id=visit_id,
        code=finding.code,
        severity=finding.severity.value,
        item_code=codes[0] if len(codes) == 1 else None,
        message_en=texts["en"][:2000],
        message_ru=texts["ru"][:2000],
        message_kk=texts["kk"][:2000],
        clause=finding.clause[:500],
        source_document=finding.source.document[:16],
        source_line=finding.source.line,
        clause_ru=finding.source.clause_ru[:500],
        clause_kk=finding.source.clause_kk[:500],
    )


def get_public(session: Session, visit: ScoredVisit, *, free_text: bool = True) -> VisitScorePublic:
    """The visit's stored score; without ``free_text`` its findings quote nothing typed."""
    row = repository.get(session, visit.id)
    if row is None:
        raise ScoreNotFound(f"Visit {visit.id} has not been scored yet; it is scored on submit.")
    snapshot = upgrade_snapshot(row.result)
    if not free_text:
        snapshot = snapshot | {"findings": [without_quotes(f) for f in snapshot["findings"]]}
    return VisitScorePublic.model_validate(snapshot | {"computed_at": row.computed_at})


def current_policy(session: Session) -> GradingPolicy:
    """The newest published grading policy, else the one shipped with the service."""
    row = repository.latest_policy(session)
    return default_policy() if row is None else policy_of_row(row.body)


def _public(row: GradingPolicyVersion | None, current: str) -> GradingPolicyPublic:
    # A published body is shown as stored, not parsed again: listing never depends on
    # today's policy model accepting an old version.
    shipped = default_policy()
    version = row.version if row else shipped.version
    return GradingPolicyPublic(
        version=version,
        published_at=row.published_at if row else None,
        published_by=str(row.published_by) if row and row.published_by else None,
        current=version == current,
        body=row.body if row else shipped.model_dump(mode="json"),
    )


def _current_version(session: Session) -> str:
    row = repository.latest_policy(session)
    return default_policy().version if row is None else row.version


def list_policies(session: Session) -> list[GradingPolicyPublic]:
    """Every published policy, newest first, then the shipped one they replaced."""
    current = _current_version(session)
    return [_public(r, current) for r in repository.policies(session)] + [_public(None, current)]


def read_policy(session: Session, version: str) -> GradingPolicyPublic:
    """One policy by version: a published one, or the shipped one."""
    row = repository.get_policy(session, version)
    if row is None and version != default_policy().version:
        raise PolicyNotFound(f"No grading policy has version {version!r}.")
    return _public(row, _current_version(session))


def publish_policy(
    session: Session, body: Any, *, now: dt.datetime, by: uuid.UUID | None
) -> tuple[GradingPolicyPublic, bool]:
    """Validate ``body`` and make it the current policy; versions are never replaced.

    The version is the publish's idempotency key: the same document again (a retry) returns
    the stored version and False; another document under a published version is refused.

    Raises:
        PolicyInvalid: the document is not a valid policy (every problem is listed).
        PolicyExists: its version is published already with other content, or is the
            shipped policy's.
    """
    try:
        policy = parse_policy(body)
    except PolicyError as exc:
        raise PolicyInvalid(f"The grading policy is not valid: {exc}") from exc
    document = policy.model_dump(mode="json")
    if policy.version == default_policy().version:
        # Even with the same content: the shipped policy is the file's, never a published row.
        raise PolicyExists(
            f"Grading policy {policy.version!r} is the version shipped with mshop and cannot "
            "be published; publish it, or a changed policy, under a new version."
        )
    taken = PolicyExists(
        f"Grading policy {policy.version!r} exists with other content; versions are never "
        "replaced, publish under a new version."
    )
    stored = repository.get_policy(session, policy.version)
    if stored is not None:
        # Compared as policies, not JSON: a set's order in the JSON differs between processes.
        if parse_policy(stored.body) != policy:
            raise taken
        return _public(stored, _current_version(session)), False
    row = GradingPolicyVersion(
        version=policy.version, body=document, published_at=now, published_by=by
    )
    try:
        with db.savepoint(session):
            repository.add_policy(session, row)
    except IntegrityError as exc:
        raise taken from exc  # published meanwhile by another request
    return _public(row, policy.version), True
