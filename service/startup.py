"""Work a server does once it is up, on a thread of its own, reported by ``/readyz``.

``mshop serve --demo`` creates the demo accounts before it listens and loads everything else
(the catalogue, the accounts' visits, a thousand generated visits) here, so ``/healthz`` and a
login answer at once while the data is written. Until a job is done, readiness answers 503
with how far it got; every other route serves what is already in the database.

The app factory starts its jobs when the lifespan starts and stops them when it ends; a job's
work looks at ``stopping()`` between steps and returns early when asked.
"""

import logging
import threading
from collections.abc import Callable
from enum import StrEnum

log = logging.getLogger("mshop")


class JobState(StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"
    stopped = "stopped"


class StartupJob:
    """One piece of start-up work run on a daemon thread, with its progress as text.

    ``work`` receives the job: it calls ``report`` with what it is doing (logged, and shown by
    readiness) and checks ``stopping`` between steps. An exception it raises is logged with
    its traceback and leaves the job ``failed``: the server keeps serving, not ready.
    """

    def __init__(self, name: str, work: Callable[["StartupJob"], None]) -> None:
        self.name = name
        self._work = work
        self._lock = threading.Lock()
        self._state = JobState.pending
        self._progress = "waiting to start"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> JobState:
        with self._lock:
            return self._state

    @property
    def progress(self) -> str:
        """What the job is doing, or how it ended."""
        with self._lock:
            return self._progress

    def report(self, progress: str) -> None:
        """Record and log what the job is doing now."""
        with self._lock:
            self._progress = progress
        log.info("%s: %s", self.name, progress)

    def stopping(self) -> bool:
        """True once the server is shutting down: the work should return."""
        return self._stop.is_set()

    def start(self) -> None:
        with self._lock:
            if self._state is not JobState.pending:
                return
            self._state = JobState.running
        # A daemon: a job that ignores ``stopping`` never holds the process open.
        self._thread = threading.Thread(target=self._run, name=f"startup-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Ask the work to return and wait up to ``timeout`` seconds for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the work to end; True when it has."""
        if self._thread is None:
            return False
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._work(self)
        except Exception as exc:
            log.exception("%s failed", self.name)
            self._finish(JobState.failed, f"failed ({type(exc).__name__}); see the server log")
            return
        if self._stop.is_set():
            self._finish(JobState.stopped, "stopped before it finished")
        else:
            self._finish(JobState.done, "done")

    def _finish(self, state: JobState, progress: str) -> None:
        with self._lock:
            self._state, self._progress = state, progress
        log.info("%s: %s", self.name, progress)
