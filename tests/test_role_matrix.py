"""Every route against every role: who gets through and who is refused, from one table."""

import datetime as dt
import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import User
from service.auth.roles import Role
from service.auth.security import encode_token, verify_password
from tests.conftest import SECRET, AuthHeaders, FrozenClock
from tests.fixtures.routes import api_path
from tests.fixtures.users import PASSWORD, make_user

ANON = "anonymous"
EVERYONE = frozenset({ANON, *Role})
SIGNED_IN = frozenset(Role)
STAFF = frozenset({Role.admin, Role.coordinator})
ADMIN = frozenset({Role.admin})
SHOPPER = frozenset({Role.shopper})
READERS = frozenset({Role.admin, Role.coordinator, Role.analyst})
VISIT = "00000000-0000-4000-8000-000000000000"


def row(
    method: str, name: str, who: frozenset[str], query: str = "", **params: str
) -> tuple[str, str, str, frozenset[str]]:
    """A row for the API route ``name``, called at its path with ``params`` and ``query``."""
    return method, name, api_path(name, **params) + query, who


# (method, route name, the path called, who may call it)
MATRIX: list[tuple[str, str, str, frozenset[str]]] = [
    ("GET", "read_health", "/healthz", EVERYONE),
    ("GET", "read_readiness", "/readyz", EVERYONE),
    ("GET", "read_metrics", "/metrics", EVERYONE),
    row("POST", "login", EVERYONE),
    row("POST", "refresh_tokens", EVERYONE),
    row("POST", "logout", EVERYONE),
    row("GET", "read_me", SIGNED_IN),
    row("POST", "create_user", STAFF),
    row("GET", "list_users", STAFF),
    row("PATCH", "update_user", STAFF, user_id=VISIT),
    row("POST", "change_password", SIGNED_IN, user_id=VISIT),
    row("POST", "unlock_user", STAFF, user_id=VISIT),
    row("POST", "create_app_token", STAFF, user_id=VISIT),
    row("GET", "list_app_tokens", STAFF, user_id=VISIT),
    row("POST", "revoke_app_token", STAFF, user_id=VISIT, token_id=VISIT),
    row("POST", "create_app_token_qr", STAFF, user_id=VISIT),
    row("GET", "list_services", SIGNED_IN),
    row("GET", "read_service", SIGNED_IN, code="S26"),
    row("PUT", "put_service_standard", ADMIN, code="S26"),
    row("POST", "import_documents", ADMIN),
    row("GET", "list_checklists", SIGNED_IN, query="?service=S26"),
    row("GET", "read_checklist", SIGNED_IN, checklist_id="1"),
    row("POST", "publish_checklist", STAFF),
    row("POST", "create_office", STAFF),
    row("GET", "list_offices", SIGNED_IN),
    row("GET", "read_office", SIGNED_IN, office_id="1"),
    row("PATCH", "update_office", STAFF, office_id="1"),
    row("POST", "create_visit", STAFF),
    row("POST", "bulk_create_visits", STAFF),
    row("GET", "list_visits", SIGNED_IN),
    row("GET", "read_visit", SIGNED_IN, visit_id=VISIT),
    row("GET", "read_visit_history", STAFF, visit_id=VISIT),
    row("GET", "summarise_visits", STAFF),
    row("PUT", "sync_answers", SHOPPER, visit_id=VISIT),
    row("GET", "list_answers", SIGNED_IN, visit_id=VISIT),
    row("POST", "start_visit", SHOPPER, visit_id=VISIT),
    row("POST", "submit_visit", SHOPPER, visit_id=VISIT),
    row("POST", "review_visit", STAFF, visit_id=VISIT),
    row("POST", "cancel_visit", STAFF, visit_id=VISIT),
    row("POST", "reopen_visit", STAFF, visit_id=VISIT),
    row("POST", "record_visit_result", STAFF | SHOPPER, visit_id=VISIT),
    row("GET", "read_calendar", SIGNED_IN, year="2026"),
    row("GET", "read_score", SIGNED_IN, visit_id=VISIT),
    row("POST", "rescore_visit", STAFF, visit_id=VISIT),
    row("GET", "list_policies", SIGNED_IN),
    row("GET", "read_policy", SIGNED_IN, version="2026.1"),
    row("POST", "publish_policy", ADMIN),
    row("POST", "upload_photo", SHOPPER, visit_id=VISIT),
    row("GET", "list_photos", SIGNED_IN, visit_id=VISIT),
    row("DELETE", "delete_photos", ADMIN, visit_id=VISIT),
    row("POST", "start_upload", SHOPPER, visit_id=VISIT),
    row("POST", "start_uploads", SHOPPER, visit_id=VISIT),
    row("POST", "complete_upload", SHOPPER, photo_id=VISIT),
    row("POST", "complete_uploads", SHOPPER, visit_id=VISIT),
    row("GET", "read_photo_content", SIGNED_IN, photo_id=VISIT),
    row("GET", "rank_services", READERS),
    row("GET", "rank_agencies", READERS),
    row("GET", "rank_regions", READERS),
    row("GET", "rank_offices", READERS),
    row("GET", "summarise_criteria", READERS),
    row("GET", "list_findings", READERS),
    row("GET", "chart_services", READERS),
    row("GET", "chart_criteria", READERS),
    row("GET", "export_visits", READERS),
    row("GET", "export_answers", READERS),
]

