"""A body validated late answers as FastAPI's own validation does, after what must come first.

Two routes of one app take the same model: one as a FastAPI body parameter, one through
``LateJsonBody`` and ``validated``. Every body, good or bad, must get the same status and the
same problem document from both; the late one must run its ``first`` check before a 422.
"""

import json
from typing import Any

import pytest
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient

from service import late_body
from service.answers.schemas import AnswerBatch
from service.errors import Forbidden
from service.late_body import LateJsonBody
from service.problems import install_problem_handlers

ANSWER = {
    "client_id": "0b6ef5b4-2c6f-4a8a-9a57-0d1c7a1b2c3d",
    "item_code": "overall_rating",
    "value": 4,
    "answered_at": "2026-03-18T10:00:00+05:00",
}
GOOD = json.dumps({"answers": [ANSWER]}).encode()
JSON = "application/json"

# (body, content type) that do not make a batch, as phones and clients get them wrong.
INVALID: list[tuple[bytes, str | None]] = [
    (b'{"answers": "none"}', JSON),
    (b'{"answers": []}', JSON),
    (b'{"answers": [{"client_id": "x"}], "extra": 1}', JSON),
    (b"[]", JSON),
    (b'"answers"', JSON),
    (b"null", JSON),
    (b"", JSON),
    (b"", None),
    (b'{"answers": "none"}', None),  # no type: FastAPI does not read it as JSON
    (b"not json", None),
    (b'{"answers": "none"}', "application/vnd.api+json"),
    (b'{"answers": "none"}', "text/plain"),
    (b'{"answers": "none"}', "application/json; charset=utf-8"),
]
# Malformed JSON: answered while the body is read, before any dependency (FastAPI's order).
MALFORMED: list[tuple[bytes, str | None]] = [
    (b'{"answers": [', JSON),
    (b"not json", "application/json; charset=utf-8"),
]
# Bytes that are no text (the fuzzer's find), nesting past Python's stack: 400, as FastAPI.
UNREADABLE: list[tuple[bytes, str | None]] = [
    (b"\x80abc", JSON),
    (b'{"answers": \xff}', JSON),
    (b"[" * 100_000, JSON),
]


def _app(*, refuse: bool) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.put("/fastapi")
    def fastapi_body(batch: AnswerBatch) -> Response:
        return Response(str(len(batch.answers)))

    def first() -> None:
        if refuse:
            raise Forbidden("This caller may not send answers.")

    @app.put("/late", openapi_extra=late_body.openapi_body(AnswerBatch))
    def late(body: LateJsonBody) -> Response:
        batch = late_body.validated(AnswerBatch, body, first=first)
        return Response(str(len(batch.answers)))

    return app


def _put(client: TestClient, path: str, body: bytes, content_type: str | None) -> Any:
    headers = {"content-type": content_type} if content_type else {}
    return client.put(path, content=body, headers=headers)


def _problem(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"] == "application/problem+json"
    found: dict[str, Any] = response.json()
    return found | {"instance": None}  # the path differs


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [*[(*bad, 422) for bad in INVALID + MALFORMED], *[(*bad, 400) for bad in UNREADABLE]],
)
def test_a_bad_body_is_answered_as_fastapi_answers_it(
    body: bytes, content_type: str | None, status: int
) -> None:
    client = TestClient(_app(refuse=False))
    ours = _put(client, "/late", body, content_type)
    theirs = _put(client, "/fastapi", body, content_type)
    assert ours.status_code == theirs.status_code == status
    assert _problem(ours) == _problem(theirs)
    if status == 422:
        assert _problem(ours)["errors"]  # where and what, as FastAPI lists them


def test_a_good_body_is_the_model() -> None:
    client = TestClient(_app(refuse=True))
    # ``first`` guards the 422 only; a valid body leaves every check to the route.
    assert (_put(client, "/late", GOOD, JSON).text, _put(client, "/fastapi", GOOD, JSON).text) == (
        "1",
        "1",
    )


@pytest.mark.parametrize(("body", "content_type"), INVALID)
def test_a_refusal_comes_before_the_body_errors(body: bytes, content_type: str | None) -> None:
    response = _put(TestClient(_app(refuse=True)), "/late", body, content_type)
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
def test_malformed_json_is_refused_before_any_check(body: bytes, content_type: str | None) -> None:
    response = _put(TestClient(_app(refuse=True)), "/late", body, content_type)
    assert response.status_code == 422
    assert [e["type"] for e in response.json()["errors"]] == ["json_invalid"]


@pytest.mark.parametrize(("body", "content_type"), UNREADABLE)
def test_a_body_that_does_not_parse_is_refused_before_any_check(
    body: bytes, content_type: str | None
) -> None:
    response = _put(TestClient(_app(refuse=True)), "/late", body, content_type)
    assert (response.status_code, response.json()["code"]) == (400, "bad-request")


def test_the_spec_shows_the_model_as_fastapi_does() -> None:
    spec = _app(refuse=False).openapi()
    late = spec["paths"]["/late"]["put"]["requestBody"]
    assert late == spec["paths"]["/fastapi"]["put"]["requestBody"]
    schemas = late_body.body_schemas()
    for name in ("AnswerBatch", "AnswerIn"):
        assert schemas[name] == spec["components"]["schemas"][name]
