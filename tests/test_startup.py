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
    assert job.own_process
    with caplog.at_level(logging.INFO, logger="mshop"):
        job.start()
        assert job.wait(timeout=30)
    assert (job.state, job.progress) == (JobState.done, "done")
    relayed = [m for m in caplog.messages if m.startswith("sample: ")]
    assert relayed[1:] == ["sample: half-way", "sample: done"]
    assert int(relayed[0].removeprefix("sample: pid ")) != os.getpid()


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
def test_a_child_killed_while_stopping_is_failed_not_stopped() -> None:
    def work(job: JobControl) -> None:
        job.report(f"pid {os.getpid()}")
        time.sleep(300)

    job = StartupJob("sample", work, own_process=True)
    job.start()
    pid = int(_wait_for_progress(job, "pid ").removeprefix("pid "))
    os.kill(pid, signal.SIGKILL)  # as the kernel's OOM killer would
    job.stop(timeout=30)
    assert (job.state, job.progress) == (
        JobState.failed,
        f"failed (exit code -{signal.SIGKILL.value}); see the server log",
    )


@pytest.mark.slow
def test_stop_reaches_the_child_which_returns(caplog: pytest.LogCaptureFixture) -> None:
    def work(job: JobControl) -> None:
        job.report("looping")
        for _ in range(30_000):
            if job.stopping():
                job.report("asked to stop")
                return
            time.sleep(0.01)
        job.report("never asked")

    job = StartupJob("sample", work, own_process=True)
    with caplog.at_level(logging.INFO, logger="mshop"):
        job.start()
        _wait_for_progress(job, "looping")
        job.stop(timeout=60)
    assert (job.state, job.progress) == (JobState.stopped, "stopped before it finished")
    # It returned when asked (a child terminated after the timeout would not have said so).
    assert caplog.messages[-2:] == ["sample: asked to stop", "sample: stopped before it finished"]


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
def test_ctrl_c_to_the_child_leaves_the_stopping_to_the_server(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Ctrl-C in a terminal signals the whole process group: the child must not die of it
    # (the server stops it through ``stop``).
    def work(job: JobControl) -> None:
        beat = 0
        while not job.stopping():
            beat += 1
            job.report(f"beat {beat} of {os.getpid()}")
            time.sleep(0.05)
        job.report("stopped by the server")

    job = StartupJob("sample", work, own_process=True)
    with caplog.at_level(logging.INFO, logger="mshop"):
        job.start()
        beat, pid = _beat(_wait_for_progress(job, "beat "))
        os.kill(pid, signal.SIGINT)
        # Beats after the signal: the child is alive and working, not dying.
        deadline = time.monotonic() + 60
        while _beat(job.progress)[0] < beat + 3:
            assert time.monotonic() < deadline, job.progress
            time.sleep(0.005)
        job.stop(timeout=60)
    assert (job.state, job.progress) == (JobState.stopped, "stopped before it finished")
    assert caplog.messages[-2:] == [
        "sample: stopped by the server",
        "sample: stopped before it finished",
    ]


def _beat(progress: str) -> tuple[int, int]:
    """(beat, pid) from ``beat <n> of <pid>``; (0, 0) from any other progress."""
    if not progress.startswith("beat "):
        return 0, 0
    beat, _, pid = progress.removeprefix("beat ").partition(" of ")
    return int(beat), int(pid)


def _wait_for_progress(job: StartupJob, wanted: str) -> str:
    """Wait until the job's progress starts with ``wanted``; the progress then."""
    deadline = time.monotonic() + 60
    while not (progress := job.progress).startswith(wanted):
        assert time.monotonic() < deadline, progress
        time.sleep(0.005)
    return progress
