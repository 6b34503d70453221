import datetime as dt
import io
import json
import logging
import sys

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.auth.roles import Role
from service.observability.logs import (
    JsonFormatter,
    LogFormat,
    TextFormatter,
    formatter_for,
    request_id,
    resolve,
)
from tests.conftest import AuthHeaders
from tests.fixtures.routes import api_path


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
    client.get(api_path("read_service", code="S26"), headers=headers)
    client.get(api_path("read_service", code="S27"), headers=headers)
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


def _record(**extras: object) -> logging.LogRecord:
    record = logging.LogRecord("mshop", logging.INFO, __file__, 1, "GET %s %s", ("/x", 200), None)
    record.created = dt.datetime(2026, 3, 18, 9, 30, 0, 123456, tzinfo=dt.UTC).timestamp()
    for key, value in extras.items():
        setattr(record, key, value)
    return record


class TestLogFormats:
    def test_text_line_has_time_level_request_id_message_and_extras(self) -> None:
        token = request_id.set("rid-42")
        try:
            line = TextFormatter().format(_record(status=200, duration_ms=1.5, who="two words"))
        finally:
            request_id.reset(token)
        assert line == (
            "2026-03-18 09:30:00.123Z INFO  [rid-42] GET /x 200 "
            'status=200 duration_ms=1.5 who="two words"'
        )

    def test_text_line_outside_a_request_and_with_an_error(self) -> None:
        try:
            raise ValueError("boom")
        except ValueError:
            record = _record()
            record.exc_info = sys.exc_info()
        first, *trace = TextFormatter().format(record).splitlines()
        assert first == "2026-03-18 09:30:00.123Z INFO  [-] GET /x 200"
        assert trace[-1] == "ValueError: boom"

    def test_json_line_of_the_same_record(self) -> None:
        token = request_id.set("rid-42")
        try:
            entry = json.loads(JsonFormatter().format(_record(status=200, who="two words")))
        finally:
            request_id.reset(token)
        assert entry == {
            "time": "2026-03-18T09:30:00.123456+00:00",
            "level": "info",
            "logger": "mshop",
            "message": "GET /x 200",
            "request_id": "rid-42",
            "status": 200,
            "who": "two words",
        }

    @pytest.mark.parametrize(
        ("fmt", "tty", "expected"),
        [
            (LogFormat.auto, True, LogFormat.text),
            (LogFormat.auto, False, LogFormat.json),
            (LogFormat.json, True, LogFormat.json),
            (LogFormat.text, False, LogFormat.text),
        ],
    )
    def test_auto_is_text_on_a_terminal_only(
        self, fmt: LogFormat, tty: bool, expected: LogFormat
    ) -> None:
        stream = io.StringIO()
        stream.isatty = lambda: tty  # type: ignore[method-assign]
        assert resolve(fmt, stream) is expected
        kind = TextFormatter if expected is LogFormat.text else JsonFormatter
        assert isinstance(formatter_for(fmt, stream), kind)


def test_an_unexpected_error_is_a_500_problem_with_the_request_id(
    app: FastAPI, client: TestClient
) -> None:
    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())  # reads the request id when the line is written
    logging.getLogger("mshop").addHandler(handler)
    try:
        response = client.get("/boom", headers={"X-Request-ID": "phone-7.boom"})
    finally:
        logging.getLogger("mshop").removeHandler(handler)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal-error"
    assert "a bug" not in response.text
    assert response.headers["x-request-id"] == "phone-7.boom"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    errors = [e for e in lines if e["message"] == "unhandled error on GET /boom"]
    assert [e.get("request_id") for e in errors] == ["phone-7.boom"]
