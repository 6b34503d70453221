"""Object storage behind one interface: a local folder (``storage.local``, the embedded
default) or any S3 server (``storage.s3``). What callers hold is an ``ObjectStore``."""

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol
from urllib.parse import quote

from service.storage.streaming import StreamingPut


class StorageUnavailable(RuntimeError):
    """The object store cannot be reached, refused the operation or missed its deadline."""


class ObjectNotFound(LookupError):
    """No object is stored under the key."""


@dataclass(frozen=True)
class StoredObject:
    """What a HEAD tells about a stored object without reading it."""

    size: int
    # The hex SHA-256 of the whole object when the store keeps one (S3 stores it for a PUT
    # that sent x-amz-checksum-sha256, such as a direct upload's); None otherwise.
    sha256: str | None = None


@dataclass(frozen=True)
class PresignedPut:
    """A URL to PUT one object to, and the headers the client must send with it: each is
    part of the signature, so leaving one out or changing it is refused (403)."""

    url: str
    headers: dict[str, str]


class PendingPut(Protocol):
    def wait(self) -> None:
        """Return once the object is stored.

        Raises:
            StorageUnavailable: the store refused it or missed its deadline.
        """


class ObjectStore(Protocol):
    def ensure_ready(self) -> None: ...
    def check(self) -> None: ...
    def put(
        self,
        key: str,
        data: BinaryIO,
        *,
        content_type: str,
        size: int | None = None,
        sha256: str | None = None,
    ) -> None:
        """Store ``data`` under ``key``. ``size`` and ``sha256`` (hex), when the caller knows
        them, let an S3 store send it in one PUT that the store checks against the hash."""

    def start_put(
        self,
        key: str,
        data: BinaryIO,
        *,
        content_type: str,
        size: int | None = None,
        sha256: str | None = None,
    ) -> "PendingPut":
        """``put``, under way while the caller does other work: nothing else may read
        ``data`` until ``wait()`` has returned or raised."""

    def start_stream(
        self, key: str, *, content_type: str, size: int, sha256: str
    ) -> StreamingPut | None:
        """A PUT of exactly ``size`` bytes hashing to ``sha256``, fed by the caller's
        ``write``s as the bytes arrive; None when this store streams nothing (a local folder)
        or every stream is taken: then ``put`` the bytes once they are all in."""

    def open(self, key: str) -> BinaryIO: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int | None: ...
    def head(self, key: str) -> StoredObject | None: ...
    def head_many(self, keys: Sequence[str]) -> list[StoredObject | None]: ...
    def delete(self, key: str) -> None: ...
    def delete_many(self, keys: Iterable[str]) -> None: ...
    def list_keys(self, prefix: str) -> Iterator[str]: ...
    def modified_at(self, key: str) -> dt.datetime | None: ...
    def remove_partials(self, before: dt.datetime) -> int: ...

    def presign_put(
        self,
        key: str,
        *,
        content_type: str,
        content_length: int,
        sha256: str,
        expires_seconds: int,
    ) -> PresignedPut | None: ...

    def presign_get(
        self, key: str, *, expires_seconds: int, filename: str | None = None
    ) -> str | None: ...


def content_disposition(filename: str) -> str:
    """An ``attachment`` header value safe for any name: ASCII fallback plus RFC 6266 UTF-8."""
    name = filename.replace("/", "_").replace("\\", "_") or "download"
    fallback = "".join(c if c.isascii() and c.isprintable() and c != '"' else "_" for c in name)
    encoded = quote(name, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
