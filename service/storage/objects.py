"""Object storage behind one interface: a local folder (embedded default) or any S3 server."""

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class StorageUnavailable(RuntimeError):
    """The object store cannot be reached or refused the operation."""


class ObjectStore(Protocol):
    def ensure_ready(self) -> None: ...
    def check(self) -> None: ...
    def put(self, key: str, data: BinaryIO, *, content_type: str) -> None: ...
    def open(self, key: str) -> BinaryIO: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...


class LocalStore:
    """Objects as files under one folder; keys are relative paths."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"object key escapes the storage folder: {key!r}")
        return path

    def ensure_ready(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def check(self) -> None:
        if not self.root.is_dir():
            raise StorageUnavailable(f"storage folder {self.root} does not exist")
        probe = self.root / ".probe"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise StorageUnavailable(f"storage folder {self.root} is not writable: {exc}") from exc

    def put(self, key: str, data: BinaryIO, *, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        with partial.open("wb") as out:
            shutil.copyfileobj(data, out, length=1024 * 1024)
        # Rename is atomic, so readers never see half an object.
        partial.replace(path)

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Store:
    """Objects in one bucket of an S3-compatible server."""

    def __init__(self, client: "S3Client", bucket: str, *, create_bucket: bool) -> None:
        self.client = client
        self.bucket = bucket
        self.create_bucket = create_bucket

    def ensure_ready(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            missing = exc.response.get("Error", {}).get("Code") in {"404", "NoSuchBucket"}
            if not (missing and self.create_bucket):
                raise StorageUnavailable(f"bucket {self.bucket}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 endpoint unreachable: {exc}") from exc
        try:
            self.client.create_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable(f"cannot create bucket {self.bucket}: {exc}") from exc

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable(f"bucket {self.bucket} unreachable: {exc}") from exc

    def put(self, key: str, data: BinaryIO, *, content_type: str) -> None:
        try:
            self.client.upload_fileobj(
                data, self.bucket, key, ExtraArgs={"ContentType": content_type}
            )
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable(f"cannot store {key}: {exc}") from exc

    def open(self, key: str) -> BinaryIO:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable(f"cannot read {key}: {exc}") from exc
        return body  # type: ignore[return-value]

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise StorageUnavailable(f"cannot check {key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"cannot check {key}: {exc}") from exc
        return True

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable(f"cannot delete {key}: {exc}") from exc
