"""Account screens: the list, new accounts, deactivation, passwords, unlocking, app tokens.

Every rule is the API's: whom a role sees, creates and manages (``auth.service`` with
``auth.roles``: coordinators manage shoppers, admins everyone), the password rules
(``auth.service.change_password``), and the phone's app token with its QR code
(``openrosa.tokens``, as ``POST /users/{id}/app-tokens/qr.png``). An account outside the
viewer's scope is the 404 page, as the API's 404 is; a role the viewer may not grant is the
403 page.
"""

import base64
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from service.auth import service as auth_service
from service.auth.deps import ClientAddress, ThrottleDep
from service.auth.models import User
from service.auth.roles import CREATABLE_ROLES, MANAGED_ROLES, Role
from service.auth.schemas import PasswordChange, UserCreate, UserUpdate
from service.console import labels
from service.console.deps import (
    CheckedForm,
    CleanQuery,
    Console,
    ConsoleForbidden,
    ConsoleNotFound,
    ConsoleProblem,
    StaffConsole,
)
from service.console.pages import page, redirect
from service.db import SessionDep
from service.errors import ServiceError
from service.openrosa import repository as tokens_repository
from service.openrosa import tokens
from service.openrosa.deps import server_url
from service.openrosa.schemas import AppTokenCreate

router = APIRouter()

PAGE_SIZE = 25
Problem = Annotated[str | None, Query(max_length=64)]


def _roles(allowed: frozenset[Role]) -> list[Role]:
    return [role for role in Role if role in allowed]


def _account(session: SessionDep, console: Console, user_id: uuid.UUID) -> User:
    assert console.user is not None
    try:
        return auth_service.managed_user(session, console.user, user_id)
    except auth_service.UserNotFound:
        raise ConsoleNotFound(console) from None


def _messages(console: Console, problem: str | None, done: str | None) -> dict[str, str | None]:
    text = labels.ADMIN_PROBLEMS.get(problem or "", labels.GENERIC_PROBLEM) if problem else None
    notice = labels.ADMIN_DONE.get(done or "") if done else None
    return {
        "problem_text": console.gettext(text) if text else None,
        "notice": console.gettext(notice) if notice else None,
    }


@router.get(
    "/accounts", response_class=HTMLResponse, name="console_accounts", dependencies=[CleanQuery]
)
def console_accounts(
    session: SessionDep,
    console: StaffConsole,
    role: Role | None = None,
    active: bool | None = None,
    email: Annotated[str | None, Query(min_length=1, max_length=254)] = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    problem: Problem = None,
) -> Response:
    """The accounts the viewer manages (as ``GET /users``), and the form for a new one."""
    assert console.user is not None
    users, total = auth_service.list_users(
        session,
        console.user,
        email=email,
        role=role,
        active=active,
        limit=PAGE_SIZE,
        offset=(page_number - 1) * PAGE_SIZE,
    )
    query = dict(console.request.query_params)
    query.pop("page", None)
    query.pop("problem", None)
    actor_role = Role(console.user.role)
    return page(
        console,
        "accounts.html",
        {
            "accounts": users,
            "total": total,
            "page": page_number,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "query": query,
            "filters": {"role": role, "active": active, "email": email},
            "visible_roles": _roles(MANAGED_ROLES[actor_role]),
            "creatable_roles": _roles(CREATABLE_ROLES[actor_role]),
            # The new-account form's key: a form sent twice makes one account.
            "new_account_client_id": uuid.uuid4(),
            **_messages(console, problem, None),
        },
    )


@router.post("/accounts", name="console_create_account")
def console_create_account(
    session: SessionDep, console: StaffConsole, form: CheckedForm
) -> RedirectResponse:
    """Create an account as ``POST /users`` does; coordinators may create shoppers only."""
    assert console.user is not None
    back = "/console/accounts"
    fields = {name: str(form.get(name, "")).strip() for name in ("email", "full_name", "phone")}
    try:
        user_in = UserCreate(
            email=fields["email"],
            full_name=fields["full_name"],
            phone=fields["phone"] or None,
            role=Role(str(form.get("role", ""))),
            password=str(form.get("password", "")),
            client_id=str(form.get("client_id", "")) or None,
        )
    except (ValueError, ValidationError) as exc:
        raise ConsoleProblem(console, back, "account-invalid") from exc
    try:
        user, _created = auth_service.create_user_as(
            session,
            console.user,
            user_in,
            now=console.now,
            min_password_length=console.settings.auth.password_min_length,
        )
    except auth_service.RoleNotGrantable:
        raise ConsoleForbidden(console) from None
    except ServiceError as exc:
        raise ConsoleProblem(console, back, exc.code) from exc
    return redirect(console, f"/console/accounts/{user.id}", done="created")


