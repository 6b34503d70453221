import json
import logging

from fastapi.testclient import TestClient

from service.auth.roles import Role
from service.observability.logs import JsonFormatter, request_id
from tests.conftest import AuthHeaders


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "phone-42.sync_7"})
    assert given.headers["x-request-id"] == "phone-42.sync_7"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32


def test_metrics_count_requests_by_route_template(
    client: TestClient, auth_headers: AuthHeaders
) -> None:
    headers = auth_headers(Role.shopper)
    client.get("/api/v1/services/S26", headers=headers)
    client.get("/api/v1/services/S27", headers=headers)
    text = client.get("/metrics").text
    line = next(
        ln
        for ln in text.splitlines()
        if ln.startswith("mshop_requests_total")
        and 'route="/api/v1/services/{code}"' in ln
        and 'status="200"' in ln
    )
    assert float(line.rsplit(" ", 1)[1]) >= 2
    assert "S26" not in text
    assert "mshop_request_seconds_bucket" in text


def test_log_lines_are_json_with_the_request_id() -> None:
    token = request_id.set("abc123")
    try:
        record = logging.LogRecord("mshop", logging.INFO, __file__, 1, "hello %s", ("world",), None)
        record.status = 201
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["message"] == "hello world"
    assert line["request_id"] == "abc123"
    assert line["status"] == 201
    assert line["level"] == "info"
