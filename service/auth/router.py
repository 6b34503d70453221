"""HTTP routes of login, tokens and accounts."""

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from service.auth import service as auth_service
from service.auth.deps import CurrentUser, StaffUser, secret_key
from service.auth.models import User
from service.auth.schemas import RefreshRequest, TokenPair, UserCreate, UserPublic
from service.clock import ClockDep
from service.config import Settings
from service.db import SessionDep
from service.deps import SettingsDep, ThrottleDep
from service.errors import (
    Conflict,
    Forbidden,
    InvalidCredentials,
    NotAuthenticated,
    TooManyRequests,
    ValidationFailed,
)
from service.pagination import Page, PageDep

router = APIRouter()


@router.post(
    "/auth/token",
    summary="Log in",
    response_model=TokenPair,
    status_code=status.HTTP_200_OK,
    responses={
        401: InvalidCredentials.schema(),
        422: ValidationFailed.schema(),
        429: TooManyRequests.schema(),
    },
)
def login(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    throttle: ThrottleDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> TokenPair:
    """Exchange an email and password for an access and a refresh token."""
    account = form.username.strip().lower()
    address = request.client.host if request.client else "unknown"
    now = clock()
    wait = throttle.retry_after(account=account, address=address, now=now.timestamp())
    if wait is not None:
        raise TooManyRequests(
            f"Too many failed logins; try again in {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )
    try:
        user = auth_service.authenticate(session, account, form.password)
    except NotAuthenticated:
        throttle.record_failure(account=account, address=address, now=now.timestamp())
        raise
    throttle.record_success(account=account)
    return _tokens(settings, user, now)


@router.post(
    "/auth/refresh",
    summary="Refresh tokens",
    response_model=TokenPair,
    status_code=status.HTTP_200_OK,
    responses={401: NotAuthenticated.schema(), 422: ValidationFailed.schema()},
)
def refresh_tokens(
    session: SessionDep, clock: ClockDep, settings: SettingsDep, body: RefreshRequest
) -> TokenPair:
    """Exchange a refresh token for a new pair of tokens."""
    now = clock()
    user = auth_service.user_from_token(
        session, body.refresh_token, expected_type="refresh", secret=secret_key(settings), now=now
    )
    return _tokens(settings, user, now)


def _tokens(settings: Settings, user: User, now: dt.datetime) -> TokenPair:
    auth = settings.auth
    return auth_service.issue_tokens(
        user,
        secret=secret_key(settings),
        now=now,
        access_minutes=auth.access_token_minutes,
        refresh_days=auth.refresh_token_days,
    )


@router.get(
    "/me",
    summary="Read my account",
    response_model=UserPublic,
    status_code=status.HTTP_200_OK,
    responses={401: NotAuthenticated.schema()},
)
def read_me(user: CurrentUser) -> UserPublic:
    """Return the account of the caller."""
    return UserPublic.model_validate(user, from_attributes=True)


@router.post(
    "/users",
    summary="Create a user",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        401: NotAuthenticated.schema(),
        403: Forbidden.schema(),
        409: Conflict.schema(),
        422: ValidationFailed.schema(),
    },
)
def create_user(
    session: SessionDep, clock: ClockDep, actor: StaffUser, user_in: UserCreate
) -> UserPublic:
    """Create an account; coordinators may create shoppers only."""
    user = auth_service.create_user_as(session, actor, user_in, now=clock())
    return UserPublic.model_validate(user, from_attributes=True)


@router.get(
    "/users",
    summary="List users",
    response_model=Page[UserPublic],
    status_code=status.HTTP_200_OK,
    responses={401: NotAuthenticated.schema(), 403: Forbidden.schema()},
)
def list_users(session: SessionDep, actor: StaffUser, page: PageDep) -> Page[UserPublic]:
    """List accounts: all for admins, shoppers for coordinators."""
    users, total = auth_service.list_visible_users(
        session, actor, limit=page.limit, offset=page.offset
    )
    return Page[UserPublic](
        items=[UserPublic.model_validate(u, from_attributes=True) for u in users],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
