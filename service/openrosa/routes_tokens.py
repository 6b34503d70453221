"""HTTP routes of app tokens (tag ``app-tokens``): a shopper's phone set up by a QR code."""

import uuid

from fastapi import APIRouter, Request, Response, status

from service.auth import service as auth_service
from service.auth.deps import ROLE_CHECKED, StaffUser
from service.auth.models import User
from service.clock import ClockDep
from service.db import SessionDep
from service.deps import SettingsDep
from service.errors import ValidationFailed, problem_responses
from service.openrosa import repository, tokens
from service.openrosa.deps import server_url
from service.openrosa.models import AppToken
from service.openrosa.schemas import AppTokenCreate, AppTokenCreated, AppTokenList, AppTokenPublic

router = APIRouter()


def _public(row: AppToken) -> AppTokenPublic:
    return AppTokenPublic.model_validate(row, from_attributes=True)


def _shopper(session: SessionDep, actor: User, user_id: uuid.UUID) -> User:
    return auth_service.managed_user(session, actor, user_id)


def _new_token(
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    actor: User,
    user_id: uuid.UUID,
    body: AppTokenCreate,
) -> tuple[User, AppToken, str, int]:
    """The shopper, their token's row, the token itself and the status: 200 for a retry."""
    user = _shopper(session, actor, user_id)
    row, token, created = tokens.create(
        session,
        user,
        actor,
        client_id=body.client_id,
        label=body.label,
        key=settings.auth.secret_key.get_secret_value().encode(),
        now=clock(),
        limit=settings.openrosa.max_app_tokens_per_user,
    )
    return user, row, token, status.HTTP_201_CREATED if created else status.HTTP_200_OK


@router.post(
    "/users/{user_id}/app-tokens",
    summary="Create an app token",
    response_model=AppTokenCreated,
    status_code=status.HTTP_201_CREATED,
    responses={
        **problem_responses(
            *ROLE_CHECKED,
            auth_service.UserNotFound,
            ValidationFailed,
            tokens.TooManyAppTokens,
            tokens.AppTokenConflict,
        ),
        200: {"model": AppTokenCreated, "description": "A retry: the same token again"},
    },
)
def create_app_token(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    actor: StaffUser,
    user_id: uuid.UUID,
    body: AppTokenCreate,
) -> AppTokenCreated:
    """Make a shopper's phone key for ODK Collect; a retry with its client_id answers it again."""
    user, row, token, response.status_code = _new_token(
        session, settings, clock, actor, user_id, body
    )
    return AppTokenCreated(
        **_public(row).model_dump(), token=token, server_url=server_url(request, token)
    )


@router.get(
    "/users/{user_id}/app-tokens",
    summary="List app tokens",
    response_model=AppTokenList,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*ROLE_CHECKED, auth_service.UserNotFound),
)
def list_app_tokens(session: SessionDep, actor: StaffUser, user_id: uuid.UUID) -> AppTokenList:
    """List a shopper's app tokens, revoked ones included (never the tokens themselves)."""
    user = _shopper(session, actor, user_id)
    return AppTokenList(items=[_public(r) for r in repository.list_tokens(session, user.id)])


@router.post(
    "/users/{user_id}/app-tokens/{token_id}/revoke",
    summary="Revoke an app token",
    response_model=AppTokenPublic,
    status_code=status.HTTP_200_OK,
    responses=problem_responses(*ROLE_CHECKED, auth_service.UserNotFound, tokens.AppTokenNotFound),
)
def revoke_app_token(
    session: SessionDep, clock: ClockDep, actor: StaffUser, user_id: uuid.UUID, token_id: uuid.UUID
) -> AppTokenPublic:
    """Stop a phone's key from working at once; revoking it again changes nothing."""
    user = _shopper(session, actor, user_id)
    return _public(tokens.revoke(session, tokens.get(session, user, token_id), now=clock()))


@router.post(
    "/users/{user_id}/app-tokens/qr.png",
    summary="Create an app token as a QR code",
    response_class=Response,
    status_code=status.HTTP_201_CREATED,
    responses={
        **problem_responses(
            *ROLE_CHECKED,
            auth_service.UserNotFound,
            ValidationFailed,
            tokens.TooManyAppTokens,
            tokens.AppTokenConflict,
        ),
        201: {"content": {"image/png": {}}, "description": "Collect's settings as a QR code"},
        200: {"content": {"image/png": {}}, "description": "A retry: the same QR code again"},
    },
)
def create_app_token_qr(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    actor: StaffUser,
    user_id: uuid.UUID,
    body: AppTokenCreate,
) -> Response:
    """Make a phone key and answer Collect's settings QR code; the shopper scans it once."""
    user, row, token, code = _new_token(session, settings, clock, actor, user_id, body)
    payload = tokens.phone_payload(server_url(request, token), user)
    return Response(
        tokens.qr_png(payload),
        status_code=code,
        media_type="image/png",
        headers={"Cache-Control": "no-store", "X-App-Token-Id": str(row.id)},
    )
