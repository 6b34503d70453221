"""Limit/offset paging shared by every list endpoint."""

from collections.abc import Callable, Sequence
from typing import Annotated, Generic, Self, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from service.config import LimitSettings
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

Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")]


def sized_page(
    default: Callable[[LimitSettings], int],
    maximum: Callable[[LimitSettings], int],
    *,
    sizes: str,
) -> Callable[..., PageParams]:
    """A paging dependency whose default and largest page sizes are settings, for a list
    whose rows weigh more than most (answers, up to 10,000 characters each); ``sizes`` tells
    clients which settings and defaults those are."""

    def get_sized_page_params(
        settings: SettingsDep,
        limit: Annotated[
            int | None,
            Query(
                ge=1,
                description=f"Items per page ({sizes}); above the maximum the maximum is "
                "used, and the page's `limit` says so",
            ),
        ] = None,
        offset: Offset = 0,
    ) -> PageParams:
        limits = settings.limits
        wanted = default(limits) if limit is None else limit
        return PageParams(limit=min(wanted, maximum(limits)), offset=offset)

    return get_sized_page_params


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
