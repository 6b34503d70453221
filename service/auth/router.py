"""HTTP routes of login, tokens and accounts."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from service.auth import callers, sessions
from service.auth import service as auth_service
from service.auth.deps import (
    AUTHENTICATED,
    ROLE_CHECKED,
    AuthSettingsDep,
    ClientAddress,
    CurrentUser,
    StaffUser,
    ThrottleDep,
)
from service.auth.roles import Role
from service.auth.schemas import (
    PasswordChange,
    RefreshRequest,
    TokenPair,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from service.clock import ClockDep
from service.db import SessionDep
from service.errors import (
    InvalidCredentials,
    InvalidToken,
    ServiceUnavailable,
    TokenExpired,
    TooManyRequests,
    problem_responses,
)
from service.pagination import Page, PageDep

router = APIRouter()


@router.post(
    "/auth/token",
    summary="Log in",
    response_model=TokenPair,
    status_code=status.HTTP_200_OK,
    # A disabled account answers as a wrong password would: invalid-credentials.
    responses=problem_responses(InvalidCredentials, TooManyRequests, ServiceUnavailable),
)
def login(
    session: SessionDep,
    clock: ClockDep,
    auth: AuthSettingsDep,
    throttle: ThrottleDep,
    address: ClientAddress,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> TokenPair:
    """Exchange an email and password for an access and a refresh token."""
    now = clock()
    user = sessions.login(
        session, throttle, email=form.username, password=form.password, address=address, now=now
    )
    return sessions.start_session(
        session,
        user,
        secret=auth.secret_key.get_secret_value(),
        now=now,
        access_minutes=auth.access_token_minutes,
        refresh_days=auth.refresh_token_days,
    )


@router.post(
    "/auth/refresh",
    summary="Refresh tokens",
    response_model=TokenPair,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(
        InvalidToken,
        TokenExpired,
        sessions.TokenReused,
        sessions.TokenRevoked,
        callers.UserInactive,
        ServiceUnavailable,
    ),
)
def refresh_tokens(
    session: SessionDep, clock: ClockDep, auth: AuthSettingsDep, body: RefreshRequest
) -> TokenPair:
    """Exchange a refresh token for a new pair; the token given is retired. Sent again at
    once (`MSHOP_AUTH__REFRESH_RETRY_SECONDS`) it gets the same pair; later, it ends the
    sign-in."""
    return sessions.refresh(
        session,
        body.refresh_token,
        secret=auth.secret_key.get_secret_value(),
        now=clock(),
        access_minutes=auth.access_token_minutes,
        refresh_days=auth.refresh_token_days,
        retry_seconds=auth.refresh_retry_seconds,
    )


@router.post(
    "/auth/logout",
    summary="Log out",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(InvalidToken, TokenExpired, ServiceUnavailable),
)
def logout(
    session: SessionDep, clock: ClockDep, auth: AuthSettingsDep, body: RefreshRequest
) -> Response:
    """End the sign-in a refresh token belongs to: none of its refresh tokens works again."""
    sessions.logout(
        session, body.refresh_token, secret=auth.secret_key.get_secret_value(), now=clock()
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/me",
    summary="Read my account",
    response_model=UserPublic,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*AUTHENTICATED),
)
def read_me(user: CurrentUser) -> UserPublic:
    """Return the account of the caller."""
    return UserPublic.model_validate(user, from_attributes=True)


@router.post(
    "/users",
    summary="Create a user",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(
        *ROLE_CHECKED,
        auth_service.RoleNotGrantable,
        auth_service.UserExists,
        auth_service.UserConflict,
        auth_service.EmailConfusable,
        auth_service.PasswordTooShort,
    ),
)
def create_user(
    session: SessionDep,
    clock: ClockDep,
    auth: AuthSettingsDep,
    actor: StaffUser,
    user_in: UserCreate,
    response: Response,
) -> UserPublic:
    """Create an account; coordinators may create shoppers only. With a ``client_id`` a retry
    answers the same account (200)."""
    user, created = auth_service.create_user_as(
        session, actor, user_in, now=clock(), min_password_length=auth.password_min_length
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return UserPublic.model_validate(user, from_attributes=True)


@router.get(
    "/users",
    summary="List users",
    response_model=Page[UserPublic],
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*ROLE_CHECKED),
)
def list_users(
    session: SessionDep,
    actor: StaffUser,
    page: PageDep,
    email: Annotated[
        str | None,
        Query(min_length=1, max_length=254, description="Exact email, in any letter case"),
    ] = None,
    role: Role | None = None,
    active: Annotated[bool | None, Query(description="Active or disabled accounts only")] = None,
) -> Page[UserPublic]:
    """List accounts: all for admins, shoppers for coordinators."""
    users, total = auth_service.list_users(
        session,
        actor,
        email=email,
        role=role,
        active=active,
        limit=page.limit,
        offset=page.offset,
    )
    return Page[UserPublic].of(
        [UserPublic.model_validate(u, from_attributes=True) for u in users], total, page
    )


@router.patch(
    "/users/{user_id}",
    summary="Edit a user",
    response_model=UserPublic,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(
        *ROLE_CHECKED,
        auth_service.RoleNotGrantable,
        auth_service.UserNotFound,
        auth_service.SelfDemotion,
    ),
)
def update_user(
    session: SessionDep, actor: StaffUser, user_id: uuid.UUID, changes: UserUpdate
) -> UserPublic:
    """Change an account's name, phone, role or active state; coordinators manage shoppers."""
    user = auth_service.managed_user(session, actor, user_id)
    auth_service.update_user(actor, user, changes)
    session.flush()
    return UserPublic.model_validate(user, from_attributes=True)


@router.post(
    "/users/{user_id}/password",
    summary="Change a password",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    # Changing one's own password needs the old one, and wrong guesses count as failed logins.
    responses=problem_responses(
        *AUTHENTICATED,
        auth_service.UserNotFound,
        auth_service.PasswordTooShort,
        auth_service.OldPasswordRequired,
        auth_service.WrongPassword,
        TooManyRequests,
    ),
)
def change_password(
    session: SessionDep,
    clock: ClockDep,
    auth: AuthSettingsDep,
    throttle: ThrottleDep,
    address: ClientAddress,
    actor: CurrentUser,
    user_id: uuid.UUID,
    change: PasswordChange,
) -> Response:
    """Set a new password (your own with the old one); the account's tokens stop working."""
    user = auth_service.password_target(session, actor, user_id)
    auth_service.change_password(
        session,
        actor,
        user,
        change,
        min_length=auth.password_min_length,
        throttle=throttle,
        address=address,
        now=clock(),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/users/{user_id}/unlock",
    summary="Unlock a user's login",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(*ROLE_CHECKED, auth_service.UserNotFound),
)
def unlock_user(
    session: SessionDep,
    clock: ClockDep,
    throttle: ThrottleDep,
    actor: StaffUser,
    user_id: uuid.UUID,
) -> Response:
    """Forget the account's failed logins so its owner can log in at once."""
    user = auth_service.managed_user(session, actor, user_id)
    auth_service.unlock_user(session, user, now=clock(), throttle=throttle)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
