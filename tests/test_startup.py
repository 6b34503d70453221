"""Start-up jobs: work a server does once it is up, on a thread, told by its state."""

import logging
import os
import signal
import threading
import time

import pytest

from service.startup import JobControl, JobState, StartupJob


def test_a_job_runs_on_its_own_thread_and_ends_done() -> None:
    seen: list[str] = []

    def work(control: JobControl) -> None:
        seen.append(threading.current_thread().name)
        control.report("half-way")
        seen.append(job.progress)

    job = StartupJob("sample", work)
    assert (job.state, job.progress) == (JobState.pending, "waiting to start")
    job.start()
    assert job.wait(timeout=10)
    assert seen == ["startup-sample", "half-way"]
    assert (job.state, job.progress) == (JobState.done, "done")


def test_a_job_that_raises_is_failed_and_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def work(job: JobControl) -> None:
        job.report("about to fail")
        raise LookupError("no catalogue")

    job = StartupJob("sample", work)
    with caplog.at_level(logging.INFO, logger="mshop"):
        job.start()
        assert job.wait(timeout=10)
    assert job.state is JobState.failed
    # The reason's kind for readiness; the details stay in the log.
    assert job.progress == "failed (LookupError); see the server log"
    failure = next(r for r in caplog.records if r.getMessage() == "sample failed")
    assert failure.exc_info is not None
    assert "no catalogue" in str(failure.exc_info[1])
    assert "sample: about to fail" in caplog.messages


def test_stop_asks_the_work_to_return_and_waits_for_it() -> None:
    started = threading.Event()
    steps: list[int] = []

    def work(job: JobControl) -> None:
        started.set()
        for step in range(10_000):
            if job.stopping():
                return
            steps.append(step)
            threading.Event().wait(0.001)

    job = StartupJob("sample", work)
    job.start()
    assert started.wait(timeout=10)
    job.stop(timeout=10)
    assert job.state is JobState.stopped
    assert job.progress == "stopped before it finished"
    assert len(steps) < 10_000


def test_a_job_starts_once() -> None:
    runs: list[int] = []
    job = StartupJob("sample", lambda _job: runs.append(1))
    job.start()
    job.start()
    assert job.wait(timeout=10)
    assert runs == [1]


def test_waiting_for_a_job_never_started_says_it_has_not_ended() -> None:
    assert StartupJob("sample", lambda _job: None).wait(timeout=0) is False


# A job with ``own_process`` runs in a process forked from the server (``mshop serve --demo``).


def _report_pid(job: JobControl) -> None:
    job.report(f"pid {os.getpid()}")
    job.report("half-way")


@pytest.mark.slow
def test_an_own_process_job_runs_in_a_child_and_relays_its_progress(
    caplog: pytest.LogCaptureFixture,
) -> None:
    job = StartupJob("sample", _report_pid, own_process=True)
    with caplog.at_level(logging.INFO, logger="mshop"):
        job.start()
        assert job.wait(timeout=30)
    assert (job.state, job.progress) == (JobState.done, "done")
    relayed = [m for m in caplog.messages if m.startswith("sample: ")]
    assert relayed[1:] == ["sample: half-way", "sample: done"]
    child_pid = int(relayed[0].removeprefix("sample: pid "))
    assert child_pid != os.getpid()
    with pytest.raises(ProcessLookupError):  # reaped: no process is left behind
        os.kill(child_pid, 0)


@pytest.mark.slow
def test_an_own_process_job_that_raises_is_failed_with_its_exception_kind() -> None:
    def work(job: JobControl) -> None:
        job.report("about to fail")
        raise LookupError("no catalogue")

    job = StartupJob("sample", work, own_process=True)
    job.start()
    assert job.wait(timeout=30)
    assert (job.state, job.progress) == (
        JobState.failed,
        "failed (LookupError); see the server log",
    )


@pytest.mark.slow
def test_an_own_process_job_that_dies_is_failed_with_its_exit_code() -> None:
    def work(job: JobControl) -> None:
        job.report("about to die")
        os._exit(3)

    job = StartupJob("sample", work, own_process=True)
    job.start()
    assert job.wait(timeout=30)
    assert (job.state, job.progress) == (
        JobState.failed,
        "failed (exit code 3); see the server log",
    )


@pytest.mark.slow
def test_stop_reaches_the_child_which_returns() -> None:
    def work(job: JobControl) -> None:
        job.report("looping")
        for _ in range(100_000):
            if job.stopping():
                job.report("asked to stop")
                return
            time.sleep(0.001)
        job.report("never asked")

    job = StartupJob("sample", work, own_process=True)
    job.start()
    _wait_for_progress(job, "looping")
    job.stop(timeout=30)
    assert (job.state, job.progress) == (JobState.stopped, "stopped before it finished")


@pytest.mark.slow
def test_a_child_that_ignores_stop_is_terminated_after_the_timeout() -> None:
    def work(job: JobControl) -> None:
        job.report("deaf")
        time.sleep(300)

    job = StartupJob("sample", work, own_process=True)
    job.start()
    _wait_for_progress(job, "deaf")
    started = time.monotonic()
    job.stop(timeout=0.5)
    assert job.wait(timeout=30)
    assert time.monotonic() - started < 30  # not the 300 s the work would take
    assert (job.state, job.progress) == (JobState.stopped, "stopped before it finished")


@pytest.mark.slow
def test_ctrl_c_to_the_child_leaves_the_stopping_to_the_server() -> None:
    # Ctrl-C in a terminal signals the whole process group: the child must not die of it
    # (the server stops it through ``stop``), nor wake the server's event loop.
    def work(job: JobControl) -> None:
        job.report(f"pid {os.getpid()}")
        while not job.stopping():
            time.sleep(0.01)
        job.report("stopped by the server")

    job = StartupJob("sample", work, own_process=True)
    job.start()
    progress = _wait_for_progress(job, "pid ")
    os.kill(int(progress.removeprefix("pid ")), signal.SIGINT)
    time.sleep(0.3)
    assert job.state is JobState.running
    job.stop(timeout=30)
    assert (job.state, job.progress) == (JobState.stopped, "stopped before it finished")


def _wait_for_progress(job: StartupJob, prefix: str) -> str:
    deadline = time.monotonic() + 30
    while not job.progress.startswith(prefix):
        assert time.monotonic() < deadline, job.progress
        time.sleep(0.01)
    return job.progress
