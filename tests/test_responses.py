"""A streamed body's source is closed however the response ends, a hang-up included."""

import io
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from service.responses import ClosingStreamingResponse

SCOPE = {"type": "http", "asgi": {"spec_version": "2.4"}, "method": "GET", "path": "/"}


async def _never_disconnects() -> dict[str, Any]:
    await anyio.sleep_forever()
    return {}


def _serve(response: ClosingStreamingResponse, *, hang_up_after: int | None) -> list[bytes]:
    sent: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            if hang_up_after is not None and len(sent) == hang_up_after:
                raise OSError("client went away")
            sent.append(message.get("body", b""))

    async def call() -> None:
        await response(SCOPE, _never_disconnects, send)  # type: ignore[arg-type]

    if hang_up_after is None:
        anyio.run(call)
    else:
        with pytest.raises(Exception):  # noqa: B017, PT011  (Starlette's ClientDisconnect)
            anyio.run(call)
    return sent


def _export(state: dict[str, bool]) -> Iterator[bytes]:
    try:
        for n in range(100):
            yield f"row {n}\n".encode()
    finally:
        state["closed"] = True


@pytest.mark.parametrize("hang_up_after", [None, 1, 5])
def test_a_generator_is_closed(hang_up_after: int | None) -> None:
    state = {"closed": False}
    source = _export(state)
    sent = _serve(ClosingStreamingResponse(source), hang_up_after=hang_up_after)
    assert state["closed"]
    if hang_up_after is not None:
        assert len(sent) == hang_up_after


def test_a_file_is_closed_when_the_client_hangs_up() -> None:
    source = io.BytesIO(b"line\n" * 100)
    _serve(ClosingStreamingResponse(source), hang_up_after=2)
    assert source.closed
