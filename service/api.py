"""The versioned API router: every domain router under /api/v1 with its tag."""

from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute

from service.auth.router import router as auth_router
from service.calendar.router import router as calendar_router
from service.checklists.router import router as checklists_router
from service.checklists.router import services_router as standard_versions_router
from service.errors import ServiceError, ValidationFailed
from service.exports.router import router as exports_router
from service.offices.router import router as offices_router
from service.openrosa.routes_tokens import router as app_tokens_router
from service.reports.router import router as reports_router
from service.routing import UnknownQueryParameter, reject_unknown_query_parameters
from service.scoring.router import router as grading_router
from service.standards.router import router as standards_router
from service.visits.router import router as visits_router
from service.visits.routes_answers import router as answers_router
from service.visits.routes_lifecycle import router as workflow_router
from service.visits.routes_photos import router as photos_router
from service.visits.routes_result import router as result_router
from service.visits.routes_scores import router as scoring_router
from service.visits.routes_uploads import router as uploads_router


def unique_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


# What the router-level dependencies answer on every operation below ``api_router``.
ROUTER_ERRORS: tuple[type[ServiceError], ...] = (UnknownQueryParameter,)

# The prefix is given where the application includes the router, not on the router: FastAPI
# checks every route of a router included without a prefix for an empty path, building each
# route's dependency analysis again for it (0.3-0.6 s of start-up, on objects no request uses).
API_PREFIX = "/api/v1"

# Every operation may now answer 422 for an unknown query parameter, so each declares it
# (spec.install merges ROUTER_ERRORS into the routes that declare a 422 of their own).
api_router = APIRouter(
    dependencies=[Depends(reject_unknown_query_parameters)],
    responses={422: ValidationFailed.schema()},
)
api_router.include_router(auth_router, tags=["auth"])
api_router.include_router(app_tokens_router, tags=["collect"])
api_router.include_router(standards_router, tags=["services"])
api_router.include_router(standard_versions_router, tags=["services"])
api_router.include_router(checklists_router, tags=["checklists"])
api_router.include_router(offices_router, tags=["offices"])
api_router.include_router(visits_router, tags=["visits"])
api_router.include_router(answers_router, tags=["answers"])
api_router.include_router(workflow_router, tags=["workflow"])
api_router.include_router(result_router, tags=["workflow"])
api_router.include_router(calendar_router, tags=["calendar"])
api_router.include_router(scoring_router, tags=["scores"])
api_router.include_router(grading_router, tags=["grading"])
api_router.include_router(photos_router, tags=["photos"])
api_router.include_router(uploads_router, tags=["photos"])
api_router.include_router(reports_router, tags=["reports"])
api_router.include_router(exports_router, tags=["exports"])
