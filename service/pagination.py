"""Limit/offset paging shared by every list endpoint."""

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel

from service.errors import ValidationFailed

DEFAULT_LIMIT = 50


class PageParams(BaseModel):
    limit: int
    offset: int


def get_page_params(
    request: Request,
    limit: Annotated[int, Query(ge=1, description="Items per page")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")] = 0,
) -> PageParams:
    maximum: int = request.app.state.settings.limits.max_page_size
    if limit > maximum:
        raise ValidationFailed(f"limit: must be at most {maximum}")
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(get_page_params)]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
