"""Objects as files under one folder: the embedded default."""

import datetime as dt
import shutil
import stat
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from service.storage.objects import (
    ObjectNotFound,
    PendingPut,
    StorageUnavailable,
    StoredObject,
)
from service.storage.streaming import StreamingPut


class _Done:
    """A put that finished before ``start_put`` returned (a file is written in place)."""

    def wait(self) -> None:
        return None


_DONE = _Done()


class LocalStore:
    """Objects as files under one folder; keys are relative paths.

    A folder has no URLs of its own, so ``presign_put`` and ``presign_get`` return None:
    callers then move the bytes through the API instead.
    """

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

    def _root_or_unavailable(self) -> None:
        # A missing root is a store that is down (an unmounted volume, a deleted folder), not
        # a missing object; and put must not quietly recreate it on the wrong disk.
        if not self.root.is_dir():
            raise StorageUnavailable(f"storage folder {self.root} is missing or not a folder")

    def put(
        self,
        key: str,
        data: BinaryIO,
        *,
        content_type: str,
        size: int | None = None,
        sha256: str | None = None,
    ) -> None:
        """Write to a partial file, then rename it; ``size`` and ``sha256`` are not needed."""
        path = self._path(key)
        self._root_or_unavailable()
        path.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own per writer, so two uploads of one key never share a partial file.
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
        try:
            with partial.open("wb") as out:
                shutil.copyfileobj(data, out, length=1024 * 1024)
            # Rename is atomic, so readers never see half an object.
            partial.replace(path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    def start_put(
        self,
        key: str,
        data: BinaryIO,
        *,
        content_type: str,
        size: int | None = None,
        sha256: str | None = None,
    ) -> "PendingPut":
        """A local disk is written at once: the put is done when this returns."""
        self.put(key, data, content_type=content_type, size=size, sha256=sha256)
        return _DONE

    def start_stream(
        self, key: str, *, content_type: str, size: int, sha256: str
    ) -> StreamingPut | None:
        return None  # a file is written at the disk's pace once the bytes are in

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            return path.open("rb")
        except FileNotFoundError as exc:
            self._root_or_unavailable()
            raise ObjectNotFound(key) from exc
        except OSError as exc:  # unreadable: permissions, a file where a folder should be
            raise StorageUnavailable(f"cannot read {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int | None:
        path = self._path(key)
        return path.stat().st_size if path.is_file() else None

    def head_many(self, keys: Sequence[str]) -> list[StoredObject | None]:
        return [self.head(key) for key in keys]

    def head(self, key: str) -> StoredObject | None:
        path = self._path(key)
        try:
            found = path.stat()
        except FileNotFoundError:
            self._root_or_unavailable()
            return None
        except OSError as exc:
            raise StorageUnavailable(f"cannot check {key}: {exc}") from exc
        return StoredObject(size=found.st_size) if stat.S_ISREG(found.st_mode) else None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_many(self, keys: Iterable[str]) -> None:
        # Every key is checked before anything goes, so a bad key cannot leave half a job.
        for path in [self._path(key) for key in keys]:
            path.unlink(missing_ok=True)

    def modified_at(self, key: str) -> dt.datetime | None:
        try:
            return dt.datetime.fromtimestamp(self._path(key).stat().st_mtime, dt.UTC)
        except FileNotFoundError:
            return None

    def remove_partials(self, before: dt.datetime) -> int:
        """Delete partial files last written before ``before``; return how many went.

        A writer killed mid-copy (kill -9, a full disk) leaves its ``.partial`` file behind;
        a younger one may still be growing, so only those older than the caller's grace go.
        """
        removed = 0
        limit = before.timestamp()
        for path in self.root.resolve().rglob(".*.partial"):
            try:
                if path.is_file() and path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # its writer finished or another clean-up got it
                continue
        return removed

    def list_keys(self, prefix: str) -> Iterator[str]:
        """Keys under ``prefix``, skipping files still being written."""
        base = self.root.resolve()
        for path in sorted(base.rglob("*")):
            key = path.relative_to(base).as_posix()
            if path.is_file() and key.startswith(prefix) and ".partial" not in path.name:
                yield key

    def presign_put(
        self,
        key: str,
        *,
        content_type: str,
        content_length: int,
        sha256: str,
        expires_seconds: int,
    ) -> None:
        return None

    def presign_get(self, key: str, *, expires_seconds: int, filename: str | None = None) -> None:
        return None
