"""Coordinator screens: the visits list, a visit's review, its moves, its photos.

Every figure and move comes from the services the JSON API calls: the list from
``visits.repository_lists.list_visits`` (the filters of ``GET /visits``), the review from the
visit, answer, photo and score services, the moves from ``visits.lifecycle``.
"""

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from service import db
from service.answers import service as answers_service
from service.checklists import pinned
from service.console import labels
from service.console.answer_text import answer_text
from service.console.deps import (
    CheckedForm,
    CleanQuery,
    Console,
    ConsoleNotFound,
    ConsoleProblem,
    StaffConsole,
)
from service.console.pages import page, redirect
from service.db import SessionDep
from service.deps import StoreDep
from service.errors import ServiceError
from service.isotime import LOCAL_OFFSET
from service.offices import service as offices_service
from service.offices.regions import Region
from service.params import RowIdQuery
from service.photos import reads
from service.photos.errors import PhotoNotFound
from service.photos.schemas import Variant
from service.responses import ClosingStreamingResponse
from service.scoring import service as scoring_service
from service.standards.catalogue import CODE_PATTERN
from service.visits import follow_up, lifecycle
from service.visits import repository_lists as visits_lists
from service.visits import service as visits_service
from service.visits.models import Visit
from service.visits.schemas import ResultRequest, ReviewRequest
from service.visits.transitions import VisitAction, VisitStatus

router = APIRouter()

PAGE_SIZE = 25
Day = Annotated[dt.date | None, Query()]


def _day_start(day: dt.date | None, *, end: bool = False) -> dt.datetime | None:
    """A day picked in the form, as the first (or last) moment of it in Kazakhstan."""
    if day is None:
        return None
    moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min, LOCAL_OFFSET)
    return moment


