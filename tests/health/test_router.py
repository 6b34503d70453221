import shutil
import threading
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine
from sqlmodel import Session

from service.auth.roles import Role
from service.config import S3Settings, Settings, StorageBackend, StorageSettings
from service.main import create_app
from service.startup import JobControl, JobState, StartupJob
from tests.conftest import FrozenClock
from tests.fixtures.http import bearer
from tests.fixtures.server import free_port
from tests.fixtures.users import make_user


@pytest.fixture
def admin(session: Session, clock: FrozenClock) -> dict[str, str]:
    return bearer(make_user(session, Role.admin), clock)


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_when_all_is_reachable(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}
    detailed = client.get("/readyz", headers=admin)
    assert detailed.json() == {"status": "ready", "checks": {"database": "ok", "storage": "ok"}}


@pytest.mark.parametrize("role", [Role.coordinator, Role.shopper, Role.analyst])
def test_readyz_details_are_for_admins_only(
    client: TestClient, session: Session, clock: FrozenClock, role: Role
) -> None:
    response = client.get("/readyz", headers=bearer(make_user(session, role), clock))
    assert response.json() == {"status": "ready"}
    forged = client.get("/readyz", headers={"Authorization": "Bearer not-a-token"})
    assert forged.json() == {"status": "ready"}


def test_readyz_when_storage_is_gone(
    client: TestClient, settings: Settings, admin: dict[str, str]
) -> None:
    shutil.rmtree(settings.storage.local_dir)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "service-unavailable"
    assert body["detail"] == "Not ready."
    assert "errors" not in body or body["errors"] is None
    assert str(settings.storage.local_dir) not in response.text
    assert response.headers["Retry-After"] == "5"
    detailed = client.get("/readyz", headers=admin).json()
    assert [e["check"] for e in detailed["errors"]] == ["storage"]
    assert str(settings.storage.local_dir) in detailed["errors"][0]["error"]


def test_readyz_when_database_is_gone(
    client: TestClient, app: FastAPI, admin: dict[str, str]
) -> None:
    app.state.engine = create_engine("sqlite:////nonexistent/dir/mshop.db")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["detail"] == "Not ready."
    detailed = client.get("/readyz", headers=admin)
    assert detailed.status_code == 503
    assert [e["check"] for e in detailed.json()["errors"]] == ["database"]


@pytest.fixture
def dead_s3_client(settings: Settings, app: FastAPI, clock: FrozenClock) -> Iterator[TestClient]:
    dead = S3Settings(
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        bucket="secret-bucket-name",
        access_key_id=SecretStr("a"),
        secret_access_key=SecretStr("b"),
    )
    down = create_app(
        settings.model_copy(
            update={"storage": StorageSettings(backend=StorageBackend.s3), "s3": dead}
        ),
        clock=clock,
    )
    down.dependency_overrides.update(app.dependency_overrides)
    with TestClient(down, base_url="http://127.0.0.1") as client:
        yield client


def test_readyz_never_tells_anonymous_callers_the_store_address(
    dead_s3_client: TestClient, admin: dict[str, str]
) -> None:
    response = dead_s3_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["detail"] == "Not ready."
    assert "127.0.0.1" not in response.text
    assert "secret-bucket-name" not in response.text
    detailed = dead_s3_client.get("/readyz", headers=admin).json()
    assert "secret-bucket-name" in detailed["errors"][0]["error"]


class TestStartupJobs:
    """Work the server does once it is up (the demo data): not ready until it is done."""

    @pytest.fixture
    def gate(self) -> threading.Event:
        return threading.Event()

    @pytest.fixture
    def job(self, app: FastAPI, gate: threading.Event) -> Iterator[StartupJob]:
        def work(job: JobControl) -> None:
            job.report("generating visits: 200 of 1000")
            gate.wait(timeout=30)

        job = StartupJob("demo data", work)
        app.state.jobs = (job,)
        yield job
        gate.set()
        job.stop(timeout=30)

    def test_running_job_is_503_with_its_progress_for_everyone(
        self, client: TestClient, job: StartupJob, admin: dict[str, str]
    ) -> None:
        job.start()
        while job.progress != "generating visits: 200 of 1000":
            threading.Event().wait(0.01)
        response = client.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["code"] == "service-unavailable"
        assert body["detail"] == "Not ready: demo data: generating visits: 200 of 1000."
        assert body.get("errors") is None
        # Soon worth asking again: a job moves on within seconds.
        assert response.headers["Retry-After"] == "1"
        detailed = client.get("/readyz", headers=admin).json()
        assert detailed["errors"] == [
            {"check": "demo data", "state": "running", "error": "generating visits: 200 of 1000"}
        ]

    def test_other_routes_answer_while_the_job_runs(
        self, client: TestClient, job: StartupJob
    ) -> None:
        job.start()
        health = client.get("/healthz")
        assert (health.status_code, health.json()["status"]) == (200, "ok")
        assert job.state is JobState.running

    def test_ready_once_the_job_is_done(
        self, client: TestClient, job: StartupJob, gate: threading.Event, admin: dict[str, str]
    ) -> None:
        job.start()
        gate.set()
        assert job.wait(timeout=30)
        assert client.get("/readyz").json() == {"status": "ready"}
        assert client.get("/readyz", headers=admin).json()["checks"] == {
            "database": "ok",
            "storage": "ok",
            "demo data": "ok",
        }

    def test_a_failed_job_stays_not_ready(self, app: FastAPI, client: TestClient) -> None:
        def work(_job: JobControl) -> None:
            raise RuntimeError("the catalogue is broken")

        job = StartupJob("demo data", work)
        app.state.jobs = (job,)
        job.start()
        assert job.wait(timeout=30)
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["detail"] == (
            "Not ready: demo data: failed (RuntimeError); see the server log."
        )
        assert "the catalogue is broken" not in response.text


def test_the_app_starts_its_jobs_and_stops_them_when_it_ends(
    settings: Settings, clock: FrozenClock
) -> None:
    stopped = threading.Event()

    def work(job: JobControl) -> None:
        while not job.stopping():
            threading.Event().wait(0.01)
        stopped.set()

    job = StartupJob("sample", work)
    app = create_app(settings, clock=clock, jobs=[job])
    states = [job.state]
    with TestClient(app, base_url="http://127.0.0.1"):
        states.append(job.state)
    states.append(job.state)
    assert states == [JobState.pending, JobState.running, JobState.stopped]
    assert stopped.is_set()
