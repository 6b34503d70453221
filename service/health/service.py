"""Readiness: can this process reach its database and its object store, are its jobs done."""

from collections.abc import Sequence

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from service import db
from service.errors import ServiceUnavailable
from service.startup import JobState, StartupJob
from service.storage.objects import ObjectStore, StorageUnavailable

# A start-up job moves on within a second or two; an unreachable dependency takes longer.
JOB_RETRY_AFTER = "1"
DEPENDENCY_RETRY_AFTER = "5"


def check_ready(
    engine: Engine, store: ObjectStore, *, detailed: bool, jobs: Sequence[StartupJob] = ()
) -> dict[str, str]:
    """Return ``{"database": "ok", "storage": "ok", <job>: "ok"...}`` or raise 503.

    Only a ``detailed`` answer (for admins) says what failed and why: an anonymous caller
    learns ready or not, never the store's address, bucket or error text. A start-up job
    that is not done (the demo data still loading) is told to everyone with its progress,
    text the job wrote itself, so a newcomer's script can wait for it and say how far it got.
    """
    failures: list[dict[str, str]] = []
    try:
        db.ping(engine)
    except SQLAlchemyError as exc:
        failures.append({"check": "database", "error": type(exc).__name__})
    try:
        store.check()
    except (StorageUnavailable, OSError) as exc:
        failures.append({"check": "storage", "error": str(exc)[:200]})
    unfinished = [job for job in jobs if job.state is not JobState.done]
    if failures:
        headers = {"Retry-After": DEPENDENCY_RETRY_AFTER}
        if not detailed:
            raise ServiceUnavailable("Not ready.", headers=headers)
        names = ", ".join(f["check"] for f in failures)
        errors = failures + _job_errors(unfinished)
        raise ServiceUnavailable(f"Not ready: {names} unreachable.", errors=errors, headers=headers)
    if unfinished:
        progress = "; ".join(f"{job.name}: {job.progress}" for job in unfinished)
        raise ServiceUnavailable(
            f"Not ready: {progress}.",
            errors=_job_errors(unfinished) if detailed else None,
            headers={"Retry-After": JOB_RETRY_AFTER},
        )
    return {"database": "ok", "storage": "ok"} | {job.name: "ok" for job in jobs}


def _job_errors(jobs: Sequence[StartupJob]) -> list[dict[str, str]]:
    return [{"check": job.name, "state": job.state.value, "error": job.progress} for job in jobs]
