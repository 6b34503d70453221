import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session, col, func, select

from service.auth.models import User
from service.auth.roles import Role
from service.offices.schemas import OfficeKind
from service.visits.models import Visit
from tests.conftest import FrozenClock
from tests.fixtures.factories import make_office
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.users import make_user

COLUMNS = (
    "service_code",
    "office_id",
    "shopper_email",
    "channel",
    "window_start_at",
    "window_end_at",
    "wave",
    "deadline_case_index",
    "client_id",
)
HEADER = ",".join(COLUMNS)
SAME_MESSAGE = "no active shopper with this e-mail"


def upload(client: TestClient, headers: dict[str, str], text: str) -> Any:
    files = {"file": ("wave.csv", text.encode(), "text/csv")}
    return client.post(api_path("bulk_create_visits"), files=files, headers=headers)


def line(**change: str) -> str:
    values = {
        "service_code": "S17",
        "office_id": "",
        "shopper_email": "",
        "channel": "in_person",
        "window_start_at": "2026-04-01T09:00:00+05:00",
        "window_end_at": "2026-04-01T18:00:00+05:00",
        "wave": "2026-spring",
        "deadline_case_index": "1",
        "client_id": "",
    } | change
    return ",".join(values[c] for c in COLUMNS)


def rows(session: Session, count: int, **change: str) -> str:
    office = make_office(session)
    shopper = make_user(session, Role.shopper)
    one = line(office_id=str(office.id), shopper_email=shopper.email, **change)
    return "\n".join([HEADER] + [one] * count) + "\n"


def stored(session: Session, wave: str = "2026-spring") -> int:
    return session.exec(
        select(func.count()).select_from(Visit).where(col(Visit.wave) == wave)
    ).one()


def triples(response: Any) -> list[tuple[int, str | None, str]]:
    return [(e["row"], e["column"], e["code"]) for e in response.json()["errors"]]


def test_a_wave_is_assigned(
    client: TestClient, session: Session, clock: FrozenClock, coordinator: User
) -> None:
    headers = bearer(coordinator, clock)
    response = upload(client, headers, rows(session, 3))
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 3
    listed = client.get(api_path("list_visits") + "?wave=2026-spring", headers=headers).json()
    assert listed["total"] == 3
    assert {v["deadline_case_index"] for v in listed["items"]} == {1}


def test_a_shoppers_email_is_found_in_any_form_it_is_typed(
    client: TestClient, session: Session, clock: FrozenClock, coordinator: User
) -> None:
    """Spreadsheets keep what people type: capitals, fullwidth letters, a German ß."""
    office = make_office(session)
    shopper = make_user(session, Role.shopper, email="strasse-7@example.kz")
    typed = "ＳＴＲＡßＥ-7@Example.KZ"
    text = f"{HEADER}\n{line(office_id=str(office.id), shopper_email=typed)}\n"
    response = upload(client, bearer(coordinator, clock), text)
    assert response.json()["created"] == 1
    visit = session.exec(select(Visit).where(col(Visit.wave) == "2026-spring")).one()
    assert visit.shopper_id == shopper.id


