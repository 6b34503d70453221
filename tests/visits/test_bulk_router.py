import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.auth.models import User
from service.auth.roles import Role
from tests.conftest import FrozenClock
from tests.fixtures.factories import make_office
from tests.fixtures.http import bearer
from tests.fixtures.users import make_user

HEADER = "service_code,office_id,shopper_email,channel,window_start_at,window_end_at,wave,deadline_case_index"


@pytest.fixture
def coordinator(session: Session) -> User:
    return make_user(session, Role.coordinator)


def upload(client: TestClient, headers: dict[str, str], text: str) -> object:
    files = {"file": ("wave.csv", text.encode(), "text/csv")}
    return client.post("/api/v1/visits/bulk", files=files, headers=headers)


def rows(session: Session, count: int, **change: str) -> str:
    office = make_office(session)
    shopper = make_user(session, Role.shopper)
    values = {
        "service_code": "S17",
        "office_id": str(office.id),
        "shopper_email": shopper.email,
        "channel": "in_person",
        "window_start_at": "2026-04-01T09:00:00+05:00",
        "window_end_at": "2026-04-01T18:00:00+05:00",
        "wave": "2026-spring",
        "deadline_case_index": "1",
    } | change
    return "\n".join([HEADER] + [",".join(values.values())] * count) + "\n"


def test_a_wave_is_assigned(
    client: TestClient, session: Session, clock: FrozenClock, coordinator: User
) -> None:
    headers = bearer(coordinator, clock)
    response = upload(client, headers, rows(session, 3))
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    assert response.json()["created"] == 3  # type: ignore[attr-defined]
    listed = client.get("/api/v1/visits?wave=2026-spring", headers=headers).json()
    assert listed["total"] == 3
    assert {v["deadline_case_index"] for v in listed["items"]} == {1}


def test_one_bad_row_refuses_the_file_and_names_every_bad_row(
    client: TestClient, session: Session, clock: FrozenClock, coordinator: User
) -> None:
    headers = bearer(coordinator, clock)
    good = rows(session, 2)
    bad_lines = [
        good.splitlines()[1].replace("S17", "S99"),
        good.splitlines()[1].replace("in_person", "fax"),
        good.splitlines()[1].replace("@", "-nobody@"),
    ]
    text = good + "\n".join(bad_lines) + "\n"
    response = upload(client, headers, text)
    assert response.status_code == 422  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["code"] == "assignment-invalid"
    assert [e["row"] for e in body["errors"]] == [4, 5, 6]
    assert "S99" in body["errors"][0]["errors"][0]
    assert "channel" in body["errors"][1]["errors"][0]
    assert "no user" in body["errors"][2]["errors"][0]
    assert client.get("/api/v1/visits?wave=2026-spring", headers=headers).json()["total"] == 0


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("service_code,colour\nS26,red\n", "unknown columns"),
        ("service_code,office_id\n", "missing columns"),
    ],
)
def test_unreadable_files(
    client: TestClient, clock: FrozenClock, coordinator: User, text: str, fragment: str
) -> None:
    response = upload(client, bearer(coordinator, clock), text)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert response.json()["code"] == "bulk-file-invalid"  # type: ignore[attr-defined]
    assert fragment in response.json()["detail"]  # type: ignore[attr-defined]


def test_too_many_rows(
    client: TestClient, session: Session, clock: FrozenClock, coordinator: User, app: object
) -> None:
    app.state.settings.limits.max_bulk_rows = 2  # type: ignore[attr-defined]
    response = upload(client, bearer(coordinator, clock), rows(session, 3))
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "more than 2 rows" in response.json()["detail"]  # type: ignore[attr-defined]
