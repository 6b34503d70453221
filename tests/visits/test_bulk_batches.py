"""A bulk assignment is checked whole reading only, then written in batches of its own.

See ``service/visits/bulk_write.py``: all or nothing to the user through the bulk's key, each
row written once whatever the retries, the write lock free between batches.
"""

import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, event
from sqlmodel import Session, col, func, select

from service.auth.models import User
from service.auth.roles import Role
from service.checklists import service as checklists_service
from service.checklists.models import Checklist
from service.config import AuthSettings, DatabaseSettings, LimitSettings, Settings, StorageSettings
from service.main import create_app
from service.offices.models import Office
from service.standards import service as standards_service
from service.visits import bulk_plan, bulk_write, repository_bulk
from service.visits.models import Visit, VisitBulk, VisitEvent
from tests.conftest import NOW, SECRET, FrozenClock
from tests.fixtures.db import database_url_for, drop_postgres_database, migrated_engine
from tests.fixtures.factories import make_office
from tests.fixtures.http import bearer
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path
from tests.fixtures.users import PASSWORD, make_user

HEADER = "service_code,office_id,shopper_email,channel,window_start_at,window_end_at,wave"
WAVE = "2026-spring"


def csv(office: Office, shoppers: list[User], count: int, **cells: str) -> str:
    """``count`` valid rows over three services and four days; ``cells`` change every row."""
    lines = []
    for n in range(count):
        row = {
            "service_code": ("S17", "S26", "S33")[n % 3],
            "office_id": str(office.id),
            "shopper_email": shoppers[n % len(shoppers)].email,
            "channel": "in_person",
            "window_start_at": f"2026-04-0{1 + n % 4}T09:00:00+05:00",
            "window_end_at": f"2026-04-0{1 + n % 4}T18:00:00+05:00",
            "wave": WAVE,
        } | cells
        lines.append(",".join(row[c] for c in HEADER.split(",")))
    return "\n".join([HEADER, *lines]) + "\n"


def upload(
    client: TestClient, headers: dict[str, str], text: str, client_id: uuid.UUID | None = None
) -> Any:
    files = {"file": ("wave.csv", text.encode(), "text/csv")}
    data = {"client_id": str(client_id)} if client_id else None
    return client.post(api_path("bulk_create_visits"), files=files, data=data, headers=headers)


def stored(session: Session) -> list[Visit]:
    session.expire_all()
    return list(
        session.exec(select(Visit).where(col(Visit.wave) == WAVE).order_by(col(Visit.bulk_row)))
    )


def bulks(session: Session) -> list[VisitBulk]:
    return list(session.exec(select(VisitBulk)))


@pytest.fixture
def office(session: Session) -> Office:
    return make_office(session)


@pytest.fixture
def shoppers(session: Session) -> list[User]:
    return [make_user(session, Role.shopper) for _ in range(3)]


