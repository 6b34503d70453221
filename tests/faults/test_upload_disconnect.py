"""A phone that hangs up half-way through a streamed photo leaves nothing behind.

Real HTTP through uvicorn to a real SeaweedFS: the form declares the photo's size and sha256,
so its PUT to the store starts with the first bytes; the client then closes the socket. The
PUT must end short (the store keeps no object), and its stream be free for the next photo,
which is stored whole.
"""

import socket
import urllib.parse
import uuid
from pathlib import Path

import httpx2 as httpx
import pytest
from pydantic import SecretStr
from sqlmodel import Session

from service.auth.roles import Role
from service.checklists import service as checklists_service
from service.config import AuthSettings, DatabaseSettings, Settings, StorageBackend, StorageSettings
from service.main import create_app
from service.standards import service as standards_service
from service.storage.s3 import S3Store
from tests.conftest import NOW, SECRET, FrozenClock
from tests.fixtures import images
from tests.fixtures.db import migrated_engine
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.photo_forms import declared_form
from tests.fixtures.routes import api_path
from tests.fixtures.s3 import S3Endpoint
from tests.fixtures.server import running
from tests.fixtures.users import make_user
from tests.fixtures.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.s3]


def hang_up_half_way(
    base: str, path: str, headers: dict[str, str], data: bytes, store: S3Store
) -> None:
    """Send the head of the form and half the photo; once its PUT is under way, hang up."""
    boundary = uuid.uuid4().hex
    head, tail = declared_form(boundary, data)
    url = urllib.parse.urlsplit(base)
    request = [
        f"POST {path} HTTP/1.1",
        f"Host: {url.netloc}",
        f"Content-Type: multipart/form-data; boundary={boundary}",
        f"Content-Length: {len(head) + len(data) + len(tail)}",
    ] + [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(request) + "\r\n\r\n").encode() + head + data[: len(data) // 2])
        wait_for(lambda: store.streams_in_use == 1, "the upload's PUT started")


def test_a_stream_cut_by_the_client_stores_nothing_and_frees_its_slot(
    seaweed: S3Endpoint, s3_bucket: str, tmp_path: Path
) -> None:
    clock = FrozenClock(NOW)
    url = f"sqlite:///{tmp_path / 'upload.db'}"
    engine = migrated_engine(url)
    with Session(engine) as session:
        standards_service.load_standards(session, Settings().catalogue_dir, now=NOW)
        checklists_service.load_template_files(session, Settings().templates_dir, now=NOW)
        shopper = make_user(session, Role.shopper)
        visit = make_visit(session, shopper=shopper)
        session.commit()
        headers, visit_id = bearer(shopper, clock), visit.id
    engine.dispose()
    settings = Settings(
        database=DatabaseSettings(url=url, migrate_on_start=False),
        storage=StorageSettings(backend=StorageBackend.s3),
        s3=seaweed.settings(s3_bucket, stream_uploads=1),  # the next photo needs it back
        auth=AuthSettings(secret_key=SecretStr(SECRET)),
    )
    app = create_app(settings, clock=clock)
    path = api_path("upload_photo", visit_id=visit_id)
    data = images.photo(seed=7, size=(1600, 1200))
    with running(app) as base:
        store: S3Store = app.state.store
        hang_up_half_way(base, path, headers, data, store)
        # The stream is held until the server sees the hang-up and cuts the PUT short.
        wait_for(lambda: store.streams_in_use == 0, "the cut upload's PUT ended")
        assert list(store.list_keys(f"photos/{visit_id}/")) == []
        boundary = uuid.uuid4().hex
        head, tail = declared_form(boundary, data)
        whole = httpx.post(
            base + path,
            content=head + data + tail,
            headers=headers | {"Content-Type": f"multipart/form-data; boundary={boundary}"},
            timeout=30,
        )
        assert whole.status_code == 201, whole.text
        photo_id = whole.json()["id"]
        assert list(store.list_keys(f"photos/{visit_id}/")) == [
            f"photos/{visit_id}/{photo_id}/original"
        ]
        with store.open(f"photos/{visit_id}/{photo_id}/original") as stored:
            assert stored.read() == data
