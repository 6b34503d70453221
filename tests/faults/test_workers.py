"""The production process layout without Docker: several uvicorn workers, one database, one
object store. Requests land on different workers and see one consistent state."""

import datetime as dt
import json
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlmodel import Session

from service.auth.roles import Role
from service.checklists import service as checklists_service
from service.config import Settings
from service.standards import service as standards_service
from tests.conftest import NOW, SECRET, FrozenClock
from tests.fixtures import images
from tests.fixtures.db import database_url_for, migrated_engine
from tests.fixtures.factories import make_visit
from tests.fixtures.http import bearer
from tests.fixtures.photo_forms import TAKEN, photo_form
from tests.fixtures.routes import api_path
from tests.fixtures.s3 import S3Endpoint
from tests.fixtures.server import api_env, free_port
from tests.fixtures.users import make_user

ROOT = Path(__file__).resolve().parents[2]


def request(
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str = "GET",
) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as err:
        return int(err.code), err.read()


@pytest.mark.s3
def test_two_workers_on_one_database_and_store(
    seaweed: S3Endpoint, s3_bucket: str, tmp_path: Path
) -> None:
    url = database_url_for("workers", tmp_path / "workers.db")
    engine = migrated_engine(url)
    clock = FrozenClock(dt.datetime.now(dt.UTC))
    with Session(engine) as session:
        standards_service.load_standards(session, Settings().catalogue_dir, now=NOW)
        checklists_service.load_template_files(session, Settings().templates_dir, now=NOW)
        shopper = make_user(session, Role.shopper)
        visit_id = make_visit(session, shopper=shopper).id
        session.commit()
        headers = bearer(shopper, clock)
    engine.dispose()
    port = free_port()
    env = api_env(url, seaweed, s3_bucket, SECRET) | {
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")
    }
    (tmp_path / "metrics").mkdir()
    log = tmp_path / "workers.log"
    with log.open("wb") as out:
        api = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "service.main:create_app",
                "--workers",
                "2",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not (_up(base) and request(f"{base}/readyz")[0] == 200):
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        answers = [
            {
                "client_id": str(uuid.uuid4()),
                "item_code": "overall_rating",
                "value": 4,
                "answered_at": "2026-03-18T10:00:00+05:00",
            }
        ]
        body = json.dumps({"answers": answers}).encode()
        sync_headers = headers | {"Content-Type": "application/json"}
        statuses = [
            request(
                base + api_path("sync_answers", visit_id=visit_id),
                data=body,
                headers=sync_headers,
                method="PUT",
            )
            for _ in range(6)
        ]
        assert [s for s, _ in statuses] == [200] * 6
        assert [json.loads(b)["created"] for _, b in statuses] == [1, 0, 0, 0, 0, 0]
        form, content_type = photo_form(
            images.photo(),
            {"item_code": "signage_clear", "taken_at": TAKEN, "client_id": str(uuid.uuid4())},
        )
        status, _ = request(
            base + api_path("upload_photo", visit_id=visit_id),
            data=form,
            method="POST",
            headers=headers | {"Content-Type": content_type},
        )
        assert status == 201
        listed = json.loads(
            request(base + api_path("list_photos", visit_id=visit_id), headers=headers)[1]
        )
        assert len(listed["photos"]) == 1
        metrics = request(f"{base}/metrics")[1].decode()
        assert 'mshop_sync_answers_total{outcome="created"} 1.0' in metrics
        assert 'mshop_sync_answers_total{outcome="unchanged"} 5.0' in metrics
    finally:
        api.terminate()
        api.wait(timeout=30)


def _up(base: str) -> bool:
    try:
        urllib.request.urlopen(f"{base}/healthz", timeout=1)
        return True
    except OSError:
        return False