# What an allowed caller gets for the matrix's request (an empty JSON body, ids nobody has): one
# status per route, the same for every allowed role, with the problem's ``code`` for an error or
# the media type for a success. A 5xx is never expected.
OUTCOME: dict[tuple[str, str], tuple[int, str]] = {
    ("GET", "read_health"): (200, "application/json"),
    ("GET", "read_readiness"): (200, "application/json"),
    ("GET", "read_metrics"): (200, "text/plain"),
    ("POST", "login"): (422, "validation-failed"),
    ("POST", "refresh_tokens"): (422, "validation-failed"),
    ("POST", "logout"): (422, "validation-failed"),
    ("GET", "read_me"): (200, "application/json"),
    ("POST", "create_user"): (422, "validation-failed"),
    ("GET", "list_users"): (200, "application/json"),
    ("PATCH", "update_user"): (404, "user-not-found"),
    ("POST", "change_password"): (422, "validation-failed"),
    ("POST", "unlock_user"): (404, "user-not-found"),
    ("POST", "create_app_token"): (422, "validation-failed"),
    ("GET", "list_app_tokens"): (404, "user-not-found"),
    ("POST", "revoke_app_token"): (404, "user-not-found"),
    ("POST", "create_app_token_qr"): (422, "validation-failed"),
    ("GET", "list_services"): (200, "application/json"),
    ("GET", "read_service"): (200, "application/json"),
    ("PUT", "put_service_standard"): (422, "validation-failed"),
    ("POST", "import_documents"): (422, "validation-failed"),
    ("GET", "list_checklists"): (200, "application/json"),
    ("GET", "read_checklist"): (404, "checklist-not-found"),
    ("POST", "publish_checklist"): (422, "checklist-invalid"),
    ("POST", "create_office"): (422, "validation-failed"),
    ("GET", "list_offices"): (200, "application/json"),
    ("GET", "read_office"): (404, "office-not-found"),
    ("PATCH", "update_office"): (404, "office-not-found"),
    ("POST", "create_visit"): (422, "validation-failed"),
    ("POST", "bulk_create_visits"): (422, "validation-failed"),
    ("GET", "list_visits"): (200, "application/json"),
    ("GET", "read_visit"): (404, "visit-not-found"),
    ("GET", "read_visit_history"): (404, "visit-not-found"),
    ("GET", "summarise_visits"): (200, "application/json"),
    # The body is checked before the visit is read (the sync reads it once, under its lock);
    # another shopper's visit with a valid body is 404 (tests/visits/test_router.py).
    ("PUT", "sync_answers"): (422, "validation-failed"),
    ("GET", "list_answers"): (404, "visit-not-found"),
    ("POST", "start_visit"): (404, "visit-not-found"),
    ("POST", "submit_visit"): (404, "visit-not-found"),
    ("POST", "review_visit"): (404, "visit-not-found"),
    ("POST", "cancel_visit"): (404, "visit-not-found"),
    ("POST", "reopen_visit"): (404, "visit-not-found"),
    ("POST", "record_visit_result"): (404, "visit-not-found"),
    ("GET", "read_calendar"): (200, "application/json"),
    ("GET", "read_score"): (404, "visit-not-found"),
    ("POST", "rescore_visit"): (404, "visit-not-found"),
    ("GET", "list_policies"): (200, "application/json"),
    ("GET", "read_policy"): (200, "application/json"),
    ("POST", "publish_policy"): (422, "validation-failed"),
    ("POST", "upload_photo"): (404, "visit-not-found"),
    ("GET", "list_photos"): (404, "visit-not-found"),
    ("DELETE", "delete_photos"): (404, "visit-not-found"),
    # As a sync's: the body is checked before the visit is read (in the route, once); another
    # shopper's visit with a valid body is 404 (tests/photos/test_direct_batch.py).
    ("POST", "start_upload"): (422, "validation-failed"),
    ("POST", "start_uploads"): (422, "validation-failed"),
    ("POST", "complete_upload"): (404, "photo-not-found"),
    ("POST", "complete_uploads"): (422, "validation-failed"),
    ("GET", "read_photo_content"): (404, "photo-not-found"),
    ("GET", "rank_services"): (200, "application/json"),
    ("GET", "rank_agencies"): (200, "application/json"),
    ("GET", "rank_regions"): (200, "application/json"),
    ("GET", "rank_offices"): (200, "application/json"),
    ("GET", "summarise_criteria"): (200, "application/json"),
    ("GET", "list_findings"): (200, "application/json"),
    ("GET", "chart_services"): (200, "image/png"),
    ("GET", "chart_criteria"): (200, "image/png"),
    ("GET", "export_visits"): (200, "text/csv"),
    ("GET", "export_answers"): (200, "text/csv"),
}

