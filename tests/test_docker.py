"""Docker cannot run here: check the deployment files' structure instead (CI also lints them)."""

import re

import yaml

from service.config import PROJECT_ROOT

DOCKER = PROJECT_ROOT / "docker"


def compose() -> dict:  # type: ignore[type-arg]
    data: dict = yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))  # type: ignore[type-arg]
    return data


def test_every_service_has_a_healthcheck_and_restarts() -> None:
    services = compose()["services"]
    assert set(services) == {"api", "db", "s3", "worker"}
    for name, service in services.items():
        assert "test" in service["healthcheck"], name
        assert service["restart"] == "unless-stopped", name


def test_api_waits_for_healthy_database_and_store() -> None:
    depends = compose()["services"]["api"]["depends_on"]
    assert depends == {
        "db": {"condition": "service_healthy"},
        "s3": {"condition": "service_healthy"},
    }


def test_data_lives_in_named_volumes() -> None:
    data = compose()
    assert set(data["volumes"]) == {"db-data", "s3-data"}
    assert "db-data:/var/lib/postgresql/data" in data["services"]["db"]["volumes"]


def test_secrets_come_from_the_environment_and_are_required() -> None:
    env = compose()["services"]["api"]["environment"]
    assert env["MSHOP_AUTH__SECRET_KEY"].startswith("${MSHOP_AUTH__SECRET_KEY:?")
    assert env["MSHOP_S3__SECRET_ACCESS_KEY"].startswith("${S3_SECRET_KEY:?")
    text = (DOCKER / "compose.yaml").read_text(encoding="utf-8")
    assert not re.search(r"PASSWORD:\s+[^$\s]", text), "no literal passwords"


def test_api_port_is_published_on_loopback_only() -> None:
    assert compose()["services"]["api"]["ports"] == ["127.0.0.1:8000:8000"]


def test_image_runs_as_non_root_with_workers_and_a_healthcheck() -> None:
    text = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    assert "\nUSER mshop\n" in text
    assert "HEALTHCHECK" in text
    cmd = next(line for line in text.splitlines() if line.startswith("CMD "))
    # mshop serve, not bare uvicorn: the slow-client timeouts and limits of service/serving.py.
    assert "exec mshop serve --host 0.0.0.0 --port 8000 --workers ${MSHOP_WORKERS:-4}" in cmd
    assert "uvicorn" not in cmd
    assert cmd.index("mshop db upgrade") < cmd.index("mshop serve")
    assert text.count("FROM python:3.11-slim") == 2


def test_photo_jobs_run_in_the_worker_on_the_apis_database_and_store() -> None:
    services = compose()["services"]
    api, worker = services["api"]["environment"], services["worker"]["environment"]
    assert api["MSHOP_JOBS__IN_PROCESS"] == "false"
    shared = {k: v for k, v in api.items() if k.startswith(("MSHOP_DATABASE", "MSHOP_S3"))}
    assert len(shared) == 6
    assert {k: worker[k] for k in shared} == shared
    # The worker decodes untrusted images and never signs a token: it is not given the key.
    assert "MSHOP_AUTH__SECRET_KEY" not in worker
    assert "exec mshop worker" in " ".join(services["worker"]["command"])
    assert worker["MSHOP_JOBS__METRICS_PORT"].isdigit()
    assert "ports" not in services["worker"]  # its metrics stay on the compose network
    assert services["worker"]["stop_grace_period"] == "60s"
    # The API migrates before the worker starts; the health check reads the worker's heartbeat.
    assert services["worker"]["depends_on"] == {"api": {"condition": "service_healthy"}}
    beat = worker["MSHOP_JOBS__HEARTBEAT_FILE"]
    assert f"getmtime('{beat}')" in " ".join(services["worker"]["healthcheck"]["test"])