def test_every_problem_of_every_row_comes_back_at_once(
    client: TestClient, session: Session, clock: FrozenClock, coordinator: User, shopper: User
) -> None:
    office = make_office(session, services=["S17", "S26"])
    inactive = make_user(session, Role.shopper, active=False)
    ok = {"office_id": str(office.id), "shopper_email": shopper.email}
    repeated = str(uuid.uuid4())
    lines = [
        line(**ok, client_id=repeated),  # 2: fine on its own
        line(  # 3: five cells that do not read
            **ok | {"office_id": "abc"},
            service_code="S999",
            channel="fax",
            window_start_at="tomorrow",
            window_end_at="",
        ),
        # 4: S33 has a single deadline case, so case 1 is wrong as well
        line(**ok | {"shopper_email": "nobody@example.kz"}, service_code="S33"),
        line(  # 5
            **ok | {"shopper_email": inactive.email},
            channel="call_1414",
            window_start_at="2026-03-01T09:00:00+05:00",
            window_end_at="2026-03-01T18:00:00+05:00",
        ),
        line(**ok, client_id=repeated, deadline_case_index="9"),  # 6
        line(**ok | {"office_id": "999999"}, service_code="S99"),  # 7
        line(**ok) + ",surplus",  # 8
    ]
    response = upload(client, bearer(coordinator, clock), "\n".join([HEADER, *lines]) + "\n")
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "bulk-rows-invalid"
    assert problem["detail"].startswith("6 of 7 rows have problems (16 in all); nothing was")
    assert triples(response) == [
        (3, "service_code", "value-invalid"),
        (3, "office_id", "value-invalid"),
        (3, "channel", "value-invalid"),
        (3, "window_start_at", "value-invalid"),
        (3, "window_end_at", "value-missing"),
        (4, "service_code", "service-not-offered-at-office"),
        (4, "shopper_email", "shopper-not-active"),
        (4, "deadline_case_index", "deadline-case-out-of-range"),
        (5, "channel", "channel-not-available-at-office"),
        (5, "window_end_at", "window-in-the-past"),
        (5, "shopper_email", "shopper-not-active"),
        (6, "deadline_case_index", "deadline-case-out-of-range"),
        (6, "client_id", "client-id-repeated"),
        (7, "service_code", "service-not-found"),
        (7, "office_id", "office-not-found"),
        (8, None, "value-invalid"),
    ]
    messages = {(e["row"], e["column"]): e["message"] for e in problem["errors"]}
    assert messages[(3, "service_code")] == "expected a service code such as S26"
    assert messages[(6, "client_id")] == "line 2 has the same client_id; each row needs its own"
    assert messages[(8, None)] == "the line has more cells than the header"
    assert stored(session) == 0


@pytest.mark.parametrize("who", ["unknown", "inactive", "coordinator"])
def test_a_shopper_that_cannot_be_assigned_gets_one_message(
    client: TestClient, session: Session, clock: FrozenClock, coordinator: User, who: str
) -> None:
    emails: dict[str, Callable[[], str]] = {
        "unknown": lambda: "nobody-at-all@example.kz",
        "inactive": lambda: make_user(session, Role.shopper, active=False).email,
        "coordinator": lambda: coordinator.email,
    }
    email = emails[who]()
    office = make_office(session)
    text = f"{HEADER}\n{line(office_id=str(office.id), shopper_email=email)}\n"
    response = upload(client, bearer(coordinator, clock), text)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"row": 2, "column": "shopper_email", "message": SAME_MESSAGE, "code": "shopper-not-active"}
    ]


def test_e_mails_match_whatever_their_case(
    client: TestClient, session: Session, clock: FrozenClock, coordinator: User, shopper: User
) -> None:
    office = make_office(session)
    text = f"{HEADER}\n{line(office_id=str(office.id), shopper_email=shopper.email.upper())}\n"
    response = upload(client, bearer(coordinator, clock), text)
    assert response.status_code == 201, response.text
    visit = session.get(Visit, uuid.UUID(response.json()["visits"][0]))
    assert visit is not None
    assert visit.shopper_id == shopper.id


def test_the_assignment_checks_apply_to_every_row(
    client: TestClient, session: Session, clock: FrozenClock, coordinator: User, shopper: User
) -> None:
    call = make_office(session, kind=OfficeKind.call_centre)
    text = f"{HEADER}\n" + line(
        office_id=str(call.id), shopper_email=shopper.email, channel="call_1414"
    )
    response = upload(client, bearer(coordinator, clock), text + "\n")
    assert response.status_code == 201, response.text
    visit = session.get(Visit, uuid.UUID(response.json()["visits"][0]))
    assert visit is not None
    assert (visit.channel, visit.office_id) == ("call_1414", call.id)


