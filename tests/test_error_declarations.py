"""What a route answers when it refuses is what the live spec says it can answer.

Each case makes one route refuse one request and names the code it expects; the test checks
that code against the codes the route's operation declares for that status, so a route that
starts raising something new fails here until its ``responses=`` says so.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.roles import Role
from service.auth.security import encode_token
from service.config import AuthSettings
from service.spec import declared_codes
from tests.conftest import SECRET, FrozenClock
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.users import PASSWORD, make_user


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    name: str


class Api:
    """A client that addresses routes by name and remembers which route it called."""

    def __init__(self, app: FastAPI, client: TestClient, session: Session, clock: FrozenClock):
        self.app, self.client, self.session, self.clock = app, client, session, clock

    def call(
        self, method: str, name: str, *, path: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[Operation, Any]:
        url = self.app.url_path_for(name, **(path or {}))
        # The same route with its parameters as placeholders is its path in the spec.
        template = self.app.url_path_for(name, **{k: f"{{{k}}}" for k in path or {}})
        return Operation(method.lower(), template, name), self.client.request(method, url, **kw)

    def headers(self, role: Role) -> dict[str, str]:
        return bearer(make_user(self.session, role), self.clock)


# The response type of the installed TestClient; only its status, headers and json are read.
Response = Any
Case = Callable[[Api], tuple[Operation, Response]]
MISSING = uuid.UUID(int=1)


def _login_wrong_password(api: Api) -> tuple[Operation, Response]:
    user = make_user(api.session, Role.shopper)
    form = {"username": user.email, "password": "not-the-password"}
    return api.call("POST", "login", data=form)


def _refresh_garbage(api: Api) -> tuple[Operation, Response]:
    return api.call("POST", "refresh_tokens", json={"refresh_token": "not.a.token"})


def _login_pair(api: Api) -> dict[str, str]:
    user = make_user(api.session, Role.shopper)
    form = {"username": user.email, "password": PASSWORD}
    pair: dict[str, str] = api.client.post(api_path("login"), data=form).json()
    return pair


def _refresh_twice(api: Api) -> tuple[Operation, Response]:
    token = _login_pair(api)["refresh_token"]
    api.client.post(api_path("refresh_tokens"), json={"refresh_token": token})
    # Past the window in which the same token is a retry answered alike.
    api.clock.advance(seconds=AuthSettings().refresh_retry_seconds + 1)
    return api.call("POST", "refresh_tokens", json={"refresh_token": token})


def _refresh_after_logout(api: Api) -> tuple[Operation, Response]:
    token = _login_pair(api)["refresh_token"]
    api.client.post(api_path("logout"), json={"refresh_token": token})
    return api.call("POST", "refresh_tokens", json={"refresh_token": token})


def _logout_garbage(api: Api) -> tuple[Operation, Response]:
    return api.call("POST", "logout", json={"refresh_token": "not.a.token"})


def _email_look_alike(api: Api) -> tuple[Operation, Response]:
    user = make_user(api.session, Role.shopper)
    look_alike = user.email.replace("o", "\u043e")  # Cyrillic о
    body = {"email": look_alike, "full_name": "X", "role": "shopper", "password": "12345678"}
    return api.call("POST", "create_user", json=body, headers=api.headers(Role.admin))


def _me_expired(api: Api) -> tuple[Operation, Response]:
    user = make_user(api.session, Role.shopper)
    token = encode_token(
        subject=user.id,
        token_type="access",
        secret=SECRET,
        now=api.clock() - dt.timedelta(days=1),
        ttl=dt.timedelta(minutes=5),
    )
    return api.call("GET", "read_me", headers={"Authorization": f"Bearer {token}"})


def _user_exists(api: Api) -> tuple[Operation, Response]:
    user = make_user(api.session, Role.shopper)
    body = {"email": user.email, "full_name": "X", "role": "shopper", "password": "12345678"}
    return api.call("POST", "create_user", json=body, headers=api.headers(Role.admin))


def _users_as_shopper(api: Api) -> tuple[Operation, Response]:
    return api.call("GET", "list_users", headers=api.headers(Role.shopper))


def _admin_demotes_themself(api: Api) -> tuple[Operation, Response]:
    admin = make_user(api.session, Role.admin)
    return api.call(
        "PATCH",
        "update_user",
        path={"user_id": admin.id},
        json={"role": "coordinator"},
        headers=bearer(admin, api.clock),
    )


def _own_password_wrong(api: Api) -> tuple[Operation, Response]:
    user = make_user(api.session, Role.shopper)
    body = {"old_password": "not my password", "new_password": "a-long-new-password"}
    path = {"user_id": user.id}
    return api.call(
        "POST", "change_password", path=path, json=body, headers=bearer(user, api.clock)
    )


def _unlock_unknown_user(api: Api) -> tuple[Operation, Response]:
    headers = api.headers(Role.admin)
    return api.call("POST", "unlock_user", path={"user_id": MISSING}, headers=headers)


def _create_user_with_a_typo(api: Api) -> tuple[Operation, Response]:
    # create_user declares 422s of its own; the router-level check's code must join them.
    body = {"email": "new@example.kz", "full_name": "X", "role": "shopper", "password": "x" * 12}
    headers = api.headers(Role.admin)
    return api.call("POST", "create_user", params={"dryrun": "1"}, json=body, headers=headers)


def _unknown_service(api: Api) -> tuple[Operation, Response]:
    headers = api.headers(Role.shopper)
    return api.call("GET", "read_service", path={"code": "S99"}, headers=headers)


def _unknown_checklist(api: Api) -> tuple[Operation, Response]:
    headers = api.headers(Role.shopper)
    return api.call("GET", "read_checklist", path={"checklist_id": 999_999}, headers=headers)


def _checklist_not_a_template(api: Api) -> tuple[Operation, Response]:
    headers = api.headers(Role.coordinator)
    return api.call("POST", "publish_checklist", json=["not", "a", "mapping"], headers=headers)


def _unknown_office(api: Api) -> tuple[Operation, Response]:
    headers = api.headers(Role.shopper)
    return api.call("GET", "read_office", path={"office_id": 999_999}, headers=headers)


def _unknown_visit(api: Api) -> tuple[Operation, Response]:
    headers = api.headers(Role.coordinator)
    return api.call("GET", "read_visit", path={"visit_id": MISSING}, headers=headers)


def _assign_to_nobody(api: Api) -> tuple[Operation, Response]:
    visit = make_visit(api.session)
    body = {
        "service_code": visit.service_code,
        "office_id": visit.office_id,
        "shopper_id": str(MISSING),
        "channel": visit.channel,
        "window_start_at": "2026-03-18T09:00:00+05:00",
        "window_end_at": "2026-03-18T18:00:00+05:00",
    }
    return api.call("POST", "create_visit", json=body, headers=api.headers(Role.coordinator))


def _bulk_empty_file(api: Api) -> tuple[Operation, Response]:
    files = {"file": ("visits.csv", b"", "text/csv")}
    return api.call("POST", "bulk_create_visits", files=files, headers=api.headers(Role.admin))


def _sync_cancelled(api: Api) -> tuple[Operation, Response]:
    shopper = make_user(api.session, Role.shopper)
    visit = make_visit(api.session, shopper=shopper)
    path = {"visit_id": visit.id}
    _, cancelled = api.call(
        "POST",
        "cancel_visit",
        path=path,
        json={"client_id": str(uuid.uuid4()), "reason": "closed"},
        headers=api.headers(Role.admin),
    )
    assert cancelled.status_code == 200, cancelled.text
    late = {
        "client_id": str(uuid.uuid4()),
        "item_code": "overall_rating",
        "value": 1,
        "answered_at": "2026-03-18T12:00:00+05:00",
    }
    phone = bearer(shopper, api.clock)
    return api.call("PUT", "sync_answers", path=path, json={"answers": [late]}, headers=phone)


def _submit_assigned(api: Api) -> tuple[Operation, Response]:
    shopper = make_user(api.session, Role.shopper)
    visit = make_visit(api.session, shopper=shopper)
    body = {"client_id": str(uuid.uuid4()), "submitted_at": "2026-03-18T12:00:00+05:00"}
    path = {"visit_id": visit.id}
    return api.call(
        "POST", "submit_visit", path=path, json=body, headers=bearer(shopper, api.clock)
    )


def _start_as_coordinator(api: Api) -> tuple[Operation, Response]:
    visit = make_visit(api.session)
    headers = api.headers(Role.coordinator)
    return api.call("POST", "start_visit", path={"visit_id": visit.id}, headers=headers)


def _score_before_submit(api: Api) -> tuple[Operation, Response]:
    visit = make_visit(api.session)
    headers = api.headers(Role.coordinator)
    return api.call("GET", "read_score", path={"visit_id": visit.id}, headers=headers)


def _unknown_photo(api: Api) -> tuple[Operation, Response]:
    headers = api.headers(Role.coordinator)
    return api.call("GET", "read_photo_content", path={"photo_id": MISSING}, headers=headers)


def _photo_for_no_item(api: Api) -> tuple[Operation, Response]:
    shopper = make_user(api.session, Role.shopper)
    visit = make_visit(api.session, shopper=shopper)
    body = {
        "client_id": str(uuid.uuid4()),
        "item_code": "no-such-item",
        "taken_at": "2026-03-18T10:00:00+05:00",
        "size_bytes": 1000,
        "sha256": "0" * 64,
        "content_type": "image/jpeg",
    }
    path = {"visit_id": visit.id}
    return api.call(
        "POST", "start_upload", path=path, json=body, headers=bearer(shopper, api.clock)
    )


def _report_unknown_status(api: Api) -> tuple[Operation, Response]:
    headers = api.headers(Role.analyst)
    return api.call("GET", "rank_services", params={"status": "bogus"}, headers=headers)


def _bom_on_xlsx(api: Api) -> tuple[Operation, Response]:
    params = {"format": "xlsx", "bom": "true"}
    return api.call("GET", "export_visits", params=params, headers=api.headers(Role.analyst))


def _calendar_out_of_range(api: Api) -> tuple[Operation, Response]:
    headers = api.headers(Role.shopper)
    return api.call("GET", "read_calendar", path={"year": 1900}, headers=headers)


CASES: list[tuple[Case, int, str]] = [
    (_login_wrong_password, 401, "invalid-credentials"),
    (_refresh_garbage, 401, "invalid-token"),
    (_refresh_twice, 401, "token-reused"),
    (_refresh_after_logout, 401, "token-revoked"),
    (_logout_garbage, 401, "invalid-token"),
    (_email_look_alike, 409, "email-confusable"),
    (_me_expired, 401, "token-expired"),
    (_user_exists, 409, "user-exists"),
    (_users_as_shopper, 403, "forbidden"),
    (_admin_demotes_themself, 409, "self-demotion"),
    (_own_password_wrong, 403, "wrong-password"),
    (_unlock_unknown_user, 404, "user-not-found"),
    (_create_user_with_a_typo, 422, "query-parameter-unknown"),
    (_unknown_service, 404, "service-not-found"),
    (_unknown_checklist, 404, "checklist-not-found"),
    (_checklist_not_a_template, 422, "checklist-invalid"),
    (_unknown_office, 404, "office-not-found"),
    (_unknown_visit, 404, "visit-not-found"),
    (_assign_to_nobody, 422, "shopper-not-active"),
    (_bulk_empty_file, 422, "bulk-file-invalid"),
    (_sync_cancelled, 409, "visit-not-editable"),
    (_submit_assigned, 409, "transition-not-allowed"),
    (_start_as_coordinator, 403, "forbidden"),
    (_score_before_submit, 404, "score-not-found"),
    (_unknown_photo, 404, "photo-not-found"),
    (_photo_for_no_item, 422, "photo-item-invalid"),
    (_report_unknown_status, 422, "report-filters-invalid"),
    (_bom_on_xlsx, 422, "export-bom-not-csv"),
    (_calendar_out_of_range, 422, "validation-failed"),
]


def _declared(app: FastAPI, called: Operation, status: int) -> list[str]:
    operation = app.openapi()["paths"][called.path][called.method]
    assert operation["operationId"].endswith(f"-{called.name}")
    response = operation["responses"].get(str(status))
    assert response is not None, f"{called.name} does not declare {status}"
    codes = declared_codes(response)
    assert codes is not None, f"{called.name} declares {status} without its codes"
    return codes


@pytest.mark.parametrize(
    ("case", "status", "code"), CASES, ids=[case.__name__.strip("_") for case, _, _ in CASES]
)
def test_refusal_is_declared(
    app: FastAPI,
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    case: Case,
    status: int,
    code: str,
) -> None:
    called, response = case(Api(app, client, session, clock))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code, response.text
    assert code in _declared(app, called, status)
