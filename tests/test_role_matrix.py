"""Every route against every role: who gets through and who is refused, from one table."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.auth.roles import Role
from tests.conftest import AuthHeaders

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

CASES = [
    pytest.param(method, path, who, allowed, id=f"{method} {path} as {who}")
    for method, _, path, allowed_set in MATRIX
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


@pytest.mark.parametrize(("method", "path", "who", "allowed"), CASES)
def test_role_matrix(
    client: TestClient, auth_headers: AuthHeaders, method: str, path: str, who: str, allowed: bool
) -> None:
    headers = {} if who == ANON else auth_headers(Role(who))
    kwargs: dict[str, object] = {"headers": headers}
    if method in {"POST", "PUT"}:
        kwargs["json"] = {}
    response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    if allowed:
        assert response.status_code not in (401, 403), response.text
    elif who == ANON:
        assert response.status_code == 401
        assert response.json()["code"] == "not-authenticated"
    else:
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
