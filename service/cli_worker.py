"""``mshop worker``: photo jobs in a process of their own, as production runs them."""

import argparse
import signal
from pathlib import Path

from service.cli_support import CliError, upgrade
from service.clock import now_utc
from service.config import Settings
from service.db import create_db_engine
from service.observability import metrics
from service.photos.runner import JobRunner
from service.storage.client import make_store
from service.visits.photo_jobs import photo_processor


def cmd_worker(args: argparse.Namespace) -> None:
    """Process photo jobs until SIGTERM or Ctrl-C (``--once``: until none is due)."""
    settings = Settings()
    upgrade(settings)
    jobs = settings.jobs
    heartbeat = _fresh_heartbeat(jobs.heartbeat_file)
    engine = create_db_engine(settings.database)
    store = make_store(settings.storage, settings.s3)
    processor = photo_processor(engine, store, settings, now_utc)
    try:
        if args.once:
            print(f"photo jobs: {processor.run_once()} processed")
            return
        if jobs.metrics_port is not None:
            try:
                metrics.serve(jobs.metrics_host, jobs.metrics_port)
            except OSError as exc:
                raise CliError(
                    f"cannot serve metrics on {jobs.metrics_host}:{jobs.metrics_port}: {exc}"
                ) from exc

        def one_job() -> int:
            # One job a round: the stop a SIGTERM asks for is looked at between jobs, so a
            # stopping worker leaves at most the job at hand to finish (or to its lease).
            taken = processor.run_once(limit=1)
            if heartbeat is not None:  # only after a round that did not raise
                heartbeat.touch()
            return taken

        runner = JobRunner(one_job, jobs.poll_seconds, jobs.nice)
        signal.signal(signal.SIGTERM, lambda _signum, _frame: runner.request_stop())
        try:
            runner.run()
        except KeyboardInterrupt:
            pass
    finally:
        engine.dispose()


def _fresh_heartbeat(path: Path | None) -> Path | None:
    """The heartbeat file, with none left from an earlier run (a restarted worker is not
    healthy before its first round); a folder it cannot be written in is said now, once."""
    if path is None:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        path.unlink()
    except OSError as exc:
        raise CliError(f"cannot write the heartbeat file {path}: {exc}") from exc
    return path
