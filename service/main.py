"""The application factory."""

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service import __version__, collector, docs_pages, migrate, spec
from service.api import API_PREFIX, ROUTER_ERRORS, api_router, unique_id
from service.auth.throttle import LoginThrottle
from service.clock import Clock, now_utc
from service.config import Settings, check_settings, get_settings
from service.console import router as console
from service.db import create_db_engine
from service.health.router import router as health_router
from service.middleware import RequestGuard
from service.observability import metrics
from service.observability.middleware import RequestObserver
from service.observability.router import router as metrics_router
from service.openrosa.envelope import OpenRosaEnvelope
from service.openrosa.router import router as openrosa_router
from service.photos.processing import queue_probe
from service.photos.runner import JobRunner
from service.problems import install_problem_handlers
from service.reports.cache import ChartCache
from service.startup import StartupJob
from service.storage.client import make_store
from service.storage.objects import StorageUnavailable
from service.visits.photo_jobs import photo_processor

log = logging.getLogger("mshop")

DESCRIPTION = (
    "Checklists, offline-safe visit sync, photo evidence and scoring against the service "
    "standard for mystery-shopper monitoring of public services."
)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = now_utc,
    jobs: Sequence[StartupJob] = (),
) -> FastAPI:
    """Build the API for ``settings`` (default: from the environment).

    ``jobs`` start once the app has started (the demo data of ``mshop serve --demo``);
    ``/readyz`` answers 503 until they are done.

    Raises:
        ConfigError: the settings are unsafe or incomplete.
    """
    settings = settings or get_settings()
    check_settings(settings)
    engine = create_db_engine(settings.database)
    store = make_store(settings.storage, settings.s3)
    processor = photo_processor(engine, store, settings, clock)
    # Photo jobs (decoding, copies, flags) run after the upload is answered: here on the
    # embedded default, in `mshop worker` processes when MSHOP_JOBS__IN_PROCESS is off. One
    # job a round: a stopping server waits for the job at hand only.
    runner = JobRunner(
        lambda: processor.run_once(limit=1), settings.jobs.poll_seconds, settings.jobs.nice
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.database.migrate_on_start:
            migrate.upgrade(engine)
        if any(job.own_process for job in jobs):
            # Forked next: no connection may be carried across (a SQLite connection copied
            # into a child can take the file's locks from under it), and no thread of ours
            # may be running yet (the store's calls run on threads: after the fork).
            engine.dispose()
        for job in jobs:
            job.start()
        try:
            store.ensure_ready()
        except StorageUnavailable as exc:
            # Answers can still sync without the store; /readyz reports it until it is back.
            log.warning("object store not ready at start-up: %s", exc)
        if settings.jobs.in_process:
            runner.start()
        remove_probe = metrics.add_probe(queue_probe(engine, clock))
        collector.settle_after_start(
            freeze=settings.server.gc_freeze,
            young_threshold=settings.server.gc_young_threshold,
        )
        yield
        remove_probe()
        runner.stop(settings.server.graceful_shutdown_seconds)
        for job in jobs:
            job.stop(settings.server.graceful_shutdown_seconds)
        engine.dispose()

    app = FastAPI(
        title="mshop",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=unique_id,
        # FastAPI's own pages load their scripts from a CDN; docs_pages serves them locally.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.store = store
    app.state.clock = clock
    app.state.jobs = tuple(jobs)
    app.state.photo_processor = processor
    app.state.login_throttle = LoginThrottle(
        per_account=settings.auth.login_max_failures,
        per_address=settings.auth.login_max_failures_per_address,
        window_seconds=settings.auth.login_window_seconds,
    )
    app.state.chart_cache = ChartCache(settings.reports.chart_cache_entries)
    install_problem_handlers(app)
    app.add_middleware(RequestGuard, settings=settings)
    # Outside the body guard, so its 413 reaches Collect as an OpenRosaResponse too.
    app.add_middleware(
        OpenRosaEnvelope, max_submission_bytes=settings.openrosa.max_submission_bytes
    )
    app.add_middleware(RequestObserver)
    app.include_router(health_router, tags=["health"])
    app.include_router(metrics_router, tags=["health"])
    app.include_router(api_router, prefix=API_PREFIX)
    # ODK Collect's server URL: the QR code's (an app token) or HTTP Basic's.
    app.include_router(openrosa_router, prefix="/openrosa/key/{app_token}")
    app.include_router(openrosa_router, prefix="/openrosa")
    spec.install(app, router_errors={API_PREFIX: ROUTER_ERRORS})
    console.install(app)
    docs_pages.install(app)
    return app
