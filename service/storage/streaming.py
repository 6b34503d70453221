"""Storing an object while its bytes are still arriving: one PUT fed through a ``BodyPipe``.

A photo sent through the API used to be stored only once the whole request body was in: the
store's ~30 ms for a phone's photo came after the body's own time on the wire. When the
client declares the photo's size and sha256 before its bytes, the PUT can start at once, its
length and checksum known, and carry the bytes as they arrive; the store refuses any other
bytes (BadDigest) and keeps nothing of a PUT cut short.

Each stream holds a thread (and a connection to the store) for as long as its client takes
to send, so they are few (``S3Settings.stream_uploads``); past them, an upload is received
first and stored after, as before.
"""

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from service.storage.pipe import BodyPipe


class StreamFailed(RuntimeError):
    """The streamed PUT did not store the object (the store refused it, or it was cut);
    ``timed_out``: the store did not answer in time (so another PUT would not either)."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class StreamingPut:
    """A PUT under way, reading its body from ``write``s."""

    def __init__(
        self,
        key: str,
        pipe: BodyPipe,
        future: "Future[None]",
        seconds: float,
        on_missed: Callable[[], None] | None = None,
    ) -> None:
        self.key = key
        self._pipe = pipe
        self._future = future
        self._seconds = seconds
        self._on_missed = on_missed
        self._until: float | None = None

    def write(self, chunk: bytes | memoryview) -> None:
        """Hand the PUT the next bytes; dropped once it has ended (refused, cut) or been
        aborted, so a failed PUT holds no memory while the rest of the body arrives."""
        if self._future.done() or self._pipe.closed:
            return
        self._pipe.write(chunk)

    @property
    def sent(self) -> int:
        """Bytes the PUT has taken so far."""
        return self._pipe.position

    @property
    def finished(self) -> bool:
        return self._until is not None

    def finish(self) -> None:
        """All the bytes are written; the store has ``seconds`` from now to answer."""
        self._pipe.finish()
        self._until = time.monotonic() + self._seconds

    def abort(self, reason: str) -> None:
        """Cut the PUT short if it has not taken every byte yet (then the store keeps nothing)."""
        self._pipe.abort(reason)

    def settle(self) -> bool:
        """Wait (up to the deadline) for the PUT to end; whether the store may hold the
        object: it took every byte, so only a delete can be sure it is gone."""
        self.ended(timeout=self._seconds)
        return self._pipe.position >= self._pipe.size

    def ended(self, timeout: float) -> bool:
        """Whether the PUT has ended, stored or not, waiting up to ``timeout`` seconds."""
        try:
            self._future.exception(timeout=timeout)
        except FutureTimeout:
            return False
        return True

    def wait(self) -> None:
        """Return once the store has the object.

        Raises:
            StreamFailed: it refused the bytes, the PUT was cut, or it missed the deadline.
        """
        if self._until is None:  # its body never ended: there is nothing to wait for
            self.abort("the body was not finished")
            raise StreamFailed(f"{self.key} was not sent whole")
        try:
            self._future.result(timeout=max(0.0, self._until - time.monotonic()))
        except FutureTimeout:
            self.abort("the store did not answer in time")
            if self._on_missed is not None:
                self._on_missed()
            raise StreamFailed(
                f"the store did not store {self.key} within {self._seconds:g} s", timed_out=True
            ) from None
        except Exception as exc:  # botocore's, the pipe's, anything the thread met
            raise StreamFailed(f"cannot store {self.key}: {exc}") from exc


class Streams:
    """At most ``slots`` streamed PUTs at once, each on a thread of its own."""

    def __init__(
        self, slots: int, seconds: float, on_missed: Callable[[], None] | None = None
    ) -> None:
        self.slots = slots
        self._seconds = seconds
        self._on_missed = on_missed
        self._free = threading.BoundedSemaphore(slots) if slots > 0 else None
        self._lock = threading.Lock()
        self._in_use = 0
        self._pool = (
            ThreadPoolExecutor(max_workers=slots, thread_name_prefix="store-stream")
            if slots > 0
            else None
        )

    def start(self, key: str, size: int, put: Callable[[BodyPipe], None]) -> StreamingPut | None:
        """Run ``put(pipe)`` for a body of ``size`` bytes on a free slot, or return None when
        every slot is taken."""
        if self._free is None or self._pool is None or not self._free.acquire(blocking=False):
            return None
        pipe = BodyPipe(size)
        with self._lock:
            self._in_use += 1
        try:
            future = self._pool.submit(put, pipe)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(lambda _: self._release())
        return StreamingPut(key, pipe, future, self._seconds, self._on_missed)

    @property
    def in_use(self) -> int:
        """Streams whose PUT has not ended."""
        with self._lock:
            return self._in_use

    def _release(self) -> None:
        assert self._free is not None
        with self._lock:
            self._in_use -= 1
        self._free.release()
