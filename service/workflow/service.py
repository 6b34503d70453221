"""Moving a visit through its life: start, submit (with its completeness gate), review."""

import datetime as dt
from typing import ClassVar

from sqlmodel import Session

from service.answers import service as answers_service
from service.auth.models import User
from service.errors import ErrorCode, ValidationFailed
from service.photos import reads as photo_reads
from service.scoring import service as scoring_service
from service.visits import service as visits_service
from service.visits.models import Visit
from service.visits.schemas import ReviewRequest, SubmitRequest
from service.visits.transitions import VisitAction, VisitStatus


class SubmissionIncomplete(ValidationFailed):
    code: ClassVar[ErrorCode] = "submission-incomplete"
    title = "Submission incomplete"


def start(session: Session, visit: Visit, actor: User, *, now: dt.datetime) -> Visit:
    visit = visits_service.lock(session, visit)
    return visits_service.act(session, visit, actor, VisitAction.start, now=now)


def submit(
    session: Session,
    visit: Visit,
    actor: User,
    request: SubmitRequest,
    *,
    now: dt.datetime,
    skew_warn_seconds: int,
) -> Visit:
    """Submit the visit for review; a retry with the same client id returns it unchanged.

    The phone's clock is compared with the server's and the difference is kept on the visit.

    Raises:
        SubmissionIncomplete: required items are unanswered (all are listed).
        TransitionNotAllowed: the visit is not in progress or returned.
    """
    visit = visits_service.lock(session, visit)
    if visit.submit_client_id == request.client_id:
        return visit
    if visit.status in (VisitStatus.in_progress, VisitStatus.returned):
        missing = answers_service.missing_required(session, visit)
        photos = photo_reads.missing(session, visit)
        if missing or photos:
            raise SubmissionIncomplete(
                f"{len(missing)} required item(s) are unanswered and {len(photos)} item(s) lack "
                f"required photos: {', '.join([*missing, *photos])}.",
                errors=[{"item_code": code} for code in missing]
                + [{"item_code": code, "missing": "photo"} for code in photos],
            )
    skew = round((now - request.submitted_at).total_seconds(), 3)
    visits_service.act(
        session,
        visit,
        actor,
        VisitAction.submit,
        now=now,
        detail={"clock_skew_seconds": skew, "clock_skew_flagged": abs(skew) > skew_warn_seconds},
    )
    visit.submitted_at = now
    visit.device_submitted_at = request.submitted_at
    visit.clock_skew_seconds = skew
    visit.submit_client_id = request.client_id
    session.add(visit)
    scoring_service.score_and_store(session, visit, now=now)
    return visit


def review(
    session: Session, visit: Visit, actor: User, request: ReviewRequest, *, now: dt.datetime
) -> Visit:
    """Approve, return (to the shopper, with a comment) or reject a submitted visit."""
    visit = visits_service.lock(session, visit)
    visits_service.act(
        session, visit, actor, request.action, now=now, detail={"comment": request.comment}
    )
    visit.reviewed_at = now
    visit.reviewed_by_id = actor.id
    visit.review_comment = request.comment
    session.add(visit)
    # The approved score is the one that stays; score once more with today's calendar.
    scoring_service.score_and_store(session, visit, now=now)
    return visit


def with_reason(
    session: Session,
    visit: Visit,
    actor: User,
    action: VisitAction,
    reason: str,
    *,
    now: dt.datetime,
) -> Visit:
    """Cancel or reopen a visit; the reason goes into the audit trail."""
    visit = visits_service.lock(session, visit)
    visits_service.act(session, visit, actor, action, now=now, detail={"reason": reason})
    if action is VisitAction.reopen:
        scoring_service.score_and_store(session, visit, now=now)
    return visit
