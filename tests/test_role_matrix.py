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
from tests.fixtures.users import PASSWORD, make_user

ANON = "anonymous"
EVERYONE = frozenset({ANON, *Role})
SIGNED_IN = frozenset(Role)
STAFF = frozenset({Role.admin, Role.coordinator})
ADMIN = frozenset({Role.admin})
SHOPPER = frozenset({Role.shopper})
READERS = frozenset({Role.admin, Role.coordinator, Role.analyst})
VISIT = "00000000-0000-4000-8000-000000000000"

# (method, path template, concrete path, who may call it)
MATRIX: list[tuple[str, str, str, frozenset[str]]] = [
    ("GET", "/healthz", "/healthz", EVERYONE),
    ("GET", "/readyz", "/readyz", EVERYONE),
    ("GET", "/metrics", "/metrics", EVERYONE),
    ("POST", "/api/v1/auth/token", "/api/v1/auth/token", EVERYONE),
    ("POST", "/api/v1/auth/refresh", "/api/v1/auth/refresh", EVERYONE),
    ("GET", "/api/v1/me", "/api/v1/me", SIGNED_IN),
    ("POST", "/api/v1/users", "/api/v1/users", STAFF),
    ("GET", "/api/v1/users", "/api/v1/users", STAFF),
    ("PATCH", "/api/v1/users/{user_id}", f"/api/v1/users/{VISIT}", STAFF),
    ("POST", "/api/v1/users/{user_id}/password", f"/api/v1/users/{VISIT}/password", SIGNED_IN),
    ("POST", "/api/v1/users/{user_id}/unlock", f"/api/v1/users/{VISIT}/unlock", STAFF),
    ("GET", "/api/v1/services", "/api/v1/services", SIGNED_IN),
    ("GET", "/api/v1/services/{code}", "/api/v1/services/S26", SIGNED_IN),
    ("PUT", "/api/v1/services/{code}", "/api/v1/services/S26", ADMIN),
    ("GET", "/api/v1/checklists", "/api/v1/checklists?service=S26", SIGNED_IN),
    ("GET", "/api/v1/checklists/{checklist_id}", "/api/v1/checklists/1", SIGNED_IN),
    ("POST", "/api/v1/checklists", "/api/v1/checklists", STAFF),
    ("POST", "/api/v1/offices", "/api/v1/offices", STAFF),
    ("GET", "/api/v1/offices", "/api/v1/offices", SIGNED_IN),
    ("GET", "/api/v1/offices/{office_id}", "/api/v1/offices/1", SIGNED_IN),
    ("POST", "/api/v1/visits", "/api/v1/visits", STAFF),
    ("POST", "/api/v1/visits/bulk", "/api/v1/visits/bulk", STAFF),
    ("GET", "/api/v1/visits", "/api/v1/visits", SIGNED_IN),
    ("GET", "/api/v1/visits/{visit_id}", f"/api/v1/visits/{VISIT}", SIGNED_IN),
    ("GET", "/api/v1/visits/{visit_id}/history", f"/api/v1/visits/{VISIT}/history", STAFF),
    ("PUT", "/api/v1/visits/{visit_id}/answers", f"/api/v1/visits/{VISIT}/answers", SHOPPER),
    ("GET", "/api/v1/visits/{visit_id}/answers", f"/api/v1/visits/{VISIT}/answers", SIGNED_IN),
    ("POST", "/api/v1/visits/{visit_id}/start", f"/api/v1/visits/{VISIT}/start", SHOPPER),
    ("POST", "/api/v1/visits/{visit_id}/submit", f"/api/v1/visits/{VISIT}/submit", SHOPPER),
    ("POST", "/api/v1/visits/{visit_id}/review", f"/api/v1/visits/{VISIT}/review", STAFF),
    ("POST", "/api/v1/visits/{visit_id}/cancel", f"/api/v1/visits/{VISIT}/cancel", STAFF),
    ("POST", "/api/v1/visits/{visit_id}/reopen", f"/api/v1/visits/{VISIT}/reopen", STAFF),
    ("GET", "/api/v1/calendar/{year}", "/api/v1/calendar/2026", SIGNED_IN),
    ("GET", "/api/v1/visits/{visit_id}/score", f"/api/v1/visits/{VISIT}/score", SIGNED_IN),
    ("POST", "/api/v1/visits/{visit_id}/rescore", f"/api/v1/visits/{VISIT}/rescore", STAFF),
    ("POST", "/api/v1/visits/{visit_id}/photos", f"/api/v1/visits/{VISIT}/photos", SHOPPER),
    ("GET", "/api/v1/visits/{visit_id}/photos", f"/api/v1/visits/{VISIT}/photos", SIGNED_IN),
    ("DELETE", "/api/v1/visits/{visit_id}/photos", f"/api/v1/visits/{VISIT}/photos", ADMIN),
    (
        "POST",
        "/api/v1/visits/{visit_id}/photos/uploads",
        f"/api/v1/visits/{VISIT}/photos/uploads",
        SHOPPER,
    ),
    ("POST", "/api/v1/photos/{photo_id}/complete", f"/api/v1/photos/{VISIT}/complete", SHOPPER),
    ("GET", "/api/v1/photos/{photo_id}/content", f"/api/v1/photos/{VISIT}/content", SIGNED_IN),
    ("GET", "/api/v1/reports/services", "/api/v1/reports/services", READERS),
    ("GET", "/api/v1/reports/agencies", "/api/v1/reports/agencies", READERS),
    ("GET", "/api/v1/reports/regions", "/api/v1/reports/regions", READERS),
    ("GET", "/api/v1/reports/offices", "/api/v1/reports/offices", READERS),
    ("GET", "/api/v1/reports/criteria", "/api/v1/reports/criteria", READERS),
    ("GET", "/api/v1/reports/findings", "/api/v1/reports/findings", READERS),
    ("GET", "/api/v1/reports/services.png", "/api/v1/reports/services.png", READERS),
    ("GET", "/api/v1/reports/criteria.png", "/api/v1/reports/criteria.png", READERS),
    ("GET", "/api/v1/exports/visits", "/api/v1/exports/visits", READERS),
    ("GET", "/api/v1/exports/answers", "/api/v1/exports/answers", READERS),
]

