"""Responses shared by the domains' routers."""

from collections.abc import Iterable
from typing import Any

import anyio
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel
from starlette.types import Receive, Scope, Send


class ClosingStreamingResponse(StreamingResponse):
    """A streamed body whose source (a generator, a file) is closed however the response ends.

    When a client goes away mid-download Starlette stops iterating but neither closes the
    source nor runs the response's background task, and the source sits in a reference cycle
    with the response, so what it holds (an export's transaction and pooled connection, an
    open file) would wait for the garbage collector. A few abandoned downloads would then hold
    every pooled connection.
    """

    def __init__(self, content: Iterable[bytes], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._source = content

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Shielded: a disconnect cancels the task, and the clean-up must still run.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._close)

    def _close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


def model_json(model: BaseModel, status_code: int = 200) -> Response:
    """``model`` as the JSON body of a response (200 unless told), serialized in the calling
    thread.

    For a route declared with ``response_model=type(model)`` on a hot write path: returned as a
    model, FastAPI validates it again and serializes it on one more worker-thread hop, after
    the route and before the request's session ends, that is with the transaction (on SQLite,
    the database's write lock) still held.
    """
    return Response(model.model_dump_json(), status_code, media_type="application/json")
