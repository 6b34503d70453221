"""Path and query parameter types shared by the routers."""

from typing import Annotated

from fastapi import Path, Query

from service.db_types import MAX_ROW_ID

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
RowIdQuery = Annotated[int, Query(ge=1, le=MAX_ROW_ID)]
