"""Photo tests run on both stores: the local folder and a real SeaweedFS S3 gateway."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from service.config import Settings, StorageBackend, StorageSettings
from service.main import create_app
from tests.conftest import FrozenClock
from tests.fixtures import photo_jobs
from tests.fixtures.s3 import PATIENT_DEADLINES


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def photo_settings(backend: str, settings: Settings, request: pytest.FixtureRequest) -> Settings:
    if backend == "local":
        return settings
    endpoint = request.getfixturevalue("seaweed")
    bucket = request.getfixturevalue("s3_bucket")
    return settings.model_copy(
        update={
            "storage": StorageSettings(backend=StorageBackend.s3),
            # What photos do with a store, not how long it may take (PATIENT_DEADLINES).
            "s3": endpoint.settings(bucket, **PATIENT_DEADLINES),
        }
    )


@pytest.fixture
def app(
    photo_settings: Settings, app: FastAPI, clock: FrozenClock, connection: Connection
) -> Iterator[FastAPI]:
    """The shared app, rebuilt on the chosen store but keeping its session override."""
    rebuilt = create_app(photo_settings, clock=clock)
    rebuilt.dependency_overrides.update(app.dependency_overrides)
    photo_jobs.install(rebuilt, connection, clock)
    yield rebuilt
    rebuilt.dependency_overrides.clear()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c
