"""The Prometheus scrape endpoint."""

from fastapi import APIRouter, Response, status

from service.observability import metrics

router = APIRouter()


@router.get(
    "/metrics",
    summary="Read metrics",
    status_code=status.HTTP_200_OK,
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def read_metrics() -> Response:
    """Expose request, upload, sync, photo job and scoring metrics in Prometheus' text format."""
    body, content_type = metrics.render()
    return Response(content=body, media_type=content_type)
