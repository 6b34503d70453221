"""A photo job runner on a thread of its own: the embedded default's worker.

The app factory starts one per server process when ``MSHOP_JOBS__IN_PROCESS`` is on (the
default) and stops it when the lifespan ends, like the start-up jobs of ``service.startup``;
``mshop worker`` runs the same loop in the foreground.
"""

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable

log = logging.getLogger("mshop")


def worker_name() -> str:
    """Unique per runner: the host, the process and a random part (threads of one process)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lower_priority(nice: int) -> None:
    """Lower the calling thread's CPU priority by ``nice`` (Linux nice values are per thread,
    so a server's request threads keep theirs). Where that is not allowed, log and go on."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + nice)
    except OSError as exc:
        log.warning("photo jobs: priority left unchanged (%s)", exc)


class JobRunner:
    """Call ``work`` (process every due job, return how many) until stopped, waiting
    ``poll_seconds`` whenever there was nothing to do. An error is logged, not raised: the
    next round tries again."""

    def __init__(self, work: Callable[[], int], poll_seconds: float, nice: int = 0) -> None:
        self._work = work
        self._poll = poll_seconds
        self._nice = nice
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self.run, name="photo-jobs", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the loop to end after the job at hand (safe in a signal handler)."""
        self._stop.set()

    def stop(self, timeout: float) -> None:
        """Ask the loop to end after the job at hand and wait up to ``timeout`` seconds."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        lower_priority(self._nice)
        while not self._stop.is_set():
            try:
                taken = self._work()
            except Exception:
                log.exception("photo jobs: a round failed; trying again")
                taken = 0
            if taken == 0:
                self._stop.wait(self._poll)
