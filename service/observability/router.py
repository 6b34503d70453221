"""The Prometheus scrape endpoint."""

import logging

from fastapi import APIRouter, Response, status

from service.deps import MetricProbesDep
from service.observability import metrics

log = logging.getLogger("mshop")

router = APIRouter()


@router.get(
    "/metrics",
    summary="Read metrics",
    status_code=status.HTTP_200_OK,
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def read_metrics(probes: MetricProbesDep) -> Response:
    """Expose request, upload, sync, photo job and scoring metrics in Prometheus' text format."""
    # Gauges read at scrape time (the photo job queue), set by what the app factory registered.
    for probe in probes:
        try:
            probe()
        except Exception:
            log.exception("a metrics probe failed; its gauges keep their last value")
    body, content_type = metrics.render()
    return Response(content=body, media_type=content_type)
