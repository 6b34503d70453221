"""Signing in to the console as a browser would, and a submitted visit with its photos."""

import re
import uuid
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from service.auth.models import User
from service.auth.roles import Role
from service.console.session import COOKIE, CSRF_FIELD
from service.visits.models import Visit
from tests.conftest import FrozenClock
from tests.fixtures.factories import complete_answers, make_visit, upload_required_photos
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.users import PASSWORD, make_user

TOKEN = re.compile(rf'name="{CSRF_FIELD}" value="([^"]+)"')


def csrf_of(page: Response | str) -> str:
    """The form token a page carries (every form of a page carries the same)."""
    text = page if isinstance(page, str) else page.text
    found = TOKEN.search(text)
    assert found is not None, "the page has a form with a CSRF token"
    return found.group(1)


KEY = re.compile(r'name="client_id" value="([^"]+)"')


def client_id_of(page: Response | str, action: str) -> str:
    """The client id the form posting to ``action`` carries (its idempotency key)."""
    text = page if isinstance(page, str) else page.text
    start = text.index(f'action="{action}"')
    found = KEY.search(text, start, text.index("</form>", start))
    assert found is not None, f"the form of {action} carries a client id"
    return found.group(1)


def sign_in(client: TestClient, user: User, *, next_url: str = "/console/") -> Response:
    """Open the form, then post it: the cookie and token a browser would have."""
    form = client.get("/console/signin")
    assert form.status_code == 200
    response = client.post(
        "/console/signin",
        data={
            "email": user.email,
            "password": PASSWORD,
            CSRF_FIELD: csrf_of(form),
            "next": next_url,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert client.cookies.get(COOKIE)
    return response


def signed_in(client: TestClient, session: Session, role: Role) -> User:
    user = make_user(session, role)
    sign_in(client, user)
    return user


def submitted_visit(
    client: TestClient, session: Session, clock: FrozenClock, *, shopper: User | None = None
) -> tuple[Visit, User]:
    """A visit answered, with its required photos processed, and submitted by its shopper."""
    visit, shopper = answered_visit(client, session, clock, shopper=shopper)
    resubmit(client, visit.id, shopper, clock)
    return visit, shopper


def answered_visit(
    client: TestClient, session: Session, clock: FrozenClock, *, shopper: User | None = None
) -> tuple[Visit, User]:
    """A visit answered, with its required photos processed, ready for its shopper to submit."""
    shopper = shopper or make_user(session, Role.shopper)
    visit = make_visit(session, shopper=shopper)
    headers = bearer(shopper, clock)
    checklist = client.get(
        api_path("read_checklist", checklist_id=visit.checklist_id), headers=headers
    ).json()["checklist"]
    synced = client.put(
        api_path("sync_answers", visit_id=visit.id),
        json={"answers": complete_answers(checklist)},
        headers=headers,
    )
    assert synced.status_code == 200, synced.text
    upload_required_photos(client, visit.id, headers)
    return visit, shopper


def resubmit(client: TestClient, visit_id: object, shopper: User, clock: FrozenClock) -> Any:
    body = {"client_id": str(uuid.uuid4()), "submitted_at": "2026-03-18T06:00:00Z"}
    response = client.post(
        api_path("submit_visit", visit_id=visit_id), json=body, headers=bearer(shopper, clock)
    )
    assert response.status_code == 200, response.text
    return response.json()
