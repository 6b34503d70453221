"""A one-way byte pipe: the event loop writes a request body's chunks as they arrive, a store
thread reads them as the body of its PUT.

Writing never blocks (the chunks are kept, not copied, until read: the writer has them in
memory already), so a slow store cannot stall the event loop; reading blocks until bytes,
the end or an abort arrive. The pipe carries exactly ``size`` bytes: once they are read it
is at its end, whatever the writer does next. An abort before then raises on the next read,
which makes the HTTP client drop its request: the store, short of the length it was told,
keeps nothing. After all ``size`` bytes were read, the object may be stored whatever
happens: only a delete removes it.
"""

import threading
from collections import deque


class PipeAborted(OSError):
    """The writer gave up on the body (the request failed, or its client went away)."""


class BodyPipe:
    """File-like enough for ``http.client``: ``read(n)`` and nothing to seek."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._chunks: deque[memoryview] = deque()
        self._ready = threading.Condition()
        self._finished = False
        self._aborted: str | None = None
        self._written = 0
        self.position = 0  # bytes read so far

    @property
    def closed(self) -> bool:
        """Finished or aborted: nothing more is taken."""
        return self._finished or self._aborted is not None

    def write(self, chunk: bytes | memoryview) -> None:
        """Add bytes for the reader; past ``size`` they are refused (ValueError)."""
        if not chunk:
            return
        with self._ready:
            if self.closed:
                raise ValueError("write to a closed pipe")
            self._written += len(chunk)
            if self._written > self.size:
                raise ValueError(f"more than the {self.size} bytes the pipe carries")
            self._chunks.append(memoryview(chunk))
            self._ready.notify()

    def finish(self) -> None:
        """The body is complete: reads drain what is left, then return ``b""`` (short of
        ``size``, it is an abort: the store must not wait for bytes that never come)."""
        if self._written < self.size:
            self.abort(f"the body ended after {self._written} of {self.size} bytes")
            return
        with self._ready:
            self._finished = True
            self._ready.notify_all()

    def abort(self, reason: str) -> None:
        """Make later reads raise ``PipeAborted``, unless the pipe was finished or all its
        bytes were read already."""
        with self._ready:
            if not self._finished:
                self._aborted = reason
                self._chunks.clear()
            self._ready.notify_all()

    def read(self, size: int = -1) -> bytes:
        with self._ready:
            if self.position >= self.size:
                return b""  # all of it was read: the PUT ends whatever the writer does now
            while not self._chunks and not self._finished and self._aborted is None:
                self._ready.wait()
            if self._aborted is not None:
                raise PipeAborted(self._aborted)
            if not self._chunks:
                return b""
            parts: list[memoryview] = []
            wanted = size if size >= 0 else None
            while self._chunks and (wanted is None or wanted > 0):
                chunk = self._chunks[0]
                if wanted is not None and len(chunk) > wanted:
                    parts.append(chunk[:wanted])
                    self._chunks[0] = chunk[wanted:]
                    wanted = 0
                    break
                parts.append(self._chunks.popleft())
                if wanted is not None:
                    wanted -= len(chunk)
        data = b"".join(parts)
        self.position += len(data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        """Only to where the reader already is: a retry that needs the body again from its
        start cannot have it (botocore then fails the call, and the caller stores the bytes
        it kept another way)."""
        if whence == 0 and offset == self.position:
            return offset
        raise OSError("a pipe cannot be read again")
