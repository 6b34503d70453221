"""``mshop worker`` as production runs it: a process of its own beside servers that run no
photo jobs, on their database and store; its heartbeat file for a container's health check."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session

from service.auth.roles import Role
from service.checklists import service as checklists_service
from service.config import AuthSettings, DatabaseSettings, JobSettings, Settings, StorageSettings
from service.db import transaction
from service.main import create_app
from service.photos.models import Photo, PhotoStatus
from service.standards import service as standards_service
from tests.conftest import NOW, SECRET, FrozenClock
from tests.fixtures import images
from tests.fixtures.db import database_url_for, migrated_engine
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.users import make_user
from tests.fixtures.waiting import wait_for
from tests.photos.test_router import post_photo

pytestmark = pytest.mark.slow


def test_a_worker_process_makes_the_servers_photos_ready_and_keeps_a_heartbeat(
    tmp_path: Path,
) -> None:
    url = database_url_for("photo_worker", tmp_path / "worker.db")
    engine = migrated_engine(url)
    clock = FrozenClock(NOW)
    heartbeat = tmp_path / "worker.alive"
    worker = None
    try:
        with transaction(engine) as session:
            standards_service.load_standards(session, Settings().catalogue_dir, now=NOW)
            checklists_service.load_template_files(session, Settings().templates_dir, now=NOW)
            shopper = make_user(session, Role.shopper)
            visit_id = make_visit(session, shopper=shopper).id
        server = Settings(
            database=DatabaseSettings(url=url, migrate_on_start=False),
            storage=StorageSettings(local_dir=tmp_path / "blobs"),
            auth=AuthSettings(secret_key=SecretStr(SECRET)),
            jobs=JobSettings(in_process=False),  # the worker's job, not the server's
        )
        with TestClient(create_app(server, clock=clock), base_url="http://127.0.0.1") as client:
            answer = post_photo(
                client, visit_id, bearer(shopper, clock), images.photo(), process=False
            )
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "processing"
        photo_id = uuid.UUID(answer.json()["id"])
        env = {k: v for k, v in os.environ.items() if not k.startswith("MSHOP_")} | {
            "MSHOP_DATABASE__URL": url,
            "MSHOP_STORAGE__LOCAL_DIR": str(tmp_path / "blobs"),
            "MSHOP_AUTH__SECRET_KEY": SECRET,
            "MSHOP_JOBS__POLL_SECONDS": "0.05",
            "MSHOP_JOBS__HEARTBEAT_FILE": str(heartbeat),
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "service", "worker"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

        def status() -> PhotoStatus:
            with Session(engine) as session:
                photo = session.get(Photo, photo_id)
                assert photo is not None
                return photo.status

        wait_for(lambda: status() != PhotoStatus.processing, "the worker processed the photo")
        assert status() == PhotoStatus.ready
        wait_for(heartbeat.exists, "the worker's heartbeat file")
        first = heartbeat.stat().st_mtime_ns
        time.sleep(0.2)  # rounds every 0.05 s: the file is touched again meanwhile
        wait_for(lambda: heartbeat.stat().st_mtime_ns > first, "a later heartbeat")

        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
        assert worker.returncode == 0, output
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
        engine.dispose()