class TestClientIds:
    def test_sending_a_file_again_changes_nothing(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        office = make_office(session)
        shopper = make_user(session, Role.shopper)
        ids = [str(uuid.uuid4()) for _ in range(2)]
        text = "\n".join(
            [HEADER]
            + [
                line(office_id=str(office.id), shopper_email=shopper.email, client_id=i)
                for i in ids
            ]
        )
        first = upload(client, bearer(coordinator, clock), text)
        clock.advance(days=30)  # the windows are over by now: a retry is still no new visit
        again = upload(client, bearer(coordinator, clock), text)
        assert first.json()["created"] == 2
        assert again.json() == {"created": 0, "unchanged": 2, "visits": first.json()["visits"]}
        assert stored(session) == 2

    def test_a_client_id_used_for_other_content_is_a_row_problem(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        client_id = str(uuid.uuid4())
        headers = bearer(coordinator, clock)
        assert upload(client, headers, rows(session, 1, client_id=client_id)).status_code == 201
        response = upload(client, headers, rows(session, 1, client_id=client_id, wave="other"))
        assert response.status_code == 422
        assert triples(response) == [(2, "client_id", "visit-conflict")]
        assert stored(session, "other") == 0


class TestCells:
    def test_a_cell_over_the_configured_limit_is_a_row_problem(
        self,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        coordinator: User,
        app: FastAPI,
    ) -> None:
        app.state.settings.limits.max_bulk_cell_bytes = 300
        response = upload(client, bearer(coordinator, clock), rows(session, 2, wave="w" * 301))
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "row": n,
                "column": "wave",
                "message": "longer than 300 bytes",
                "code": "cell-too-long",
            }
            for n in (2, 3)
        ]

    def test_a_cell_beyond_what_csv_reads_is_422_not_500(
        self, client: TestClient, session: Session, clock: FrozenClock, coordinator: User
    ) -> None:
        text = rows(session, 1) + line(wave="w" * 140_000) + "\n"
        response = upload(client, bearer(coordinator, clock), text)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "bulk-cell-too-long"
        assert response.json()["detail"] == (
            "line 3: a cell is longer than 8192 bytes, the most a cell may hold"
        )
        assert stored(session) == 0


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def test_lookups_are_batched_whatever_the_number_of_rows(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    coordinator: User,
    statements: list[str],
) -> None:
    offices = [make_office(session) for _ in range(3)]
    shoppers = [make_user(session, Role.shopper) for _ in range(3)]
    headers = bearer(coordinator, clock)

    def reads_per_table(count: int) -> dict[str, int]:
        lines = [
            line(
                office_id=str(offices[n % 3].id),
                shopper_email=f"{n}-{shoppers[n % 3].email}",
                service_code=("S17", "S26", "S33")[n % 3],
            )
            for n in range(count)
        ]
        statements.clear()
        response = upload(client, headers, "\n".join([HEADER, *lines]))
        assert len(response.json()["errors"]) >= count
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        return {t: sum(f"FROM {t}" in s for s in selects) for t in ("users", "offices")}

    one, thirty = reads_per_table(1), reads_per_table(30)
    assert thirty == one
    assert thirty["offices"] == 1


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
    assert response.status_code == 422
    assert response.json()["code"] == "bulk-file-invalid"
    assert fragment in response.json()["detail"]


def test_too_many_rows(
    client: TestClient, session: Session, clock: FrozenClock, coordinator: User, app: FastAPI
) -> None:
    app.state.settings.limits.max_bulk_rows = 2
    response = upload(client, bearer(coordinator, clock), rows(session, 3))
    assert response.status_code == 422
    assert response.json()["code"] == "bulk-file-invalid"
    assert response.json()["detail"] == "more than 2 rows; split the file"


def test_shoppers_may_be_named_by_id(
    client: TestClient, session: Session, clock: FrozenClock, coordinator: User, shopper: User
) -> None:
    office = make_office(session)
    inactive = make_user(session, Role.shopper, active=False)
    header = HEADER.replace("shopper_email", "shopper_id")
    lines = [line(office_id=str(office.id), shopper_email=str(w.id)) for w in (shopper, inactive)]
    text = "\n".join([header, *lines])
    response = upload(client, bearer(coordinator, clock), text)
    assert response.json()["errors"] == [
        {
            "row": 3,
            "column": "shopper_id",
            "message": "no active shopper with this id",
            "code": "shopper-not-active",
        }
    ]
    good = text.splitlines()[:2]
    response = upload(client, bearer(coordinator, clock), "\n".join(good))
    assert response.status_code == 201, response.text
    visit = session.get(Visit, uuid.UUID(response.json()["visits"][0]))
    assert visit is not None
    assert visit.shopper_id == shopper.id
