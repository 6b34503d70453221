"""Import every table module so ``SQLModel.metadata`` is complete for Alembic and tests."""

from service.answers import models as answers_models
from service.auth import models as auth_models
from service.calendar import models as calendar_models
from service.checklists import models as checklists_models
from service.offices import models as offices_models
from service.openrosa import models as openrosa_models
from service.photos import models as photos_models
from service.reports import models as reports_models
from service.scoring import models as scoring_models
from service.standards import models as standards_models
from service.visits import models as visits_models

__all__ = [
    "answers_models",
    "auth_models",
    "checklists_models",
    "offices_models",
    "openrosa_models",
    "photos_models",
    "reports_models",
    "scoring_models",
    "standards_models",
    "visits_models",
    "calendar_models",
]
