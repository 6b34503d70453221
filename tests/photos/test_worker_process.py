"""``mshop worker`` as production runs it: a process of its own beside servers that run no
photo jobs, on their database and store, without the token-signing key; its heartbeat file for
a container's health check and its own metrics."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.config import JobSettings
from service.main import create_app
from service.photos.models import Photo, PhotoStatus
from tests.conftest import NOW, FrozenClock
from tests.fixtures import committed, images
from tests.fixtures.db import database_url_for, migrated_engine
from tests.fixtures.http import bearer
from tests.fixtures.server import free_port
from tests.fixtures.waiting import wait_for
from tests.photos.test_router import post_photo

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_process_makes_the_servers_photos_ready_and_keeps_a_heartbeat(
    tmp_path: Path,
) -> None:
    url = database_url_for("photo_worker", tmp_path / "worker.db")
    engine = migrated_engine(url)
    clock = FrozenClock(NOW)
    heartbeat = tmp_path / "beats" / "worker.alive"  # its folder made by the worker
    heartbeat.parent.mkdir()
    heartbeat.write_text("from a run before this one")
    stale = heartbeat.stat().st_mtime_ns
    log = tmp_path / "worker.log"
    port = free_port()
    worker = None
    try:
        shopper, visit_id = committed.shopper_and_visit(engine)
        # Jobs off: the worker's job, not the server's.
        server = committed.server_settings(url, tmp_path, JobSettings(in_process=False))
        with TestClient(create_app(server, clock=clock), base_url="http://127.0.0.1") as client:
            answer = post_photo(
                client, visit_id, bearer(shopper, clock), images.photo(), process=False
            )
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "processing"
        photo_id = uuid.UUID(answer.json()["id"])
        env = {k: v for k, v in os.environ.items() if not k.startswith("MSHOP_")} | {
            "PYTHONPATH": str(ROOT),
            "MSHOP_DATABASE__URL": url,
            "MSHOP_STORAGE__LOCAL_DIR": str(tmp_path / "blobs"),
            "MSHOP_JOBS__POLL_SECONDS": "0.05",
            "MSHOP_JOBS__NICE": "0",
            "MSHOP_JOBS__HEARTBEAT_FILE": str(heartbeat),
            "MSHOP_JOBS__METRICS_PORT": str(port),
        }
        with log.open("w") as output:
            worker = subprocess.Popen(
                [sys.executable, "-m", "service", "worker"],
                env=env,
                cwd=tmp_path,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

        def running(check: Callable[[], bool]) -> Callable[[], bool]:
            def alive_and() -> bool:
                assert worker is not None
                assert worker.poll() is None, f"the worker ended: {log.read_text()[-3000:]}"
                return check()

            return alive_and

        def status() -> PhotoStatus:
            with Session(engine) as session:
                photo = session.get(Photo, photo_id)
                assert photo is not None
                return photo.status

        wait_for(running(lambda: status() != PhotoStatus.processing), "the photo processed")
        assert status() == PhotoStatus.ready, log.read_text()[-3000:]
        # The stale file went at start; the worker's own rounds touch it, again and again.
        wait_for(running(heartbeat.exists), "the worker's heartbeat file")
        first = heartbeat.stat().st_mtime_ns
        assert first > stale
        time.sleep(0.2)  # rounds every 0.05 s: the file is touched again meanwhile
        wait_for(running(lambda: heartbeat.stat().st_mtime_ns > first), "a later heartbeat")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as scraped:
            metrics = scraped.read().decode()
        assert 'mshop_photo_jobs_total{outcome="ready"} 1.0' in metrics

        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, log.read_text()[-3000:]
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
        engine.dispose()