CASES = [
    pytest.param(method, name, path, who, allowed, id=f"{method} {path} as {who}")
    for method, name, path, allowed_set in MATRIX
    for who in sorted(EVERYONE)
    for allowed in [who in allowed_set]
]


def test_matrix_covers_every_route(app: FastAPI) -> None:
    # An operationId is "<tag>-<route name>" (service.api.unique_id).
    routes = {
        (method.upper(), operation["operationId"].split("-", 1)[1])
        for operations in app.openapi()["paths"].values()
        for method, operation in operations.items()
    }
    assert routes == {(m, name) for m, name, _, _ in MATRIX}
    assert set(OUTCOME) == routes


@pytest.mark.parametrize(("method", "name", "path", "who", "allowed"), CASES)
def test_role_matrix(
    client: TestClient,
    auth_headers: AuthHeaders,
    method: str,
    name: str,
    path: str,
    who: str,
    allowed: bool,
) -> None:
    headers = {} if who == ANON else auth_headers(Role(who))
    body: dict[str, object] | None = {} if method in {"POST", "PUT", "PATCH"} else None
    response = client.request(method, path, headers=headers, json=body)
    if allowed:
        status, expected = OUTCOME[(method, name)]
        assert response.status_code == status, response.text
        if status >= 400:
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == expected
        else:
            assert response.headers["content-type"].split(";")[0] == expected
            assert response.content
    elif who == ANON:
        assert response.status_code == 401
        assert response.json()["code"] == "not-authenticated"
    else:
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"


