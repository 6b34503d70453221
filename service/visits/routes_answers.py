"""HTTP routes of answer sync (tag ``answers``): served by visits, which owns the lock."""

from fastapi import APIRouter, status

from service.answers import service as answers_service
from service.answers.schemas import AnswerBatch, AnswerPublic, SyncResult
from service.auth.deps import ROLE_CHECKED, CurrentUser, ShopperUser
from service.clock import ClockDep
from service.db import SessionDep
from service.deps import SettingsDep
from service.errors import problem_responses
from service.visits import lifecycle
from service.visits import service as visits_service
from service.visits.deps import VISIT_ERRORS, VisitDep

router = APIRouter()


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
)
def sync_answers(
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    shopper: ShopperUser,
    visit: VisitDep,
    batch: AnswerBatch,
) -> SyncResult:
    """Store a batch of answers from the phone: all or nothing, safe to send again."""
    return lifecycle.sync_answers(
        session,
        visit,
        shopper,
        batch.answers,
        now=clock(),
        max_batch=settings.limits.max_batch_answers,
    )


@router.get(
    "/visits/{visit_id:uuid}/answers",
    summary="List answers",
    response_model=list[AnswerPublic],
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*VISIT_ERRORS),
)
def list_answers(
    session: SessionDep, _user: CurrentUser, visit: VisitDep, history: bool = False
) -> list[AnswerPublic]:
    """Return the visit's current answers, or every version with ``history=true``."""
    rows = (
        answers_service.all_answers(session, visit)
        if history
        else list(answers_service.current_answers(session, visit).values())
    )
    rows.sort(key=lambda a: (a.item_code, a.answered_at))
    return [AnswerPublic.model_validate(a, from_attributes=True) for a in rows]
