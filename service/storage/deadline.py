"""A whole-call deadline for blocking store calls, and a short cool-down after one is missed.

botocore bounds each attempt (connect, each socket read) but not a call: retries and slow
trickles add up, and a hung server (SIGSTOP, a dead NFS under it) held uploads for minutes.
A call here runs on a small pool of its own and the caller stops waiting at the deadline.
The abandoned call ends by itself within botocore's per-attempt timeouts; its thread is one
of a bounded pool, so a hung store cannot pile up threads either.
"""

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Generic, TypeVar

_T = TypeVar("_T")
# Calls in flight to the store per process; beyond this they queue (and time out in the queue
# when the store hangs), which is the point.
_WORKERS = 32


class DeadlineExceeded(Exception):
    """The store did not finish the call in time, or missed one moments ago."""


@dataclass(frozen=True)
class Deadlines:
    operation_seconds: float = 5.0
    upload_seconds: float = 10.0
    check_seconds: float = 2.0
    cooldown_seconds: float = 5.0


class Deadline:
    def __init__(self, deadlines: Deadlines) -> None:
        self.deadlines = deadlines
        self._pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="store-call")
        self._lock = threading.Lock()
        self._down_until = 0.0

    def run(self, seconds: float, call: Callable[[], _T], *, probe: bool = False) -> _T:
        """Return ``call()`` or raise DeadlineExceeded after ``seconds``.

        A ``probe`` (readiness) always tries the store, and its success ends a cool-down.
        """
        return self.start(seconds, call, probe=probe).result()

    def start(
        self, seconds: float, call: Callable[[], _T], *, probe: bool = False
    ) -> "Running[_T]":
        """Start ``call()`` on the pool; its ``result()`` waits for what is left of ``seconds``.

        Raises:
            DeadlineExceeded: the store missed a deadline moments ago (not for a probe).
        """
        if not probe and self.cooling_down():
            raise DeadlineExceeded("the store missed a deadline moments ago")
        return Running(self, self._pool.submit(call), seconds, probe=probe)

    def cooling_down(self) -> bool:
        """Whether the store missed a deadline moments ago (calls are refused meanwhile)."""
        return time.monotonic() < self._down_until

    def missed(self) -> None:
        """A call missed its deadline: refuse calls for ``cooldown_seconds``."""
        with self._lock:
            self._down_until = time.monotonic() + self.deadlines.cooldown_seconds

    def _answered(self) -> None:
        with self._lock:
            self._down_until = 0.0


class Running(Generic[_T]):
    """A store call under way, with the time by which it must have answered."""

    def __init__(
        self, owner: Deadline, future: "Future[_T]", seconds: float, *, probe: bool
    ) -> None:
        self._owner = owner
        self._future = future
        self._seconds = seconds
        self._until = time.monotonic() + seconds
        self._probe = probe

    def result(self) -> _T:
        """The call's result (or its exception); DeadlineExceeded once its time is up."""
        try:
            result = self._future.result(timeout=max(0.0, self._until - time.monotonic()))
        except FutureTimeout:
            self._future.cancel()  # still queued: never runs; running: ends on its own timeouts
            self._owner.missed()
            raise DeadlineExceeded(f"the store did not answer within {self._seconds:g} s") from None
        if self._probe:
            self._owner._answered()
        return result