# The account routes by actor and target, exact status for each: a row is the actor, a column
# the account acted on (`self`, another account of each role, or an id nobody has).
TARGETS = ("self", "admin", "coordinator", "shopper", "analyst", "nobody")
ACCOUNT_MATRIX: dict[str, dict[str, str]] = {
    "PATCH /users/{id}": {
        "admin": "       200 200 200 200 200 404",
        "coordinator": " 404 404 404 200 404 404",
        "shopper": "     403 403 403 403 403 403",
        "analyst": "     403 403 403 403 403 403",
        "anonymous": "   401 401 401 401 401 401",
    },
    "POST /users/{id}/password": {
        "admin": "       204 204 204 204 204 404",
        "coordinator": " 204 404 404 204 404 404",
        "shopper": "     204 404 404 404 404 404",
        "analyst": "     204 404 404 404 404 404",
        "anonymous": "   401 401 401 401 401 401",
    },
    "POST /users/{id}/unlock": {
        "admin": "       204 204 204 204 204 404",
        "coordinator": " 404 404 404 204 404 404",
        "shopper": "     403 403 403 403 403 403",
        "analyst": "     403 403 403 403 403 403",
        "anonymous": "   401 401 401 401 401 401",
    },
}
ACCOUNT_ROUTES = {
    "PATCH /users/{id}": "update_user",
    "POST /users/{id}/password": "change_password",
    "POST /users/{id}/unlock": "unlock_user",
}
CODES = {401: "not-authenticated", 403: "forbidden", 404: "user-not-found"}
NEW_PASSWORD = "another long passphrase"

ACCOUNT_CASES = [
    pytest.param(route, actor, target, int(status), id=f"{route} by {actor} on {target}")
    for route, rows in ACCOUNT_MATRIX.items()
    for actor, statuses in rows.items()
    for target, status in zip(TARGETS, statuses.split(), strict=True)
]


def test_account_matrix_covers_the_account_routes(app: FastAPI) -> None:
    users = api_path("list_users") + "/"
    names = {
        operation["operationId"].split("-", 1)[1]
        for path, operations in app.openapi()["paths"].items()
        # A shopper's app tokens (tests/openrosa) are the tokens' routes, not the account's.
        if path.startswith(users) and "/app-tokens" not in path
        for operation in operations.values()
    }
    assert names == set(ACCOUNT_ROUTES.values())
    assert ACCOUNT_ROUTES.keys() == ACCOUNT_MATRIX.keys()
    assert len(ACCOUNT_CASES) == 3 * 5 * 6


@pytest.mark.parametrize(("route", "actor", "target", "status"), ACCOUNT_CASES)
def test_account_matrix(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    route: str,
    actor: str,
    target: str,
    status: int,
) -> None:
    caller = None if actor == ANON else make_user(session, Role(actor))
    acted_on: User | None
    if target == "self":
        acted_on = caller
    elif target == "nobody":
        acted_on = None
    else:
        acted_on = make_user(session, Role(target))
    target_id = str(acted_on.id) if acted_on is not None else str(uuid.uuid4())
    headers = {}
    if caller is not None:
        token = encode_token(
            subject=caller.id,
            token_type="access",
            secret=SECRET,
            now=clock(),
            ttl=dt.timedelta(minutes=30),
        )
        headers = {"Authorization": f"Bearer {token}"}
    method = route.split()[0]
    path = api_path(ACCOUNT_ROUTES[route], user_id=target_id)
    if route.startswith("PATCH"):
        body: dict[str, str] | None = {"full_name": "Renamed"}
    elif route.endswith("/password"):
        body = {"new_password": NEW_PASSWORD}
        if target == "self":
            body["old_password"] = PASSWORD
    else:
        body = None
    response = client.request(method, path, json=body, headers=headers)
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.json()["code"] == CODES[status]
        return
    assert acted_on is not None
    session.refresh(acted_on)
    if status == 200:
        assert response.json()["full_name"] == acted_on.full_name == "Renamed"
    elif route.endswith("/password"):
        assert verify_password(NEW_PASSWORD, acted_on.hashed_password)
    else:
        assert acted_on.login_reset_at == clock()
