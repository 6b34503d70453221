"""Unknown query parameters are refused on every route under /api/v1, by one router rule."""

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.api import API_PREFIX
from service.auth.roles import Role
from service.routing import declared_query_names
from tests.conftest import AuthHeaders
from tests.fixtures.routes import api_path

SAMPLE_PATH_VALUES = {
    "visit_id": "00000000-0000-4000-8000-000000000000",
    "photo_id": "00000000-0000-4000-8000-000000000000",
    "user_id": "00000000-0000-4000-8000-000000000000",
    "checklist_id": "1",
    "office_id": "1",
    "code": "S26",
    "year": "2026",
    "version": "2026.1",
}

API = API_PREFIX + "/"


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PATH_VALUES[m.group(1)], path)


def api_gets(app: FastAPI) -> list[str]:
    return [
        path
        for path, operations in app.openapi()["paths"].items()
        if path.startswith(API) and "get" in operations
    ]


def test_every_api_get_refuses_an_unknown_parameter(
    app: FastAPI, client: TestClient, auth_headers: AuthHeaders
) -> None:
    headers = auth_headers(Role.admin)
    paths = api_gets(app)
    assert len(paths) >= 25  # the walk really covers the API
    for path in paths:
        response = client.get(f"{concrete(path)}?zzz=1", headers=headers)
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == "query-parameter-unknown", path
        assert body["errors"][0]["loc"] == ["query", "zzz"], path


def test_every_operation_documents_its_422(app: FastAPI) -> None:
    for path, operations in app.openapi()["paths"].items():
        if path.startswith(API):
            for method, operation in operations.items():
                assert "422" in operation["responses"], (method, path)


@pytest.mark.parametrize(
    ("url", "typo", "accepted"),
    [
        (api_path("list_users") + "?emial=a@b.kz", "emial", "email"),
        (api_path("list_visits") + "?stauts=assigned", "stauts", "status"),
        (api_path("list_services") + "?agnecy=MJ", "agnecy", "agency"),
        (api_path("list_offices") + "?regoin=almaty", "regoin", "region"),
        (api_path("list_checklists") + "?servise=S26", "servise", "service"),
        (api_path("rank_services") + "?form=2026-01-01", "form", "from"),
        (api_path("export_visits") + "?fromat=csv", "fromat", "format"),
        (
            api_path("list_answers", visit_id="00000000-0000-4000-8000-000000000000")
            + "?histroy=true",
            "histroy",
            "history",
        ),
    ],
)
def test_a_typo_names_the_parameter_and_what_is_accepted(
    client: TestClient, auth_headers: AuthHeaders, url: str, typo: str, accepted: str
) -> None:
    response = client.get(url, headers=auth_headers(Role.admin))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "query-parameter-unknown"
    assert body["title"] == "Unknown query parameter"
    assert body["errors"] == [
        {"loc": ["query", typo], "msg": body["errors"][0]["msg"], "type": "query-parameter-unknown"}
    ]
    assert accepted in body["errors"][0]["msg"]
    assert typo in body["detail"]


def test_every_unknown_name_is_listed_once(client: TestClient, auth_headers: AuthHeaders) -> None:
    response = client.get(
        api_path("list_users") + "?limit=5&b=1&a=2&b=3&offset=0", headers=auth_headers(Role.admin)
    )
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["query", "b"], ["query", "a"]]


def test_declared_parameters_still_pass(client: TestClient, auth_headers: AuthHeaders) -> None:
    response = client.get(
        api_path("list_visits") + "?status=assigned&status=submitted&limit=1",
        headers=auth_headers(Role.admin),
    )
    assert response.status_code == 200, response.text
    assert response.json()["limit"] == 1


def test_writes_refuse_unknown_parameters_too(client: TestClient) -> None:
    response = client.post(
        api_path("login") + "?debug=1", data={"username": "a@b.kz", "password": "whatever"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "query-parameter-unknown"


def test_routes_outside_the_api_are_untouched(client: TestClient) -> None:
    response = client.get("/healthz?probe=1")
    assert response.status_code == 200
    assert response.json() == client.get("/healthz").json()


def test_declared_names_include_aliases_and_sub_dependencies(app: FastAPI) -> None:
    from fastapi.routing import APIRoute

    from service.visits.router import router

    route = next(r for r in router.routes if isinstance(r, APIRoute) and r.name == "list_visits")
    names = declared_query_names(route.dependant)
    assert {"status", "limit", "offset"} <= names  # alias of status_, paging from PageDep
    assert "status_" not in names