# What an allowed caller gets for the matrix's request (an empty JSON body, ids nobody has): one
# status per route, the same for every allowed role, with the problem's ``code`` for an error or
# the media type for a success. A 5xx is never expected.
OUTCOME: dict[tuple[str, str], tuple[int, str]] = {
    ("GET", "/healthz"): (200, "application/json"),
    ("GET", "/readyz"): (200, "application/json"),
    ("GET", "/metrics"): (200, "text/plain"),
    ("POST", "/api/v1/auth/token"): (422, "validation-failed"),
    ("POST", "/api/v1/auth/refresh"): (422, "validation-failed"),
    ("GET", "/api/v1/me"): (200, "application/json"),
    ("POST", "/api/v1/users"): (422, "validation-failed"),
    ("GET", "/api/v1/users"): (200, "application/json"),
    ("PATCH", "/api/v1/users/{user_id}"): (404, "user-not-found"),
    ("POST", "/api/v1/users/{user_id}/password"): (422, "validation-failed"),
    ("POST", "/api/v1/users/{user_id}/unlock"): (404, "user-not-found"),
    ("GET", "/api/v1/services"): (200, "application/json"),
    ("GET", "/api/v1/services/{code}"): (200, "application/json"),
    ("PUT", "/api/v1/services/{code}"): (422, "validation-failed"),
    ("GET", "/api/v1/checklists"): (200, "application/json"),
    ("GET", "/api/v1/checklists/{checklist_id}"): (404, "checklist-not-found"),
    ("POST", "/api/v1/checklists"): (422, "checklist-invalid"),
    ("POST", "/api/v1/offices"): (422, "validation-failed"),
    ("GET", "/api/v1/offices"): (200, "application/json"),
    ("GET", "/api/v1/offices/{office_id}"): (404, "office-not-found"),
    ("POST", "/api/v1/visits"): (422, "validation-failed"),
    ("POST", "/api/v1/visits/bulk"): (422, "validation-failed"),
    ("GET", "/api/v1/visits"): (200, "application/json"),
    ("GET", "/api/v1/visits/{visit_id}"): (404, "visit-not-found"),
    ("GET", "/api/v1/visits/{visit_id}/history"): (404, "visit-not-found"),
    ("PUT", "/api/v1/visits/{visit_id}/answers"): (404, "visit-not-found"),
    ("GET", "/api/v1/visits/{visit_id}/answers"): (404, "visit-not-found"),
    ("POST", "/api/v1/visits/{visit_id}/start"): (404, "visit-not-found"),
    ("POST", "/api/v1/visits/{visit_id}/submit"): (404, "visit-not-found"),
    ("POST", "/api/v1/visits/{visit_id}/review"): (404, "visit-not-found"),
    ("POST", "/api/v1/visits/{visit_id}/cancel"): (404, "visit-not-found"),
    ("POST", "/api/v1/visits/{visit_id}/reopen"): (404, "visit-not-found"),
    ("GET", "/api/v1/calendar/{year}"): (200, "application/json"),
    ("GET", "/api/v1/visits/{visit_id}/score"): (404, "visit-not-found"),
    ("POST", "/api/v1/visits/{visit_id}/rescore"): (404, "visit-not-found"),
    ("POST", "/api/v1/visits/{visit_id}/photos"): (404, "visit-not-found"),
    ("GET", "/api/v1/visits/{visit_id}/photos"): (404, "visit-not-found"),
    ("DELETE", "/api/v1/visits/{visit_id}/photos"): (404, "visit-not-found"),
    ("POST", "/api/v1/visits/{visit_id}/photos/uploads"): (404, "visit-not-found"),
    ("POST", "/api/v1/photos/{photo_id}/complete"): (404, "photo-not-found"),
    ("GET", "/api/v1/photos/{photo_id}/content"): (404, "photo-not-found"),
    ("GET", "/api/v1/reports/services"): (200, "application/json"),
    ("GET", "/api/v1/reports/agencies"): (200, "application/json"),
    ("GET", "/api/v1/reports/regions"): (200, "application/json"),
    ("GET", "/api/v1/reports/offices"): (200, "application/json"),
    ("GET", "/api/v1/reports/criteria"): (200, "application/json"),
    ("GET", "/api/v1/reports/findings"): (200, "application/json"),
    ("GET", "/api/v1/reports/services.png"): (200, "image/png"),
    ("GET", "/api/v1/reports/criteria.png"): (200, "image/png"),
    ("GET", "/api/v1/exports/visits"): (200, "text/csv"),
    ("GET", "/api/v1/exports/answers"): (200, "text/csv"),
}