@pytest.fixture
def batches(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Batches of 3 rows; the list gets each batch's size as it is written."""
    app.state.settings.limits.bulk_batch_rows = 3
    sizes: list[int] = []
    write = bulk_write.write_batch

    def counted(session: Session, writer: Any, batch: list[Any], *, last: bool) -> Any:
        sizes.append(len(batch))
        return write(session, writer, batch, last=last)

    monkeypatch.setattr(bulk_write, "write_batch", counted)
    return sizes


def test_a_bulk_of_many_batches_is_one_result(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    coordinator: User,
    office: Office,
    shoppers: list[User],
    batches: list[int],
) -> None:
    response = upload(client, bearer(coordinator, clock), csv(office, shoppers, 8))
    assert response.status_code == 201, response.text
    assert batches == [3, 3, 2]
    body = response.json()
    visits = stored(session)
    assert body == {"created": 8, "unchanged": 0, "visits": [str(v.id) for v in visits]}
    [bulk] = bulks(session)
    assert (bulk.rows, bulk.created_by_id, bulk.finished_at) == (8, coordinator.id, clock())
    # Each row of the file once, in order, every one with its assign event.
    assert [(v.bulk_id, v.bulk_row) for v in visits] == [(bulk.id, n) for n in range(2, 10)]
    assert [v.shopper_id for v in visits] == [shoppers[n % 3].id for n in range(8)]
    events = session.exec(
        select(VisitEvent.visit_id, VisitEvent.action, VisitEvent.to_status).where(
            col(VisitEvent.visit_id).in_([v.id for v in visits])
        )
    ).all()
    assert sorted(events) == sorted((v.id, "assign", "assigned") for v in visits)
    listed = client.get(
        api_path("list_visits"), params={"wave": WAVE}, headers=bearer(coordinator, clock)
    )
    assert listed.json()["total"] == 8


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def writes(statements: list[str]) -> list[str]:
    return [
        s for s in statements if s.lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]


def test_a_bad_row_among_many_writes_nothing_not_even_a_checklist(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    coordinator: User,
    office: Office,
    shoppers: list[User],
    batches: list[int],
    statements: list[str],
) -> None:
    checklists = session.exec(select(func.count()).select_from(Checklist)).one()
    text = csv(office, shoppers, 7).splitlines()
    text[6] = text[6].replace(f",{office.id},", ",999999,")  # line 7
    statements.clear()
    response = upload(client, bearer(coordinator, clock), "\n".join(text))
    body = assert_problem(response, 422, "bulk-rows-invalid")
    assert body["errors"] == [
        {
            "row": 7,
            "column": "office_id",
            "message": "there is no office 999999",
            "code": "office-not-found",
        }
    ]
    # Checked reading only: no batch, no statement that writes, no checklist stored.
    assert batches == []
    assert writes(statements) == []
    assert stored(session) == []
    assert bulks(session) == []
    assert session.exec(select(func.count()).select_from(Checklist)).one() == checklists


def test_a_checklist_the_check_only_built_is_stored_by_the_batch(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    coordinator: User,
    office: Office,
    shoppers: list[User],
    batches: list[int],
) -> None:
    response = upload(client, bearer(coordinator, clock), csv(office, shoppers, 4))
    assert response.status_code == 201, response.text
    visits = stored(session)
    pinned = {v.service_code: session.get(Checklist, v.checklist_id) for v in visits}
    assert {code: c.service_code if c else None for code, c in pinned.items()} == {
        "S17": "S17",
        "S26": "S26",
        "S33": "S33",
    }
    again = client.post(
        api_path("create_visit"),
        json={
            "service_code": "S17",
            "office_id": office.id,
            "shopper_id": str(shoppers[0].id),
            "channel": "in_person",
            "window_start_at": "2026-04-02T09:00:00+05:00",
            "window_end_at": "2026-04-02T18:00:00+05:00",
        },
        headers=bearer(coordinator, clock),
    )
    assert again.json()["checklist_id"] == visits[0].checklist_id


def assert_crashed(response: Any) -> None:
    """The crash reached the client as an unexpected error, not as an answer of the bulk."""
    assert_problem(response, 500, "internal-error")


@pytest.fixture
def crash_after_first_batch(
    batches: list[int], monkeypatch: pytest.MonkeyPatch
) -> Callable[[], None]:
    """Make the second batch fail as a process killed between batches would; returns the
    function that lets batches through again."""
    counted = bulk_write.write_batch
    failing = [True]

    def crashing(session: Session, writer: Any, batch: list[Any], *, last: bool) -> Any:
        if failing[0] and len(batches) == 1:
            raise RuntimeError("killed between batches")
        return counted(session, writer, batch, last=last)

    monkeypatch.setattr(bulk_write, "write_batch", crashing)
    return lambda: failing.__setitem__(0, False)


@pytest.mark.parametrize("keyed", [True, False], ids=["client-id", "same-file"])
def test_a_retry_after_a_crash_between_batches_writes_each_row_once(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    coordinator: User,
    office: Office,
    shoppers: list[User],
    batches: list[int],
    crash_after_first_batch: Callable[[], None],
    keyed: bool,
) -> None:
    key = uuid.uuid4() if keyed else None
    text = csv(office, shoppers, 8)
    headers = bearer(coordinator, clock)
    assert_crashed(upload(client, headers, text, key))
    first = stored(session)
    assert [v.bulk_row for v in first] == [2, 3, 4]  # the first batch was committed
    [bulk] = bulks(session)
    assert bulk.finished_at is None
    if keyed:
        assert bulk.client_id == key

    crash_after_first_batch()  # the process is back
    clock.advance(hours=1)
    headers = bearer(coordinator, clock)
    response = upload(client, headers, text, key)
    assert response.status_code == 201, response.text
    visits = stored(session)
    assert [v.bulk_row for v in visits] == list(range(2, 10))  # each row exactly once
    assert response.json() == {
        "created": 5,
        "unchanged": 3,
        "visits": [str(v.id) for v in visits],
    }
    assert [v.id for v in visits[:3]] == [v.id for v in first]
    session.refresh(bulk)
    assert bulk.finished_at == clock()
    assert len(bulks(session)) == 1
    # Sent once more, the bulk is complete: nothing written, the same visits.
    assert upload(client, headers, text, key).json() == response.json() | {
        "created": 0,
        "unchanged": 8,
    }
    assert len(stored(session)) == 8


def test_a_batch_whose_rows_another_try_wrote_meanwhile_skips_them(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    coordinator: User,
    office: Office,
    shoppers: list[User],
    batches: list[int],
    crash_after_first_batch: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key, text, headers = uuid.uuid4(), csv(office, shoppers, 8), bearer(coordinator, clock)
    assert_crashed(upload(client, headers, text, key))
    crash_after_first_batch()
    first = [v.id for v in stored(session)]
    # The check and the first batch do not see the rows written before, as when a parallel
    # try of the bulk writes them in between: the batch's insert hits the unique key, rolls
    # back alone and is written again after reading them.
    read, stale = repository_bulk.bulk_rows, [2]

    def reading(*args: Any, **kw: Any) -> dict[int, uuid.UUID]:
        if stale[0]:
            stale[0] -= 1
            return {}
        return read(*args, **kw)

    monkeypatch.setattr(repository_bulk, "bulk_rows", reading)
    response = upload(client, headers, text, key)
    assert response.status_code == 201, response.text
    assert stale == [0]
    assert batches == [3, 3, 3, 2]  # the crashed try's first batch, then this one's three
    visits = stored(session)
    assert [v.bulk_row for v in visits] == list(range(2, 10))
    assert response.json() == {
        "created": 5,
        "unchanged": 3,
        "visits": [str(v.id) for v in visits],
    }
    assert [v.id for v in visits[:3]] == first


def test_a_client_id_used_for_other_rows_is_409(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    coordinator: User,
    office: Office,
    shoppers: list[User],
    batches: list[int],
    crash_after_first_batch: Callable[[], None],
) -> None:
    key = uuid.uuid4()
    headers = bearer(coordinator, clock)
    assert_crashed(upload(client, headers, csv(office, shoppers, 8), key))
    crash_after_first_batch()
    other = csv(office, shoppers, 8, wave="autumn")
    body = assert_problem(upload(client, headers, other, key), 409, "bulk-conflict")
    assert body["detail"].startswith(f"client_id {key} was used for a bulk of other rows (8 rows")
    assert [v.bulk_row for v in stored(session)] == [2, 3, 4]
    assert session.exec(select(func.count()).select_from(Visit)).one() == 3


def test_the_same_file_is_one_bulk_per_account(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    coordinator: User,
    office: Office,
    shoppers: list[User],
) -> None:
    text = csv(office, shoppers, 4)
    first = upload(client, bearer(coordinator, clock), text)
    again = upload(client, bearer(coordinator, clock), text)
    assert again.json() == {"created": 0, "unchanged": 4, "visits": first.json()["visits"]}
    # Another coordinator sending the same file makes a wave of their own.
    colleague = make_user(session, Role.coordinator)
    theirs = upload(client, bearer(colleague, clock), text)
    assert theirs.json()["created"] == 4
    assert set(theirs.json()["visits"]).isdisjoint(first.json()["visits"])
    assert len(stored(session)) == 8


def test_the_batch_size_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().limits.bulk_batch_rows == 200
    monkeypatch.setenv("MSHOP_LIMITS__BULK_BATCH_ROWS", "50")
    assert Settings().limits.bulk_batch_rows == 50


# --- Other requests between batches, on a real SQLite file ---------------------------------


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[Path, Engine]]:
    """A migrated SQLite file with the catalogue, used by the real app (no test rollback)."""
    path = tmp_path / "bulk.db"
    engine = migrated_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        standards_service.load_standards(session, Settings().catalogue_dir, now=NOW)
        checklists_service.load_template_files(session, Settings().templates_dir, now=NOW)
        session.commit()
    yield path, engine
    engine.dispose()


def write_at_once(path: Path, email: str, phone: str) -> str | None:
    """Write in a connection of its own that will not wait for SQLite's write lock: None when
    written, else SQLite's refusal ("database is locked")."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE users SET phone = ? WHERE email = ?", (phone, email))
        conn.execute("COMMIT")
        return None
    except sqlite3.OperationalError as exc:
        return str(exc)
    finally:
        conn.close()


def test_other_requests_write_between_the_batches(
    sqlite_file: tuple[Path, Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, engine = sqlite_file
    clock = FrozenClock(NOW)
    with Session(engine, expire_on_commit=False) as session:
        office = make_office(session)
        shoppers = [make_user(session, Role.shopper) for _ in range(3)]
        coordinator = make_user(session, Role.coordinator)
        session.commit()
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite:///{path}", migrate_on_start=False),
        storage=StorageSettings(local_dir=tmp_path / "blobs"),
        auth=AuthSettings(secret_key=SecretStr(SECRET)),
        limits=LimitSettings(bulk_batch_rows=3),
    )
    email = shoppers[0].email
    probes: dict[str, list[str | None]] = {"check": [], "batch": [], "between": []}
    logins: list[Any] = []
    check, insert, write = bulk_plan.plan, repository_bulk.insert_visits, bulk_write.write_batch

    def checking(*args: Any, **kw: Any) -> Any:
        planned = check(*args, **kw)
        probes["check"].append(write_at_once(path, email, "+7 700 000 00 01"))
        return planned

    def inserting(*args: Any, **kw: Any) -> None:
        insert(*args, **kw)
        probes["batch"].append(write_at_once(path, email, "+7 700 000 00 02"))

    def writing(session: Session, writer: Any, batch: list[Any], *, last: bool) -> Any:
        made = write(session, writer, batch, last=last)
        probes["between"].append(write_at_once(path, email, f"+7 700 000 00 1{len(batch)}"))
        if not logins:  # a phone logs in, through the app, while the bulk is under way
            other = threading.Thread(
                target=lambda: logins.append(
                    client.post(api_path("login"), data={"username": email, "password": PASSWORD})
                )
            )
            other.start()
            other.join(timeout=60)
        return made

    monkeypatch.setattr(bulk_plan, "plan", checking)
    monkeypatch.setattr(repository_bulk, "insert_visits", inserting)
    monkeypatch.setattr(bulk_write, "write_batch", writing)
    with TestClient(create_app(settings, clock=clock), base_url="http://127.0.0.1") as client:
        response = upload(client, bearer(coordinator, clock), csv(office, shoppers, 8))

    assert response.status_code == 201, response.text
    assert response.json()["created"] == 8
    # The check took no write lock; each batch held it (the probe can tell) and let it go.
    assert probes["check"] == [None]
    assert [p is not None and "locked" in p for p in probes["batch"]] == [True] * 3
    assert probes["between"] == [None] * 3
    [login] = logins
    assert login.status_code == 200, login.text
    assert login.json()["token_type"] == "bearer"
    with Session(engine) as session:
        assert session.exec(select(User.phone).where(col(User.email) == email)).one() == (
            "+7 700 000 00 12"
        )
        visits = session.exec(select(func.count()).select_from(Visit)).one()
        assert visits == 8


@pytest.fixture
def real_database(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """The suite's kind of database (SQLite, or PostgreSQL when asked for), fresh, with the
    catalogue, used by the real app with its own transactions (no test rollback)."""
    url = database_url_for("bulk_race", tmp_path / "race.db")
    engine = migrated_engine(url)
    with Session(engine) as session:
        standards_service.load_standards(session, Settings().catalogue_dir, now=NOW)
        checklists_service.load_template_files(session, Settings().templates_dir, now=NOW)
        session.commit()
    yield url, engine
    engine.dispose()
    if url.startswith("postgresql"):
        drop_postgres_database(url)


def test_two_tries_of_one_bulk_at_once_write_each_row_once(
    real_database: tuple[str, Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, engine = real_database
    # Both tries check the file before either writes: each finds no bulk, and both write.
    checked = threading.Barrier(2, timeout=30)
    check = bulk_plan.plan

    def checking(*args: Any, **kw: Any) -> Any:
        planned = check(*args, **kw)
        checked.wait()
        return planned

    monkeypatch.setattr(bulk_plan, "plan", checking)
    clock = FrozenClock(NOW)
    with Session(engine, expire_on_commit=False) as session:
        office = make_office(session)
        shoppers = [make_user(session, Role.shopper) for _ in range(3)]
        coordinator = make_user(session, Role.coordinator)
        session.commit()
    settings = Settings(
        database=DatabaseSettings(url=url, migrate_on_start=False),
        storage=StorageSettings(local_dir=tmp_path / "blobs"),
        auth=AuthSettings(secret_key=SecretStr(SECRET)),
        limits=LimitSettings(bulk_batch_rows=2),
    )
    text, key, headers = csv(office, shoppers, 12), uuid.uuid4(), bearer(coordinator, clock)
    start = threading.Barrier(2)
    with TestClient(create_app(settings, clock=clock), base_url="http://127.0.0.1") as client:

        def send(_: int) -> Any:
            start.wait()
            return upload(client, headers, text, key)

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(send, range(2)))

    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    one, other = (a.json() for a in answers)
    # Whichever wrote which batch, both answer for the whole file with the same visits.
    assert one["visits"] == other["visits"]
    assert one["created"] + other["created"] == 12
    with Session(engine) as session:
        rows = session.exec(select(Visit.id, Visit.bulk_row).order_by(col(Visit.bulk_row))).all()
        assert [str(visit_id) for visit_id, _ in rows] == one["visits"]
        assert [row for _, row in rows] == list(range(2, 14))
        assert session.exec(select(func.count()).select_from(VisitEvent)).one() == 12
        assert session.exec(select(func.count()).select_from(VisitBulk)).one() == 1
