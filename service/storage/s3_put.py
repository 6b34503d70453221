"""One object stored in S3: a single PUT of known size, else s3transfer's upload."""

import io
from typing import TYPE_CHECKING, BinaryIO

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from service.storage.checksums import sha256_base64
from service.storage.deadline import DeadlineExceeded, Running
from service.storage.objects import StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# S3 takes at most 5 GiB in one PUT; past it, only a multipart upload.
MAX_SINGLE_PUT = 5 * 1024**3

# boto3 reads each part whole into memory and by default sends 10 parts at once; one 8 MB
# part at a time bounds what each of many concurrent uploads holds.
TRANSFER = TransferConfig(
    multipart_threshold=8 * 1024 * 1024,
    multipart_chunksize=8 * 1024 * 1024,
    max_concurrency=1,
    use_threads=False,
)


class S3Put:
    """A put under way on the store's threads (``S3Store.start_put``)."""

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


def put_object(
    client: "S3Client",
    bucket: str,
    key: str,
    data: BinaryIO,
    *,
    content_type: str,
    size: int | None,
    sha256: str | None,
) -> None:
    """Store ``data`` under ``key``. One ``PutObject`` for an object of known size, with the
    caller's sha256 as its checksum (the store refuses other bytes, and botocore hashes nothing
    again); a file is sent as it is read, a few KB at a time, so many large uploads at once
    hold no part buffers. Of unknown size, or over 5 GiB, s3transfer's upload, in 8 MB parts
    past the threshold."""
    if size is not None and size <= MAX_SINGLE_PUT:
        checksum = {"ChecksumSHA256": sha256_base64(sha256)} if sha256 else {}
        # Bytes in memory go in one send; a file object would be read 8 KB at a time.
        body = data.getvalue() if isinstance(data, io.BytesIO) else data
        client.put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentLength=size,
            ContentType=content_type,
            **checksum,  # type: ignore[arg-type]
        )
        return
    client.upload_fileobj(
        data, bucket, key, ExtraArgs={"ContentType": content_type}, Config=TRANSFER
    )
