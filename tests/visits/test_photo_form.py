"""The photo upload's body, read as it streams in (service/visits/photo_form.py)."""

import hashlib
import io
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.auth.models import User
from service.config import Settings, UploadSettings
from service.photos.models import Photo, PhotoStatus
from service.visits.photo_reader import MAX_FIELD_BYTES, MAX_PARTS, MemoryBudget, Reader
from tests.conftest import FrozenClock
from tests.fixtures import images
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.problems import assert_problem
from tests.fixtures.routes import api_path

MAX_BYTES = 100_000
BOUNDARY = "mshop-test-boundary"
TAKEN = "2026-03-18T10:15:30+05:00"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"upload": UploadSettings(max_bytes=MAX_BYTES)})


def fields(**overrides: str | bytes) -> dict[str, str | bytes]:
    return {
        "item_code": "ticket_photo",
        "taken_at": TAKEN,
        "client_id": str(uuid.uuid4()),
    } | overrides


def form(texts: Mapping[str, str | bytes], files: list[tuple[str, bytes]]) -> bytes:
    """A multipart body as a phone sends it: text parts, then file parts."""
    parts = []
    for name, value in texts.items():
        raw = value if isinstance(value, bytes) else value.encode()
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + raw
            + b"\r\n"
        )
    for name, data in files:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; '
            'filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def send(
    client: TestClient,
    visit_id: object,
    headers: dict[str, str],
    body: bytes,
    *,
    content_type: str = f"multipart/form-data; boundary={BOUNDARY}",
    chunked: bool = False,
) -> Any:
    def pieces() -> Iterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    return client.post(
        api_path("upload_photo", visit_id=visit_id),
        content=pieces() if chunked else body,
        headers=headers | {"Content-Type": content_type},
    )


def nothing_stored(app: FastAPI, session: Session, visit_id: uuid.UUID) -> None:
    assert session.exec(select(Photo).where(Photo.visit_id == visit_id)).all() == []
    assert list(app.state.store.list_keys("photos/")) == []


class TestReceived:
    @pytest.mark.parametrize("chunked", [False, True], ids=["declared-length", "chunked"])
    def test_the_photo_is_hashed_as_it_arrives_and_stored_as_sent(
        self,
        app: FastAPI,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        chunked: bool,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        data = images.photo()
        sent = fields()

        response = send(
            client, visit.id, bearer(shopper, clock), form(sent, [("file", data)]), chunked=chunked
        )

        assert response.status_code == 201, response.text
        body = response.json()
        assert body["sha256"] == hashlib.sha256(data).hexdigest()
        assert (body["status"], body["item_code"]) == ("processing", "ticket_photo")
        assert body["client_id"] == sent["client_id"]
        photo = session.exec(select(Photo).where(Photo.visit_id == visit.id)).one()
        assert photo.status == PhotoStatus.processing
        assert photo.size_bytes == len(data)
        with app.state.store.open(photo.original_key) as stored:
            assert stored.read() == data

    def test_fields_the_form_does_not_know_are_ignored(
        self, client: TestClient, session: Session, clock: FrozenClock, shopper: User
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        body = form(fields(app_version="2.4.1"), [("file", images.photo())])

        response = send(client, visit.id, bearer(shopper, clock), body)

        assert response.status_code == 201, response.text
        assert response.json()["item_code"] == "ticket_photo"
        assert "app_version" not in response.json()


class TestRefused:
    """Each refusal is a problem that says what is wrong, and nothing is stored."""

    @pytest.mark.parametrize(
        ("body", "content_type", "status", "code", "field"),
        [
            pytest.param(b"x", "multipart/form-data", 400, "bad-request", None, id="no-boundary"),
            pytest.param(form(fields(), []), None, 422, "validation-failed", "file", id="no-file"),
            pytest.param(
                form(fields(client_id="not-a-uuid"), [("file", images.photo())]),
                None,
                422,
                "validation-failed",
                "client_id",
                id="bad-client-id",
            ),
            pytest.param(
                form(fields(taken_at="yesterday"), [("file", images.photo())]),
                None,
                422,
                "validation-failed",
                "taken_at",
                id="bad-time",
            ),
            pytest.param(
                form(fields(item_code="x" * (MAX_FIELD_BYTES + 1)), [("file", b"\xff\xd8")]),
                None,
                400,
                "bad-request",
                None,
                id="field-too-long",
            ),
            pytest.param(
                form(fields(item_code=b"\xff\xfe"), [("file", images.photo())]),
                None,
                400,
                "bad-request",
                None,
                id="field-not-utf8",
            ),
            pytest.param(
                form(fields(), [("file", images.photo()), ("file", images.photo(seed=2))]),
                None,
                400,
                "bad-request",
                None,
                id="two-files",
            ),
            pytest.param(
                form({f"extra{i}": "x" for i in range(MAX_PARTS)}, [("file", b"x")]),
                None,
                400,
                "bad-request",
                None,
                id="too-many-parts",
            ),
            pytest.param(
                f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(),
                None,
                400,
                "bad-request",
                None,
                id="part-without-name",
            ),
            pytest.param(
                form(fields(), [("file", b"\xff\xd8" + bytes(MAX_BYTES))]),
                None,
                413,
                "payload-too-large",
                None,
                id="photo-over-the-limit",
            ),
        ],
    )
    def test_bad_bodies(
        self,
        app: FastAPI,
        client: TestClient,
        session: Session,
        clock: FrozenClock,
        shopper: User,
        body: bytes,
        content_type: str | None,
        status: int,
        code: str,
        field: str | None,
    ) -> None:
        visit = make_visit(session, shopper=shopper)
        headers = bearer(shopper, clock)

        response = (
            send(client, visit.id, headers, body, content_type=content_type)
            if content_type
            else send(client, visit.id, headers, body)
        )

        problem = assert_problem(response, status, code, field=field)
        assert problem["detail"]
        nothing_stored(app, session, visit.id)


class TestMemory:
    def test_the_budget_lends_only_what_it_has(self) -> None:
        budget = MemoryBudget(1000)

        assert budget.take(600)
        assert not budget.take(600)
        budget.give_back(600)
        assert budget.take(1000)

    def test_a_photo_that_does_not_fit_goes_to_a_temporary_file(self) -> None:
        # A capacity of its own: the process-wide budgets are shared by size.
        upload = UploadSettings(memory_bytes=1_234_567)

        def in_memory(reader: Reader) -> bool:
            reader.file = reader._holder()
            return isinstance(reader.file, io.BytesIO)

        first, second = Reader(upload, 1_000_000), Reader(upload, 1_000_000)
        assert in_memory(first)
        assert not in_memory(second)  # the budget is taken
        first.close()
        third = Reader(upload, 1_000_000)
        assert in_memory(third)  # given back on close
        unknown = Reader(upload, None)  # chunked: no length to reserve
        assert not in_memory(unknown)
        for reader in (second, third, unknown):
            reader.close()