@router.get(
    "/visits", response_class=HTMLResponse, name="console_visits", dependencies=[CleanQuery]
)
def console_visits(
    session: SessionDep,
    console: StaffConsole,
    status_: Annotated[VisitStatus | None, Query(alias="status")] = None,
    service: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
    office_id: RowIdQuery | None = None,
    region: Region | None = None,
    shopper_id: uuid.UUID | None = None,
    wave: Annotated[str | None, Query(max_length=64)] = None,
    date_from: Annotated[dt.date | None, Query(alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to")] = None,
    sort: visits_lists.VisitOrder = visits_lists.VisitOrder.window,
    desc: bool = False,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    overdue: bool = False,
    flagged: bool = False,
) -> Response:
    """The visits list: the API's filters, a sort, pages; every state is in the URL."""
    assert console.user is not None
    filters = visits_lists.VisitFilters(
        status=status_,
        service_code=service,
        office_id=office_id,
        region=region.value if region else None,
        shopper_id=shopper_id,
        wave=wave,
        window_from=_day_start(date_from),
        window_to=_day_start(date_to, end=True),
        overdue_at=console.now if overdue else None,
        flagged=flagged,
    )
    rows, total = visits_lists.list_visits(
        session,
        console.user,
        filters,
        limit=PAGE_SIZE,
        offset=(page_number - 1) * PAGE_SIZE,
        order=sort,
        descending=desc,
    )
    visits = visits_service.page_public(session, rows, console.user)
    offices = offices_service.get_many(session, {v.office_id for v in visits})
    query = dict(console.request.query_params)
    query.pop("page", None)
    return page(
        console,
        "visits.html",
        {
            "visits": visits,
            "offices": offices,
            "total": total,
            "page": page_number,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "query": query,
            "statuses": list(VisitStatus),
            "regions": list(Region),
            "orders": list(visits_lists.VisitOrder),
            "sort": sort,
            "desc": desc,
            "overdue": overdue,
            "flagged": flagged,
        },
    )


def _visit(session: SessionDep, console: Console, visit_id: uuid.UUID) -> Visit:
    assert console.user is not None
    try:
        return visits_service.get_visit(session, console.user, visit_id)
    except visits_service.VisitNotFound:
        raise ConsoleNotFound(console) from None


@router.get("/visits/{visit_id:uuid}", response_class=HTMLResponse, name="console_review")
def console_review(
    session: SessionDep,
    console: StaffConsole,
    visit_id: uuid.UUID,
    problem: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """A visit's review: answers by section, photos beside their items, score, history."""
    assert console.user is not None
    visit = _visit(session, console, visit_id)
    public = visits_service.one_public(session, visit, console.user)
    checklist = pinned.checklist_for_visit(session, visit)
    answers = answers_service.current_answers(session, visit)
    codes = {item.code for item in checklist.items()}
    photos = reads.visit_photos(session, visit, console.user).photos
    try:
        score = scoring_service.get_public(session, visit)
    except scoring_service.ScoreNotFound:
        score = None
    office = offices_service.get_office(session, visit.office_id)
    history = visits_service.history(session, visit)
    follow_ups = [e for e in history if e.action == "result"]
    return page(
        console,
        "review.html",
        {
            "next_visit": visits_service.next_in_queue(session, console.user, visit.id),
            "result_dates": (visit.result_ready_date, visit.result_received_date),
            "last_follow_up": follow_ups[-1].detail if follow_ups else None,
            # Each form's key: a double click or a resent form moves the visit once.
            "result_client_id": uuid.uuid4(),
            "review_client_id": uuid.uuid4(),
            "reopen_client_id": uuid.uuid4(),
            "visit": public,
            "office": office,
            "checklist": checklist,
            "answers": {
                code: answer_text(
                    checklist.item(code),
                    a.value,
                    na=a.na,
                    language=console.language,
                    gettext=console.gettext,
                )
                for code, a in answers.items()
                if code in codes
            },
            "photos": photos,
            "score": score,
            "history": history,
            "problem": problem,
            "problem_text": console.gettext(
                labels.PROBLEMS.get(problem or "", labels.GENERIC_PROBLEM)
            ),
            "actions": [a.value for a in public.allowed_actions],
        },
    )


@router.post("/visits/{visit_id:uuid}/review", name="console_review_visit")
def console_review_visit(
    session: SessionDep, console: StaffConsole, form: CheckedForm, visit_id: uuid.UUID
) -> RedirectResponse:
    """Approve, return with a comment or reject, through the visit's lifecycle."""
    assert console.user is not None
    here = f"/console/visits/{visit_id}"
    visit = _visit(session, console, visit_id)
    comment = str(form.get("comment", "")).strip() or None
    try:
        body = ReviewRequest.model_validate(
            {"client_id": form.get("client_id"), "action": form.get("action"), "comment": comment}
        )
    except ValidationError as exc:
        raise ConsoleProblem(console, here, _review_refusal(exc)) from exc
    try:
        lifecycle.review(session, visit, console.user, body, now=console.now)
    except ServiceError as exc:
        raise ConsoleProblem(console, here, exc.code) from exc
    return redirect(console, here)


def _review_refusal(exc: ValidationError) -> str:
    """The problem code of a review form the API's model refused: a comment that is there but
    not acceptable (too long, a control character), a missing one, or anything else."""
    places = {error["loc"][:1] for error in exc.errors()}
    if ("comment",) in places:
        return "comment-invalid"
    if () in places:  # the model's own check: return and reject need a comment
        return "comment-required"
    return "validation-failed"


@router.post("/visits/{visit_id:uuid}/result", name="console_record_result")
def console_record_result(
    session: SessionDep, console: StaffConsole, form: CheckedForm, visit_id: uuid.UUID
) -> RedirectResponse:
    """Record when the result was ready and received, as ``POST /visits/{id}/result`` does."""
    assert console.user is not None
    here = f"/console/visits/{visit_id}"
    visit = _visit(session, console, visit_id)
    fields = ("client_id", "ready_on", "received_on")
    body = {name: value for name in fields if (value := str(form.get(name, "")).strip())}
    try:
        request = ResultRequest.model_validate(body)
    except ValidationError as exc:
        dated = "ready_on" in body or "received_on" in body
        code = "result-dates-invalid" if dated else "result-date-required"
        raise ConsoleProblem(console, here, code) from exc
    try:
        follow_up.record_result(session, visit, console.user, request, now=console.now)
    except ServiceError as exc:
        raise ConsoleProblem(console, here, exc.code) from exc
    return redirect(console, here)


@router.post("/visits/{visit_id:uuid}/reopen", name="console_reopen_visit")
def console_reopen_visit(
    session: SessionDep, console: StaffConsole, form: CheckedForm, visit_id: uuid.UUID
) -> RedirectResponse:
    """Put an approved or rejected visit back under review, with a reason."""
    assert console.user is not None
    here = f"/console/visits/{visit_id}"
    visit = _visit(session, console, visit_id)
    reason = str(form.get("reason", "")).strip()
    if not reason or len(reason) > 2000:
        raise ConsoleProblem(console, here, "reason-required")
    try:
        client_id = uuid.UUID(str(form.get("client_id", "")))
    except ValueError as exc:
        raise ConsoleProblem(console, here, "validation-failed") from exc
    try:
        lifecycle.with_reason(
            session,
            visit,
            console.user,
            VisitAction.reopen,
            reason,
            client_id=client_id,
            now=console.now,
        )
    except ServiceError as exc:
        raise ConsoleProblem(console, here, exc.code) from exc
    return redirect(console, here)


@router.get("/photos/{photo_id:uuid}/{variant}", name="console_photo")
def console_photo(
    session: SessionDep,
    store: StoreDep,
    console: StaffConsole,
    photo_id: uuid.UUID,
    variant: Variant,
) -> Response:
    """A photo's thumbnail, display copy or original, as ``GET /photos/{id}/content``."""
    assert console.user is not None
    try:
        photo = reads.get_photo(session, photo_id)
    except PhotoNotFound:
        raise ConsoleNotFound(console) from None
    _visit(session, console, photo.visit_id)
    try:
        key = reads.content_key(photo, variant, console.user)
        with db.released(session):
            found = reads.content(store, photo, variant, key)
    except ServiceError:
        raise ConsoleNotFound(console) from None
    if found.url is not None:
        return RedirectResponse(found.url, status_code=307)
    assert found.stream is not None
    headers = {"Cache-Control": "private", "X-Content-Type-Options": "nosniff"}
    return ClosingStreamingResponse(found.stream, media_type=found.media_type, headers=headers)
