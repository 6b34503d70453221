"""Every query on stored scores."""

import uuid
from collections.abc import Sequence

from sqlmodel import Session, col, delete, select

from service.scoring.models import GradingPolicyVersion, VisitCriterion, VisitFinding, VisitScore


def get(session: Session, visit_id: uuid.UUID) -> VisitScore | None:
    return session.get(VisitScore, visit_id)


def for_visits(session: Session, visit_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, VisitScore]:
    if not visit_ids:
        return {}
    rows = session.exec(select(VisitScore).where(col(VisitScore.visit_id).in_(list(visit_ids))))
    return {row.visit_id: row for row in rows}


def replace(
    session: Session,
    score: VisitScore,
    findings: list[VisitFinding],
    criteria: list[VisitCriterion],
) -> None:
    """Store ``score`` and its rows in place of any earlier result of the visit."""
    visit_id = score.visit_id
    session.exec(delete(VisitFinding).where(col(VisitFinding.visit_id) == visit_id))
    session.exec(delete(VisitCriterion).where(col(VisitCriterion.visit_id) == visit_id))
    session.merge(score)
    session.add_all([*findings, *criteria])
    session.flush()


def policies(session: Session) -> Sequence[GradingPolicyVersion]:
    """Every published policy, newest first: the first is the current one."""
    newest = (col(GradingPolicyVersion.published_at).desc(), col(GradingPolicyVersion.version))
    return session.exec(select(GradingPolicyVersion).order_by(*newest)).all()


def latest_policy(session: Session) -> GradingPolicyVersion | None:
    newest = (col(GradingPolicyVersion.published_at).desc(), col(GradingPolicyVersion.version))
    return session.exec(select(GradingPolicyVersion).order_by(*newest).limit(1)).first()


def get_policy(session: Session, version: str) -> GradingPolicyVersion | None:
    return session.get(GradingPolicyVersion, version)


def add_policy(session: Session, row: GradingPolicyVersion) -> None:
    session.add(row)
    session.flush()
