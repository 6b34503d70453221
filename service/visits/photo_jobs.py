"""The photo job processor, wired to visits: one place for the server and ``mshop worker``.

Photos cannot import visits (visits sits above them), so the processor is handed how to load
a visit; both the app factory and the worker command build it here.
"""

from sqlalchemy import Connection, Engine

from service.clock import Clock
from service.config import Settings
from service.photos.processing import Processor
from service.photos.runner import worker_name
from service.storage.objects import ObjectStore
from service.visits.models import Visit


def photo_processor(
    bind: Engine | Connection,
    store: ObjectStore,
    settings: Settings,
    clock: Clock,
    *,
    worker: str | None = None,
) -> Processor:
    """A processor of photo jobs on ``bind``, named ``worker`` (default: unique to this
    process and call, as each runner must be among workers)."""
    return Processor(
        bind,
        store,
        upload=settings.upload,
        settings=settings.jobs,
        clock=clock,
        load_visit=lambda session, visit_id: session.get(Visit, visit_id),
        worker=worker or worker_name(),
    )
