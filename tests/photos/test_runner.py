"""The in-process runner: a server process on the embedded default processes its own photos.

On a database of its own (committed rows: the runner's thread has its own connections, which
the per-test rollback connection would hide rows from), with the runner on as in production.
"""

import os
import threading
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.config import JobSettings
from service.main import create_app
from service.photos.models import Photo, PhotoJob, PhotoStatus
from service.photos.runner import JobRunner
from tests.conftest import NOW, FrozenClock
from tests.fixtures import committed, images
from tests.fixtures.db import database_url_for, migrated_engine
from tests.fixtures.http import bearer
from tests.fixtures.waiting import wait_for
from tests.photos.test_router import post_photo


def test_the_app_runner_makes_an_uploaded_photo_ready(tmp_path: Path) -> None:
    url = database_url_for("photo_runner", tmp_path / "runner.db")
    engine = migrated_engine(url)
    clock = FrozenClock(NOW)
    try:
        shopper, visit_id = committed.shopper_and_visit(engine)
        settings = committed.server_settings(
            url, tmp_path, JobSettings(in_process=True, poll_seconds=0.05)
        )
        with TestClient(create_app(settings, clock=clock), base_url="http://127.0.0.1") as client:
            answer = post_photo(
                client, visit_id, bearer(shopper, clock), images.photo(), process=False
            )
            assert answer.status_code == 201, answer.text
            assert answer.json()["status"] == "processing"
            photo_id = uuid.UUID(answer.json()["id"])

            def processed() -> bool:
                with Session(engine) as session:
                    photo = session.get(Photo, photo_id)
                    assert photo is not None
                    return photo.status != PhotoStatus.processing

            wait_for(processed, "the runner processed the photo")
        with Session(engine) as session:
            photo = session.get(Photo, photo_id)
            assert photo is not None
            assert photo.status == PhotoStatus.ready
            assert session.exec(select(PhotoJob)).all() == []
        keys = sorted(p.name for p in (tmp_path / "blobs").rglob("*") if p.is_file())
        assert keys == ["display.jpg", "original", "thumb.jpg"]
    finally:
        engine.dispose()


@pytest.mark.parametrize("nice", [0, 5])
def test_the_runner_thread_runs_at_its_own_lower_priority(nice: int) -> None:
    # Linux nice values are per thread: the runner's work sees its own raised (by nothing when
    # nice is 0), and the thread that started it (a request thread, in a server) keeps its own.
    seen: list[int] = []
    worked = threading.Event()
    caller = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def work() -> int:
        if not worked.is_set():
            seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
            worked.set()
        return 0

    runner = JobRunner(work, poll_seconds=0.01, nice=nice)
    runner.start()
    # Stopped only once it has worked: on a busy machine the thread may not have run yet.
    assert worked.wait(timeout=30)
    runner.stop(timeout=10)
    assert seen == [min(caller + nice, 19)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == caller
