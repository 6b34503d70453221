"""Work a server does once it is up, on a thread of its own, reported by ``/readyz``.

``mshop serve --demo`` creates the demo accounts before it listens and loads everything else
(the catalogue, the accounts' visits, a thousand generated visits) here, so ``/healthz`` and a
login answer at once while the data is written. Until a job is done, readiness answers 503
with how far it got; every other route serves what is already in the database.

The app factory starts its jobs when the lifespan starts and stops them when it ends; a job's
work looks at ``stopping()`` between steps and returns early when asked.

A job can instead run in a process of its own, forked from the server when it starts
(``own_process``): the demo's load is seconds of Python that would otherwise hold the
interpreter's lock half the time while the server answers a newcomer's first login, and on a
second core it runs beside the server rather than between its requests. Its progress comes
back through a pipe; the server's thread for the job only waits on it.
"""

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from enum import StrEnum
from multiprocessing.connection import Connection
from typing import Protocol

log = logging.getLogger("mshop")

# Fork, not spawn: the child has the server's modules imported already (spawning would
# import them again, two seconds and more), and the work may be a closure.
_FORK = (
    multiprocessing.get_context("fork")
    if "fork" in multiprocessing.get_all_start_methods()
    else None
)


class JobControl(Protocol):
    """What a job's work is given: where it reports, and whether it should return."""

    def report(self, progress: str) -> None: ...

    def stopping(self) -> bool: ...


class JobState(StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"
    stopped = "stopped"


class StartupJob:
    """One piece of start-up work run on a daemon thread (or a forked process, with
    ``own_process`` where the platform forks), with its progress as text.

    ``work`` receives the job: it calls ``report`` with what it is doing (logged, and shown by
    readiness) and checks ``stopping`` between steps. An exception it raises is logged with
    its traceback and leaves the job ``failed``: the server keeps serving, not ready.
    """

    def __init__(
        self, name: str, work: Callable[[JobControl], None], *, own_process: bool = False
    ) -> None:
        self.name = name
        self._work = work
        self.own_process = own_process and _FORK is not None
        """Runs in a forked process: whoever starts it closes its database connections
        first (SQLite's advice: none may be carried across a fork)."""
        self._child: _Child | None = None
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
        run = self._run
        if self.own_process:
            # Forked here, on the caller's thread (the server's, before it serves), so no
            # other thread of ours is half-way through a write when the child is made.
            self._child = _Child.fork(self.name, self._work)
            run = self._supervise
        # A daemon: a job that ignores ``stopping`` never holds the process open.
        self._thread = threading.Thread(target=run, name=f"startup-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Ask the work to return and wait up to ``timeout`` seconds for it (a child process
        that has not returned by then is terminated)."""
        self._stop.set()
        if self._child is not None:
            self._child.stop.value = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._child is not None and self._child.process.is_alive():
            self._child.terminated = True
            self._child.process.terminate()

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

    def _supervise(self) -> None:
        """Relay the child's progress until it exits, then finish as it said it ended."""
        assert self._child is not None
        failure, ended = self._child.relay(self.report)
        code = self._child.process.exitcode
        if failure is not None:
            self._finish(JobState.failed, f"failed ({failure}); see the server log")
        elif ended is not None and code == 0:
            self._finish(ended, "done" if ended is JobState.done else "stopped before it finished")
        elif self._child.terminated:
            self._finish(JobState.stopped, "stopped before it finished")
        else:  # killed, or ended without a word: a crash
            self._finish(JobState.failed, f"failed (exit code {code}); see the server log")

    def _finish(self, state: JobState, progress: str) -> None:
        with self._lock:
            self._state, self._progress = state, progress
        log.info("%s: %s", self.name, progress)


class _Child:
    """A job's work in a forked process: its progress and how it ended come back on a pipe."""

    def __init__(
        self, process: multiprocessing.process.BaseProcess, pipe: Connection, stop: "_Flag"
    ) -> None:
        self.process, self.pipe, self.stop = process, pipe, stop
        self.terminated = False
        """Set before the server terminates a child that did not stop in time."""

    @classmethod
    def fork(cls, name: str, work: Callable[[JobControl], None]) -> "_Child":
        assert _FORK is not None
        ours, theirs = _FORK.Pipe(duplex=False)
        # A flag in shared memory, with no lock: a child killed while holding an Event's lock
        # would leave the server's stop() waiting for it for ever.
        stop: _Flag = _FORK.RawValue(ctypes.c_bool, False)
        process = _FORK.Process(
            target=_child_main,
            args=(name, work, theirs, stop, os.getpid()),
            name=name,
            daemon=True,
        )
        process.start()
        theirs.close()  # the child's end: once the child exits, reading ours ends
        return cls(process, ours, stop)

    def relay(self, report: Callable[[str], None]) -> tuple[str | None, JobState | None]:
        """Pass each progress text to ``report`` until the child exits; what it failed with,
        or how it said it ended (None when it said neither)."""
        failure, ended = None, None
        try:
            while True:
                try:
                    kind, text = self.pipe.recv()
                except EOFError:
                    break
                if kind == "progress":
                    report(text)
                elif kind == "failed":
                    failure = text
                else:
                    ended = JobState(text)
        finally:
            self.pipe.close()
            self.process.join()
        return failure, ended


class _Flag(Protocol):
    value: bool


class _ChildControl:
    def __init__(self, pipe: Connection, stop: _Flag) -> None:
        self._pipe, self._stop = pipe, stop

    def report(self, progress: str) -> None:
        self._pipe.send(("progress", progress))

    def stopping(self) -> bool:
        return bool(self._stop.value)


def _child_main(
    name: str,
    work: Callable[[JobControl], None],
    pipe: Connection,
    stop: _Flag,
    server_pid: int,
) -> None:
    # The server's signal set-up came along: its wake-up descriptor is the server's event
    # loop's own (a signal here would wake the server as if it had been signalled), and its
    # handlers would only tell a server that does not run here to stop. Ctrl-C reaches the
    # whole process group: the server stops the job through ``stop``; SIGTERM ends it.
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with(server_pid)
    try:
        work(_ChildControl(pipe, stop))
    except Exception as exc:
        log.exception("%s failed", name)
        pipe.send(("failed", type(exc).__name__))
    else:
        pipe.send(("ended", JobState.stopped if stop.value else JobState.done))
    finally:
        pipe.close()


def _die_with(server_pid: int) -> None:
    """End this process when the server does, even killed outright (it then stops no job):
    a load left running would write to a database nobody serves. Linux only."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != server_pid:  # the server died before the line above took effect
        os._exit(0)
