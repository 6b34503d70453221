"""Follow-up on a visit's result: when it was ready and received, told after the visit.

A result often comes weeks after its visit, when the visit is long approved. A coordinator
(or the shopper, while the visit is still theirs) records the dates; the deadline is judged
again on them without reopening the visit, and the verdict it replaces stays in the visit's
history and in ``visit_results``. Scoring decides what the dates mean (the ready day when
known, else the received day): this module only stores them and asks for a new score.
"""

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service import db
from service.auth.models import User
from service.auth.roles import Role
from service.error_codes import ErrorCode
from service.errors import Conflict, ValidationFailed
from service.isotime import local_date
from service.scoring import service as scoring_service
from service.visits import lifecycle, repository
from service.visits import service as visits_service
from service.visits.models import Visit, VisitResult
from service.visits.schemas import ResultRequest
from service.visits.transitions import VisitStatus

# A visit with a score to judge again: the rescorable ones, and the approved, whose score
# is otherwise locked; the deadline is the one part a later fact may change.
SCORED = lifecycle.RESCORABLE | {VisitStatus.approved}


class ResultConflict(Conflict):
    code: ClassVar[ErrorCode] = "result-conflict"
    title = "Result follow-up conflict"


class ResultDatesInvalid(ValidationFailed):
    code: ClassVar[ErrorCode] = "result-dates-invalid"
    title = "Result dates invalid"


def _same(row: VisitResult, visit: Visit, request: ResultRequest) -> bool:
    sent = (visit.id, request.ready_on, request.received_on)
    return (row.visit_id, row.ready_date, row.received_date) == sent


def _earliest(visit: Visit) -> dt.date:
    """The first day a result of ``visit`` can come: its window's first day, or the day it
    started if the shopper started before the window (nothing stops them)."""
    started = [visit.window_start_at, *([visit.started_at] if visit.started_at else [])]
    return local_date(min(started))


def _check_dates(
    request: ResultRequest,
    ready: dt.date | None,
    received: dt.date | None,
    *,
    earliest: dt.date,
    today: dt.date,
) -> None:
    """``ready`` and ``received``: the dates as they will be (sent, else stored). A date sent
    before ``earliest`` is refused: no application, so no result, was made before the visit
    (a year typed wrong would otherwise turn a verdict into ``unknown``)."""
    for name, day in (("ready_on", ready), ("received_on", received)):
        if day is not None and day > today:
            raise ResultDatesInvalid(
                f"{name} {day} is after today ({today}); record a result once it has come.",
                errors=[{"field": name, "value": day.isoformat()}],
            )
    for name, sent in (("ready_on", request.ready_on), ("received_on", request.received_on)):
        if sent is not None and sent < earliest:
            raise ResultDatesInvalid(
                f"{name} {sent} is before the visit ({earliest}); a result comes after its visit.",
                errors=[{"field": name, "value": sent.isoformat()}],
            )
    if ready is not None and received is not None and received < ready:
        raise ResultDatesInvalid(
            f"The result would be received on {received}, before it was ready on {ready}.",
            errors=[{"field": "received_on", "value": received.isoformat()}],
        )


def _verdict(session: Session, visit: Visit) -> dict[str, Any] | None:
    """The stored deadline verdict with the score and grade it gave, or None if unscored."""
    try:
        score = scoring_service.get_public(session, visit)
    except scoring_service.ScoreNotFound:
        return None
    deadline = score.deadline.model_dump(mode="json") if score.deadline else None
    return {"deadline": deadline, "score": score.score, "grade": score.grade}


def record_result(
    session: Session, visit: Visit, actor: User, request: ResultRequest, *, now: dt.datetime
) -> tuple[VisitResult, bool]:
    """Record when the visit's result was ready and received, and judge its deadline again.

    A date not given keeps the one recorded before. A scored visit (approved included) is
    scored again; the verdict before and after go into ``visit_results`` and a ``result``
    event. The same ``client_id`` with the same dates returns the stored follow-up.

    Returns:
        The follow-up and whether it was created (False: a retry).

    Raises:
        ResultConflict: the ``client_id`` was used for other dates or another visit.
        VisitNotEditable: a shopper's visit is no longer theirs, or the visit is cancelled.
        ResultDatesInvalid: a date is in the future or before the visit's window, or
            received before ready.
    """
    visit = lifecycle.lock(session, visit)
    existing = repository.result_by_client_id(session, request.client_id)
    if existing is not None:
        if _same(existing, visit, request):
            return existing, False
        raise ResultConflict(
            f"client_id {request.client_id} already recorded other result dates; "
            "send a new client_id for a new follow-up."
        )
    if actor.role == Role.shopper:
        lifecycle.check_editable(visit)
    elif visit.status == VisitStatus.cancelled:
        raise visits_service.VisitNotEditable("The visit is cancelled; it has no result to judge.")
    ready = request.ready_on or visit.result_ready_date
    received = request.received_on or visit.result_received_date
    _check_dates(request, ready, received, earliest=_earliest(visit), today=local_date(now))
    before = _verdict(session, visit)
    visit.result_ready_date, visit.result_received_date = ready, received
    session.add(visit)
    after = None
    if visit.status in SCORED:
        scoring_service.score_and_store(session, visit, now=now)
        after = _verdict(session, visit)
    row = VisitResult(
        visit_id=visit.id,
        client_id=request.client_id,
        ready_date=request.ready_on,
        received_date=request.received_on,
        recorded_by_id=actor.id,
        recorded_at=now,
        deadline_before=_status(before),
        deadline_after=_status(after),
    )
    try:
        with db.savepoint(session):
            repository.add(session, row)
    except IntegrityError as exc:
        # The same client_id, sent for another visit at the same moment, won the race.
        raise ResultConflict(f"client_id {request.client_id} was just used; retry.") from exc
    detail = {
        "client_id": str(request.client_id),
        "ready_on": request.ready_on and request.ready_on.isoformat(),
        "received_on": request.received_on and request.received_on.isoformat(),
        "before": before,
        "after": after,
    }
    repository.add(session, visits_service.event(visit, actor, "result", now=now, detail=detail))
    return row, True


def _status(verdict: dict[str, Any] | None) -> str | None:
    deadline = verdict and verdict["deadline"]
    return str(deadline["status"]) if deadline else None
