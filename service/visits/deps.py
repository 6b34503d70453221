"""Load a visit the caller may see, or 404: other shoppers' visits do not exist for them."""

import uuid
from typing import Annotated

from fastapi import Depends

from service.auth.deps import AUTHENTICATED, CurrentUser
from service.db import SessionDep
from service.errors import NotFound, ServiceError
from service.visits import service as visits_service
from service.visits.models import Visit


def get_visit(session: SessionDep, user: CurrentUser, visit_id: uuid.UUID) -> Visit:
    return visits_service.get_visit(session, user, visit_id)


VisitDep = Annotated[Visit, Depends(get_visit)]

# What ``VisitDep`` answers, its caller's authentication included. Its routes match
# ``{visit_id:uuid}``, so an id that is no UUID matches no route: the generic not-found.
VISIT_ERRORS: tuple[type[ServiceError], ...] = (
    *AUTHENTICATED,
    visits_service.VisitNotFound,
    NotFound,
)
