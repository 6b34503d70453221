"""Import every table module so ``SQLModel.metadata`` is complete for Alembic and tests."""

from service.auth import models as auth_models
from service.checklists import models as checklists_models
from service.standards import models as standards_models

__all__ = ["auth_models", "checklists_models", "standards_models"]
