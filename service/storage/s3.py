"""Objects in one bucket of any S3 server: production's store."""

import base64
import binascii
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from service.storage.deadline import Deadline, DeadlineExceeded, Deadlines, Running
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
from service.storage.signing import UrlSigner
from service.storage.streaming import StreamingPut, Streams

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import HeadObjectOutputTypeDef, ObjectIdentifierTypeDef

_T = TypeVar("_T")

# S3 accepts at most this many keys per DeleteObjects call.
_DELETE_BATCH = 1000
# S3 takes at most 5 GiB in one PUT; past it, only a multipart upload.
_MAX_SINGLE_PUT = 5 * 1024**3
# SigV4 presigned URLs may not outlive a week.
_MAX_PRESIGN_SECONDS = 7 * 24 * 3600
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


# boto3 reads each part whole into memory and by default sends 10 parts at once; one 8 MB
# part at a time bounds what each of many concurrent uploads holds.
TRANSFER = TransferConfig(
    multipart_threshold=8 * 1024 * 1024,
    multipart_chunksize=8 * 1024 * 1024,
    max_concurrency=1,
    use_threads=False,
)


class _S3Put:
    def __init__(self, running: Running[None], key: str) -> None:
        self._running = running
        self._key = key

    def wait(self) -> None:
        try:
            self._running.result()
        except DeadlineExceeded as exc:
            raise StorageUnavailable(f"object store: {exc}") from exc
        except (ClientError, BotoCoreError) as exc:
            raise StorageUnavailable(f"cannot store {self._key}: {exc}") from exc


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
            if exc.response.get("Error", {}).get("Code") in {
                "BucketAlreadyOwnedByYou",
                "BucketAlreadyExists",
            }:
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
        """Start storing on the store's own threads; ``wait()`` for it within the upload
        deadline. One ``PutObject`` for an object of known size, with the caller's sha256 as its
        checksum (the store refuses other bytes, and botocore hashes nothing again); a file
        is sent as it is read, a few KB at a time, so many large uploads at once hold no part
        buffers. Of unknown size, s3transfer's upload, in 8 MB parts past the threshold."""

        def upload() -> None:
            if size is not None and size <= _MAX_SINGLE_PUT:
                checksum = {"ChecksumSHA256": _sha256_base64(sha256)} if sha256 else {}
                # Bytes in memory go in one send; a file object would be read 8 KB at a time.
                body = data.getvalue() if isinstance(data, io.BytesIO) else data
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=body,
                    ContentLength=size,
                    ContentType=content_type,
                    **checksum,  # type: ignore[arg-type]
                )
                return
            self.client.upload_fileobj(
                data, self.bucket, key, ExtraArgs={"ContentType": content_type}, Config=TRANSFER
            )

        try:
            running = self._deadline.start(self._seconds.upload_seconds, upload)
        except DeadlineExceeded as exc:
            raise StorageUnavailable(f"object store: {exc}") from exc
        return _S3Put(running, key)

    def start_stream(
        self, key: str, *, content_type: str, size: int, sha256: str
    ) -> StreamingPut | None:
        """One ``PutObject`` whose body is the caller's ``write``s, its length and checksum
        declared up front, on one of ``streams`` slots (see ``service.storage.streaming``).

        Its deadline (``upload_seconds``) starts when the caller has written the last byte:
        before that, the time is the client's, not the store's. The store's cool-down after
        a missed deadline refuses a stream as it refuses any call (None: put it after)."""
        if size > _MAX_SINGLE_PUT or self._deadline.cooling_down():
            return None

        def put(body: BodyPipe) -> None:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,  # type: ignore[arg-type]  # read as a file, never sought
                ContentLength=size,
                ContentType=content_type,
                ChecksumSHA256=_sha256_base64(sha256),
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
            sha256 = _sha256_hex(head.checksum_sha256, head.checksum_type)
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

    def _head(self, key: str) -> "HeadObjectOutputTypeDef":
        def head() -> "HeadObjectOutputTypeDef":
            return self.client.head_object(Bucket=self.bucket, Key=key)

        return self._within(self._seconds.operation_seconds, head)

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
            modified: dt.datetime = self._head(key)["LastModified"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
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
        """Sign a PUT that can only create this key, once, with exactly these bytes.

        Bound into the signature, so the client must send each of ``headers`` unchanged
        (403 otherwise): the content type and exact length (the upload cannot outgrow what
        was allowed), ``x-amz-checksum-sha256`` (the store refuses other bytes, 400
        BadDigest, and keeps the checksum for ``head``) and ``If-None-Match: *`` (a PUT to a
        key that already holds an object is refused, 412: a replayed URL cannot replace or
        re-create checked evidence). Checked against SeaweedFS in tests/storage.
        """
        if content_length < 0:
            raise ValueError("content_length must not be negative")
        checksum = _sha256_base64(sha256)
        headers = {
            "Content-Type": content_type,
            "Content-Length": str(content_length),
            "x-amz-checksum-sha256": checksum,
            "If-None-Match": "*",
        }
        # The URL put_object's generate_presigned_url makes, at a quarter of its CPU.
        url = self._urls.url("PUT", key, headers, _expiry(expires_seconds))
        return PresignedPut(url=url, headers=headers)

    def presign_get(self, key: str, *, expires_seconds: int, filename: str | None = None) -> str:
        """Sign a GET URL; with ``filename`` the response downloads under that name."""
        params = {"Bucket": self.bucket, "Key": key}
        if filename is not None:
            params["ResponseContentDisposition"] = content_disposition(filename)
        return self.presign_client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=_expiry(expires_seconds), HttpMethod="GET"
        )


def _expiry(seconds: int) -> int:
    if not 1 <= seconds <= _MAX_PRESIGN_SECONDS:
        raise ValueError(f"expires_seconds must be between 1 and {_MAX_PRESIGN_SECONDS}")
    return seconds


def _sha256_base64(sha256: str) -> str:
    """S3 takes checksums as base64 of the digest; the API speaks hex."""
    try:
        digest = bytes.fromhex(sha256)
    except ValueError:
        digest = b""
    if len(digest) != 32:
        raise ValueError(f"sha256 must be 64 hex digits, not {sha256!r}")
    return base64.b64encode(digest).decode("ascii")


def _sha256_hex(value: str | None, checksum_type: str | None) -> str | None:
    """The hex SHA-256 of a whole object from a HEAD's base64 checksum and its type."""
    # A multipart upload's checksum is of its parts ("...-3"), not of the object.
    if not value or "-" in value or (checksum_type or "FULL_OBJECT") != "FULL_OBJECT":
        return None
    try:
        digest = base64.b64decode(value, validate=True)
    except binascii.Error:
        return None
    return digest.hex() if len(digest) == 32 else None


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
