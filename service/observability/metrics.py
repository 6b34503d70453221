"""Prometheus metrics: requests, latencies, uploads, sync conflicts, scoring time."""

import logging
import os
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)

log = logging.getLogger("mshop")

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "mshop_requests_total",
    "HTTP requests by route template and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "mshop_request_seconds",
    "HTTP request latency by route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
UPLOADS = Counter(
    "mshop_photo_uploads_total", "Photo uploads by outcome", ["outcome"], registry=REGISTRY
)
UPLOAD_BYTES = Counter(
    "mshop_photo_upload_bytes_total", "Bytes of accepted photo uploads", registry=REGISTRY
)
PHOTO_JOBS = Counter(
    "mshop_photo_jobs_total",
    "Photo jobs run, by outcome (ready, rejected, retry, skipped)",
    ["outcome"],
    registry=REGISTRY,
)
# Read from the database at each scrape (every worker sees the same queue).
PHOTO_JOB_QUEUE = Gauge(
    "mshop_photo_jobs_queued",
    "Photo jobs waiting or running",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
PHOTO_JOB_OLDEST = Gauge(
    "mshop_photo_job_oldest_seconds",
    "Age of the oldest photo job waiting or running (0 when none)",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
SYNC_ANSWERS = Counter(
    "mshop_sync_answers_total",
    "Answers received from phones by outcome",
    ["outcome"],
    registry=REGISTRY,
)
SYNC_CONFLICTS = Counter(
    "mshop_sync_conflicts_total",
    "Syncs refused because a client id was reused for other content",
    registry=REGISTRY,
)
SCORING_SECONDS = Histogram("mshop_scoring_seconds", "Time to score one visit", registry=REGISTRY)


Probe = Callable[[], None]
# Set gauges read from elsewhere (the photo job queue, from the database) at each scrape.
_PROBES: list[Probe] = []


def add_probe(probe: Probe) -> Callable[[], None]:
    """Call ``probe`` before each scrape until the returned function is called."""
    _PROBES.append(probe)
    return lambda: _PROBES.remove(probe) if probe in _PROBES else None


def render() -> tuple[bytes, str]:
    """The exposition text; with several workers, the merged view of all of them."""
    for probe in list(_PROBES):
        try:
            probe()
        except Exception:
            log.exception("a metrics probe failed; its gauges keep their last value")
    return generate_latest(_exposed()), CONTENT_TYPE_LATEST


def _exposed() -> CollectorRegistry:
    """What a scrape reads: this process's metrics, or with several processes writing to
    ``PROMETHEUS_MULTIPROC_DIR``, the merged view of all of them."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
    return merged


def serve(host: str, port: int) -> None:
    """Serve this process's metrics on a thread of their own, for ``mshop worker``, which has
    no API; merged with its other processes' when ``PROMETHEUS_MULTIPROC_DIR`` is set.

    Raises:
        OSError: the port is taken or the address is not this machine's.
    """
    start_http_server(port, addr=host, registry=_exposed())
