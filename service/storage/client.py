"""Build the configured object store; no client exists until the app asks for one."""

from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from service.config import S3Settings, StorageBackend, StorageSettings
from service.storage.deadline import Deadlines
from service.storage.local import LocalStore
from service.storage.objects import ObjectStore
from service.storage.s3 import S3Store

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def make_s3_client(s3: S3Settings) -> "S3Client":
    return boto3.client(
        "s3",
        endpoint_url=s3.endpoint_url,
        region_name=s3.region,
        aws_access_key_id=s3.access_key_id.get_secret_value() if s3.access_key_id else None,
        aws_secret_access_key=(
            s3.secret_access_key.get_secret_value() if s3.secret_access_key else None
        ),
        config=Config(
            signature_version="s3v4",
            # Every body carries a checksum the store verifies (the caller's sha256, else
            # botocore's CRC32) and the signature covers it, so hashing each body again for
            # the signature (SigV4 does over plain HTTP) would only cost a photo's worth of CPU.
            s3={"addressing_style": "path", "payload_signing_enabled": False},
            connect_timeout=s3.connect_timeout_seconds,
            read_timeout=s3.read_timeout_seconds,
            # total_max_attempts counts the first try (max_attempts would count retries only).
            retries={"total_max_attempts": s3.max_attempts, "mode": "standard"},
        ),
    )


def make_store(storage: StorageSettings, s3: S3Settings) -> ObjectStore:
    if storage.backend is StorageBackend.s3:
        public = (
            make_s3_client(s3.model_copy(update={"endpoint_url": s3.public_endpoint_url}))
            if s3.public_endpoint_url
            else None
        )
        deadlines = Deadlines(
            operation_seconds=s3.operation_timeout_seconds,
            upload_seconds=s3.upload_timeout_seconds,
            check_seconds=s3.readiness_timeout_seconds,
            cooldown_seconds=s3.cooldown_seconds,
        )
        return S3Store(
            make_s3_client(s3),
            s3.bucket,
            create_bucket=s3.create_bucket,
            presign_client=public,
            deadlines=deadlines,
            streams=s3.stream_uploads,
        )
    return LocalStore(storage.local_dir)
