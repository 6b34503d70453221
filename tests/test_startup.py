"""Start-up jobs: work a server does once it is up, on a thread, told by its state."""

import logging
import threading

import pytest

from service.startup import JobState, StartupJob


def test_a_job_runs_on_its_own_thread_and_ends_done() -> None:
    seen: list[str] = []

    def work(job: StartupJob) -> None:
        seen.append(threading.current_thread().name)
        job.report("half-way")
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
    def work(job: StartupJob) -> None:
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

    def work(job: StartupJob) -> None:
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
