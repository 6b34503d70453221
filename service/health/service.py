"""Readiness: can this process reach its database and its object store."""

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from service import db
from service.errors import ServiceUnavailable
from service.storage.objects import ObjectStore, StorageUnavailable


def check_ready(engine: Engine, store: ObjectStore, *, detailed: bool) -> dict[str, str]:
    """Return ``{"database": "ok", "storage": "ok"}`` or raise 503.

    Only a ``detailed`` answer (for admins) says what failed and why: an anonymous caller
    learns ready or not, never the store's address, bucket or error text.
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
    if failures:
        headers = {"Retry-After": "5"}
        if not detailed:
            raise ServiceUnavailable("Not ready.", headers=headers)
        names = ", ".join(f["check"] for f in failures)
        raise ServiceUnavailable(
            f"Not ready: {names} unreachable.", errors=failures, headers=headers
        )
    return {"database": "ok", "storage": "ok"}
