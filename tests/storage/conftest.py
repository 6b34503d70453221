"""Storage tests run every behaviour on both backends; S3 is a real SeaweedFS on loopback."""

from pathlib import Path

import pytest

from service.storage.client import make_s3_client
from service.storage.deadline import Deadlines
from service.storage.local import LocalStore
from service.storage.objects import ObjectStore
from service.storage.s3 import S3Store
from tests.fixtures.s3 import PATIENT_DEADLINES, S3Endpoint

# These stores test what a store does, not how long it may take (``PATIENT_DEADLINES``).
PATIENT = Deadlines(
    operation_seconds=PATIENT_DEADLINES["operation_timeout_seconds"],
    upload_seconds=PATIENT_DEADLINES["upload_timeout_seconds"],
    check_seconds=PATIENT_DEADLINES["readiness_timeout_seconds"],
)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """A store not yet made ready: a folder that does not exist, or a bucket not yet created."""
    if request.param == "local":
        return LocalStore(tmp_path / "objects")
    # Looked up only here, so local-only runs never start SeaweedFS.
    endpoint: S3Endpoint = request.getfixturevalue("seaweed")
    bucket: str = request.getfixturevalue("s3_bucket")
    return S3Store(
        make_s3_client(endpoint.settings(bucket)), bucket, create_bucket=True, deadlines=PATIENT
    )


@pytest.fixture
def s3_store(seaweed: S3Endpoint, s3_bucket: str) -> S3Store:
    """An S3 store whose bucket exists."""
    store = S3Store(
        make_s3_client(seaweed.settings(s3_bucket)),
        s3_bucket,
        create_bucket=True,
        deadlines=PATIENT,
    )
    store.ensure_ready()
    return store
