"""A direct upload's ``complete`` killed (SIGKILL) between its steps, then retried by the phone.

Each run kills the served API at one named step of ``photos/lifecycle.py complete`` (see
``tests/faults/crashing_api.py``), restarts it, and retries ``complete`` as a phone would:
the retry finishes the upload with exactly one photo row, which the server's photo job then
makes ready with its three objects, the original byte for byte; nothing is lost and nothing stray is left for the clean-up to find.
"""

import datetime as dt
import hashlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from service.auth.roles import Role
from service.photos import lifecycle
from service.photos.models import Photo, PhotoStatus
from service.storage.client import make_s3_client
from service.storage.s3 import S3Store
from tests.conftest import SECRET, FrozenClock
from tests.faults.test_crash import ROOT, database  # noqa: F401  (the database fixture)
from tests.fixtures import images
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.routes import api_path
from tests.fixtures.s3 import S3Endpoint
from tests.fixtures.server import api_env, free_port
from tests.fixtures.users import make_user
from tests.fixtures.waiting import wait_for

# Every step ``complete`` names, in order: after the upload was checked (HEAD) and before
# the row changed; after the row was updated (and its job queued) and before the commit.
STEPS = ("object-checked", "row-flushed")


def serve(args: list[str], env: dict[str, str], port: int, log: Path) -> "subprocess.Popen[bytes]":
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, *args], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"API did not start: {log.read_text()[-2000:]}")


def call(
    url: str, *, method: str = "POST", data: bytes | None = None, headers: dict[str, str]
) -> tuple[int, Any]:
    """Status and JSON body; status 0 when the connection died with the server."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            return int(response.status), json.loads(body) if body else None
    except urllib.error.HTTPError as err:
        return int(err.code), err.read()
    except (OSError, urllib.error.URLError):
        return 0, None


@pytest.mark.s3
@pytest.mark.parametrize("step", STEPS)
def test_complete_killed_at_a_step_is_finished_by_the_retry(
    database: tuple[str, Engine],  # noqa: F811
    seaweed: S3Endpoint,
    s3_bucket: str,
    tmp_path: Path,
    step: str,
) -> None:
    url, engine = database
    clock = FrozenClock(dt.datetime.now(dt.UTC))
    with Session(engine) as session:
        shopper = make_user(session, Role.shopper)
        visit_id = make_visit(session, shopper=shopper).id
        session.commit()
        phone = bearer(shopper, clock)
    env = api_env(url, seaweed, s3_bucket, SECRET)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "api.log"
    data = images.photo(seed=31, size=(1600, 1200))
    client_id = str(uuid.uuid4())
    request = {
        "client_id": client_id,
        "item_code": "ticket_photo",
        "taken_at": "2026-03-18T10:15:30+05:00",
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "content_type": "image/jpeg",
    }
    json_headers = phone | {"Content-Type": "application/json"}

    crashing = serve(["-m", "tests.faults.crashing_api", step, str(port)], env, port, log)
    try:
        status, ticket = call(
            base + api_path("start_upload", visit_id=visit_id),
            data=json.dumps(request).encode(),
            headers=json_headers,
        )
        assert status == 201, ticket
        complete = base + api_path("complete_upload", photo_id=ticket["photo_id"])
        status, _ = call(ticket["upload_url"], method="PUT", data=data, headers=ticket["headers"])
        assert status == 200
        died, _ = call(complete, headers=phone)
        assert crashing.wait(timeout=30) == -9
    finally:
        if crashing.poll() is None:
            crashing.kill()
    assert died == 0, "complete answered instead of dying at its step"

    store = S3Store(make_s3_client(seaweed.settings(s3_bucket)), s3_bucket, create_bucket=False)
    prefix = f"photos/{visit_id}/{ticket['photo_id']}/"
    with Session(engine) as session:
        (row,) = session.exec(select(Photo).where(Photo.visit_id == visit_id)).all()
    # The kill left the reservation pending and the phone's bytes where it put them.
    assert row.status == PhotoStatus.pending
    assert store.exists(prefix + "original")
    copies = {prefix + "thumb.jpg", prefix + "display.jpg"}
    assert not copies & set(store.list_keys(prefix))  # the photo job makes them

    api = serve(
        ["-m", "uvicorn", "--factory", "service.main:create_app", "--port", str(port)],
        env,
        port,
        log,
    )
    try:
        status, done = call(complete, headers=phone)
        again, repeated = call(complete, headers=phone)
        replay, _ = call(ticket["upload_url"], method="PUT", data=data, headers=ticket["headers"])
        # The server's own job runner processes the photo.

        def ready() -> bool:
            with Session(engine) as session:
                found = session.get(Photo, uuid.UUID(ticket["photo_id"]))
                return found is not None and found.status == PhotoStatus.ready

        wait_for(ready, "the photo job finished", seconds=60)
    finally:
        api.terminate()
        api.wait(timeout=30)

    assert status == 200, done
    assert (done["id"], done["status"], done["sha256"]) == (
        ticket["photo_id"],
        "processing",
        request["sha256"],
    )
    assert (again, repeated["id"]) == (200, done["id"])
    assert repeated["status"] in ("processing", "ready")
    assert replay == 412
    with Session(engine) as session:
        rows = session.exec(select(Photo).where(Photo.client_id == uuid.UUID(client_id))).all()
        assert [(str(r.id), r.status) for r in rows] == [(ticket["photo_id"], PhotoStatus.ready)]
        assert set(store.list_keys(f"photos/{visit_id}/")) == {prefix + "original", *copies}
        with store.open(prefix + "original") as original:
            assert original.read() == data
        # Nothing stray: the clean-up finds no expired upload and no orphan, even at once.
        report = lifecycle.cleanup(
            session, store, now=dt.datetime.now(dt.UTC), grace=dt.timedelta(0)
        )
        session.commit()
    assert (report.expired_uploads, report.orphan_objects) == (0, 0)
    assert set(store.list_keys(f"photos/{visit_id}/")) == {prefix + "original", *copies}
