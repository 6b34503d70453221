"""Limit/offset paging shared by every list endpoint."""

from collections.abc import Sequence
from typing import Annotated, Generic, Self, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from service.deps import SettingsDep

DEFAULT_LIMIT = 50


class PageParams(BaseModel):
    limit: int
    offset: int


async def get_page_params(
    settings: SettingsDep,
    limit: Annotated[
        int,
        Query(
            ge=1,
            description="Items per page; above the server's maximum (default 200) the "
            "maximum is used, and the page's `limit` says so",
        ),
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")] = 0,
) -> PageParams:
    maximum = settings.limits.max_page_size
    return PageParams(limit=min(limit, maximum), offset=offset)


PageDep = Annotated[PageParams, Depends(get_page_params)]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: Sequence[T], total: int, params: PageParams) -> Self:
        """The page of ``items`` (already cut to ``params``) out of ``total`` matches."""
        return cls(items=list(items), total=total, limit=params.limit, offset=params.offset)