@router.get("/accounts/{user_id:uuid}", response_class=HTMLResponse, name="console_account")
def console_account(
    session: SessionDep,
    console: StaffConsole,
    user_id: uuid.UUID,
    problem: Problem = None,
    done: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """One account: its details, the moves on it and, for a shopper, the phone's app tokens."""
    account = _account(session, console, user_id)
    app_tokens = (
        tokens_repository.list_tokens(session, account.id) if account.role == Role.shopper else []
    )
    return page(
        console,
        "account.html",
        {
            "account": account,
            "app_tokens": app_tokens,
            # The app-token form's idempotency key: sent twice, it shows the same token.
            "client_id": str(uuid.uuid4()),
            **_messages(console, problem, done),
        },
    )


def _refused(console: Console, user_id: uuid.UUID, exc: Exception) -> ConsoleProblem:
    code = exc.code if isinstance(exc, ServiceError) else "account-invalid"
    return ConsoleProblem(console, f"/console/accounts/{user_id}", code)


@router.post("/accounts/{user_id:uuid}/active", name="console_set_account_active")
def console_set_account_active(
    session: SessionDep, console: StaffConsole, form: CheckedForm, user_id: uuid.UUID
) -> RedirectResponse:
    """Deactivate (or activate again) an account as ``PATCH /users/{id}`` does."""
    assert console.user is not None
    account = _account(session, console, user_id)
    active = str(form.get("active", "")) == "true"
    try:
        auth_service.update_user(console.user, account, UserUpdate(is_active=active))
    except ServiceError as exc:
        raise _refused(console, user_id, exc) from exc
    session.flush()
    done = "activated" if active else "deactivated"
    return redirect(console, f"/console/accounts/{user_id}", done=done)


@router.post("/accounts/{user_id:uuid}/password", name="console_reset_password")
def console_reset_password(
    session: SessionDep,
    console: StaffConsole,
    form: CheckedForm,
    throttle: ThrottleDep,
    address: ClientAddress,
    user_id: uuid.UUID,
) -> RedirectResponse:
    """Set a new password as ``POST /users/{id}/password``; the account's sessions end."""
    assert console.user is not None
    account = _account(session, console, user_id)
    try:
        change = PasswordChange(new_password=str(form.get("new_password", "")))
    except ValidationError as exc:
        # An empty one reads as a short one; the form caps the length at the schema's.
        raise ConsoleProblem(console, f"/console/accounts/{user_id}", "password-too-short") from exc
    try:
        auth_service.change_password(
            session,
            console.user,
            account,
            change,
            min_length=console.settings.auth.password_min_length,
            throttle=throttle,
            address=address,
            now=console.now,
        )
    except ServiceError as exc:
        raise _refused(console, user_id, exc) from exc
    return redirect(console, f"/console/accounts/{user_id}", done="password-reset")


@router.post("/accounts/{user_id:uuid}/unlock", name="console_unlock_account")
def console_unlock_account(
    session: SessionDep,
    console: StaffConsole,
    throttle: ThrottleDep,
    _form: CheckedForm,
    user_id: uuid.UUID,
) -> RedirectResponse:
    """Forget the account's failed sign-ins, as ``POST /users/{id}/unlock``."""
    account = _account(session, console, user_id)
    auth_service.unlock_user(session, account, now=console.now, throttle=throttle)
    return redirect(console, f"/console/accounts/{user_id}", done="unlocked")


@router.post(
    "/accounts/{user_id:uuid}/app-tokens",
    response_class=HTMLResponse,
    name="console_create_app_token",
)
def console_create_app_token(
    session: SessionDep, console: StaffConsole, form: CheckedForm, user_id: uuid.UUID
) -> Response:
    """Make the shopper's phone key and show its QR code, this once (never stored)."""
    assert console.user is not None
    account = _account(session, console, user_id)
    try:
        body = AppTokenCreate(
            client_id=str(form.get("client_id", "")),
            label=str(form.get("label", "")).strip() or "Collect",
        )
        row, token, _ = tokens.create(
            session,
            account,
            console.user,
            client_id=body.client_id,
            label=body.label,
            key=console.settings.auth.secret_key.get_secret_value().encode(),
            now=console.now,
            limit=console.settings.openrosa.max_app_tokens_per_user,
        )
    except (ValidationError, ServiceError) as exc:
        raise _refused(console, user_id, exc) from exc
    png = tokens.qr_png(tokens.phone_payload(server_url(console.request, token), account))
    return page(
        console,
        "app_token.html",
        {
            "account": account,
            "app_token": row,
            "qr": base64.b64encode(png).decode("ascii"),
        },
        status_code=status.HTTP_201_CREATED,
    )


@router.post(
    "/accounts/{user_id:uuid}/app-tokens/{token_id:uuid}/revoke",
    name="console_revoke_app_token",
)
def console_revoke_app_token(
    session: SessionDep,
    console: StaffConsole,
    _form: CheckedForm,
    user_id: uuid.UUID,
    token_id: uuid.UUID,
) -> RedirectResponse:
    """Stop a phone's key at once, as ``POST /users/{id}/app-tokens/{token_id}/revoke``."""
    account = _account(session, console, user_id)
    try:
        row = tokens.get(session, account, token_id)
    except tokens.AppTokenNotFound:
        raise ConsoleNotFound(console) from None
    tokens.revoke(session, row, now=console.now)
    return redirect(console, f"/console/accounts/{user_id}", done="revoked")
