"""HTTP routes of answer sync (tag ``answers``): served by visits, which owns the lock."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from service import late_body
from service.answers import service as answers_service
from service.answers.schemas import AnswerBatch, AnswerPage, SyncResult
from service.auth.deps import ROLE_CHECKED, CurrentUser, ShopperCaller
from service.auth.roles import reads_free_text
from service.clock import ClockDep
from service.config import LimitSettings
from service.db import SessionDep, commit_now
from service.deps import SettingsDep
from service.errors import problem_responses
from service.late_body import LateJsonBody
from service.pagination import PageParams, sized_page
from service.responses import model_json
from service.visits import service as visits_service
from service.visits import writes
from service.visits.deps import VISIT_ERRORS, VisitDep

router = APIRouter()

_DEFAULTS = LimitSettings()  # what the spec tells clients; a deployment may set others

AnswerPageDep = Annotated[
    PageParams,
    Depends(
        sized_page(
            lambda limits: limits.answer_page_size,
            lambda limits: limits.max_answer_page_size,
            sizes=f"by default `MSHOP_LIMITS__ANSWER_PAGE_SIZE`, {_DEFAULTS.answer_page_size}; "
            f"at most `MSHOP_LIMITS__MAX_ANSWER_PAGE_SIZE`, {_DEFAULTS.max_answer_page_size}",
        )
    ),
]


@router.put(
    "/visits/{visit_id:uuid}/answers",
    summary="Sync answers",
    response_model=SyncResult,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(
        *ROLE_CHECKED,
        *VISIT_ERRORS,
        visits_service.VisitNotEditable,
        answers_service.AnswersInvalid,
        answers_service.AnswerConflict,
    ),
    openapi_extra=late_body.openapi_body(AnswerBatch),
)
def sync_answers(
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    shopper: ShopperCaller,
    visit_id: uuid.UUID,
    body: LateJsonBody,
) -> Response:
    """Store a batch of answers from the phone: all or nothing, safe to send again."""
    # No VisitDep and no CurrentUser: the sync reads the visit once, under its lock,
    # with the token's user in the same statement (404, 401 and 403 the same way). So the
    # body is validated here, and a caller who may not sync is refused before its errors.
    batch = late_body.validated(AnswerBatch, body, first=lambda: shopper.read(session))
    result = writes.sync_answers(
        session,
        visit_id,
        shopper,
        batch.answers,
        now=clock(),
        max_batch=settings.limits.max_batch_answers,
        keep_versions=settings.limits.answer_versions_per_item,
    )
    # The write is done: committed here, so the lock every other sync waits for is not held
    # while this thread hands back to the event loop and a commit thread takes over.
    commit_now(session)
    return model_json(result)  # a SyncResult, already valid: serialized here, no extra hop


@router.get(
    "/visits/{visit_id:uuid}/answers",
    summary="List answers",
    response_model=AnswerPage,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*VISIT_ERRORS),
)
def list_answers(
    session: SessionDep,
    user: CurrentUser,
    visit: VisitDep,
    page: AnswerPageDep,
    history: bool = False,
) -> AnswerPage:
    """Return a page of the visit's current answers, or with ``history=true`` of each version;
    an analyst reads text answers as ``withheld``."""
    return answers_service.page(
        session,
        visit,
        history=history,
        limit=page.limit,
        offset=page.offset,
        free_text=reads_free_text(user.role),
    )
