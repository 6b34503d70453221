"""Objects in one bucket of any S3 server: production's store."""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from service.storage.checksums import sha256_base64, sha256_hex
from service.storage.deadline import Deadline, DeadlineExceeded, Deadlines
from service.storage.heads import HeadFailed, SignedHeads
from service.storage.objects import (
    ObjectNotFound,
    PendingPut,
    PresignedPut,
    StorageUnavailable,
    StoredObject,
    content_disposition,
)
from service.storage.pipe import BodyPipe
from service.storage.s3_put import MAX_SINGLE_PUT, S3Put, put_object
from service.storage.signing import UrlSigner, expiry
from service.storage.streaming import StreamingPut, Streams

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

_T = TypeVar("_T")

# S3 accepts at most this many keys per DeleteObjects call.
_DELETE_BATCH = 1000
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


class S3Store:
    """Objects in one bucket of an S3-compatible server.

    ``presign_client`` signs URLs handed to browsers and phones; give it a client built with
    the public endpoint when the server is reached at another address from inside. Every call
    that reaches the server runs within ``deadlines``: past one it is StorageUnavailable.
    """

    def __init__(
        self,
        client: "S3Client",
        bucket: str,
        *,
        create_bucket: bool,
        presign_client: "S3Client | None" = None,
        deadlines: Deadlines | None = None,
        streams: int = 0,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.create_bucket = create_bucket
        self.presign_client = presign_client or client
        self._deadline = Deadline(deadlines or Deadlines())
        self._seconds = self._deadline.deadlines
        self._streams = Streams(streams, self._seconds.upload_seconds, self._deadline.missed)
        self._heads = SignedHeads(client, bucket)
        self._urls = UrlSigner(self.presign_client, bucket)

    def _within(self, seconds: float, call: Callable[[], _T], *, probe: bool = False) -> _T:
        try:
            return self._deadline.run(seconds, call, probe=probe)
        except DeadlineExceeded as exc:
            raise StorageUnavailable(f"object store: {exc}") from exc

    def ensure_ready(self) -> None:
        op = self._seconds.operation_seconds
        try:
            self._within(op, lambda: self.client.head_bucket(Bucket=self.bucket), probe=True)
            return
        except ClientError as exc:
            missing = _error_code(exc) in {"404", "NoSuchBucket"}
            if not (missing and self.create_bucket):
                raise StorageUnavailable(f"bucket {self.bucket}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 endpoint unreachable: {exc}") from exc
        try:
            self._within(op, lambda: self.client.create_bucket(Bucket=self.bucket))
        except ClientError as exc:
            # Workers starting together race to create it; the loser finds it made.
            if _error_code(exc) in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                return
            raise StorageUnavailable(f"cannot create bucket {self.bucket}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"cannot create bucket {self.bucket}: {exc}") from exc

    def check(self) -> None:
        head = lambda: self.client.head_bucket(Bucket=self.bucket)  # noqa: E731
        try:
            self._within(self._seconds.check_seconds, head, probe=True)
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable(f"bucket {self.bucket} unreachable: {exc}") from exc

    def put(
        self,
        key: str,
        data: BinaryIO,
        *,
        content_type: str,
        size: int | None = None,
        sha256: str | None = None,
    ) -> None:
        self.start_put(key, data, content_type=content_type, size=size, sha256=sha256).wait()

    def start_put(
        self,
        key: str,
        data: BinaryIO,
        *,
        content_type: str,
        size: int | None = None,
        sha256: str | None = None,
    ) -> "PendingPut":
        """Start storing on the store's own threads (``s3_put.put_object``); ``wait()`` for
        it within the upload deadline."""
        upload = partial(
            put_object,
            self.client,
            self.bucket,
            key,
            data,
            content_type=content_type,
            size=size,
            sha256=sha256,
        )
        try:
            running = self._deadline.start(self._seconds.upload_seconds, upload)
        except DeadlineExceeded as exc:
            raise StorageUnavailable(f"object store: {exc}") from exc
        return S3Put(running, key)

    def start_stream(
        self, key: str, *, content_type: str, size: int, sha256: str
    ) -> StreamingPut | None:
        """One ``PutObject`` whose body is the caller's ``write``s, its length and checksum
        declared up front, on one of ``streams`` slots (see ``service.storage.streaming``).

        Its deadline (``upload_seconds``) starts when the caller has written the last byte:
        before that, the time is the client's, not the store's. The store's cool-down after
        a missed deadline refuses a stream as it refuses any call (None: put it after)."""
        if size > MAX_SINGLE_PUT or self._deadline.cooling_down():
            return None

        def put(body: BodyPipe) -> None:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,  # type: ignore[arg-type]  # read as a file, never sought
                ContentLength=size,
                ContentType=content_type,
                ChecksumSHA256=sha256_base64(sha256),
            )

        return self._streams.start(key, size, put)

    @property
    def streams_in_use(self) -> int:
        """Streamed PUTs under way (each holds one of ``streams``)."""
        return self._streams.in_use

    def open(self, key: str) -> BinaryIO:
        try:
            get = lambda: self.client.get_object(Bucket=self.bucket, Key=key)  # noqa: E731
            body = self._within(self._seconds.operation_seconds, get)["Body"]
        except ClientError as exc:
            if _error_code(exc) in _MISSING:
                raise ObjectNotFound(key) from exc
            raise StorageUnavailable(f"cannot read {key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"cannot read {key}: {exc}") from exc
        return body  # type: ignore[return-value]

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def size(self, key: str) -> int | None:
        found = self.head(key)
        return None if found is None else found.size

    def head(self, key: str) -> StoredObject | None:
        """Size and, when the object was stored with one, its SHA-256 (a HEAD, no body)."""
        return self.head_many([key])[0]

    def head_many(self, keys: Sequence[str]) -> list[StoredObject | None]:
        """``head`` of each key, the HEADs sent at once (each within its deadline)."""

        def stored(key: str) -> StoredObject | None:
            head = self._heads.head(key)
            if head is None:
                return None
            sha256 = sha256_hex(head.checksum_sha256, head.checksum_type)
            return StoredObject(size=head.size, sha256=sha256)

        try:
            running = [
                self._deadline.start(self._seconds.operation_seconds, partial(stored, key))
                for key in keys
            ]
        except DeadlineExceeded as exc:
            raise StorageUnavailable(f"object store: {exc}") from exc
        found: list[StoredObject | None] = []
        for key, call in zip(keys, running, strict=True):
            try:
                found.append(call.result())
            except DeadlineExceeded as exc:
                raise StorageUnavailable(f"object store: {exc}") from exc
            except (HeadFailed, BotoCoreError) as exc:
                raise StorageUnavailable(f"cannot check {key}: {exc}") from exc
        return found

    def delete(self, key: str) -> None:
        drop = lambda: self.client.delete_object(Bucket=self.bucket, Key=key)  # noqa: E731
        try:
            self._within(self._seconds.operation_seconds, drop)
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable(f"cannot delete {key}: {exc}") from exc

    def delete_many(self, keys: Iterable[str]) -> None:
        batch = list(keys)
        for start in range(0, len(batch), _DELETE_BATCH):
            objects: list[ObjectIdentifierTypeDef] = [
                {"Key": key} for key in batch[start : start + _DELETE_BATCH]
            ]

            def drop(objects: "list[ObjectIdentifierTypeDef]" = objects) -> Any:
                return self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
                )

            try:
                result = self._within(self._seconds.operation_seconds, drop)
            except (ClientError, BotoCoreError) as exc:
                raise StorageUnavailable(f"cannot delete {len(objects)} objects: {exc}") from exc
            if errors := result.get("Errors"):
                first = errors[0]
                raise StorageUnavailable(
                    f"cannot delete {len(errors)} objects, e.g. {first.get('Key')}: "
                    f"{first.get('Code')} {first.get('Message')}"
                )

    def modified_at(self, key: str) -> dt.datetime | None:
        try:
            head = lambda: self.client.head_object(Bucket=self.bucket, Key=key)  # noqa: E731
            modified: dt.datetime = self._within(self._seconds.operation_seconds, head)[
                "LastModified"
            ]
        except ClientError as exc:
            if _error_code(exc) in _MISSING:
                return None
            raise StorageUnavailable(f"cannot check {key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"cannot check {key}: {exc}") from exc
        return modified

    def remove_partials(self, before: dt.datetime) -> int:
        """S3 writes are atomic: a failed PUT leaves no object (multipart leftovers are the
        bucket's lifecycle rule's to abort)."""
        return 0

    def list_keys(self, prefix: str) -> Iterator[str]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                for entry in page.get("Contents", []):
                    yield entry["Key"]
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable(f"cannot list {prefix}: {exc}") from exc

    def presign_put(
        self,
        key: str,
        *,
        content_type: str,
        content_length: int,
        sha256: str,
        expires_seconds: int,
    ) -> PresignedPut:
        """Sign a PUT that can only create this key, once, with exactly these bytes
        (``UrlSigner.put_url`` says how)."""
        return self._urls.put_url(
            key,
            content_type=content_type,
            content_length=content_length,
            sha256=sha256,
            expires_seconds=expires_seconds,
        )

    def presign_get(self, key: str, *, expires_seconds: int, filename: str | None = None) -> str:
        """Sign a GET URL; with ``filename`` the response downloads under that name."""
        params = {"Bucket": self.bucket, "Key": key}
        if filename is not None:
            params["ResponseContentDisposition"] = content_disposition(filename)
        return self.presign_client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expiry(expires_seconds), HttpMethod="GET"
        )


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