CASES = [
    pytest.param(method, template, path, who, allowed, id=f"{method} {path} as {who}")
    for method, template, path, allowed_set in MATRIX
    for who in sorted(EVERYONE)
    for allowed in [who in allowed_set]
]


def test_matrix_covers_every_route(app: FastAPI) -> None:
    routes = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    assert routes == {(m, template) for m, template, _, _ in MATRIX}
    assert set(OUTCOME) == routes


@pytest.mark.parametrize(("method", "template", "path", "who", "allowed"), CASES)
def test_role_matrix(
    client: TestClient,
    auth_headers: AuthHeaders,
    method: str,
    template: str,
    path: str,
    who: str,
    allowed: bool,
) -> None:
    headers = {} if who == ANON else auth_headers(Role(who))
    body: dict[str, object] | None = {} if method in {"POST", "PUT", "PATCH"} else None
    response = client.request(method, path, headers=headers, json=body)
    if allowed:
        status, expected = OUTCOME[(method, template)]
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
CODES = {401: "not-authenticated", 403: "forbidden", 404: "user-not-found"}
NEW_PASSWORD = "another long passphrase"

ACCOUNT_CASES = [
    pytest.param(route, actor, target, int(status), id=f"{route} by {actor} on {target}")
    for route, rows in ACCOUNT_MATRIX.items()
    for actor, statuses in rows.items()
    for target, status in zip(TARGETS, statuses.split(), strict=True)
]


def test_account_matrix_covers_the_account_routes(app: FastAPI) -> None:
    paths = {p for p in app.openapi()["paths"] if p.startswith("/api/v1/users/")}
    assert paths == {
        "/api/v1/users/{user_id}",
        "/api/v1/users/{user_id}/password",
        "/api/v1/users/{user_id}/unlock",
    }
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
    method, template = route.split()
    path = "/api/v1" + template.replace("{id}", target_id)
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
