"""Responses shared by the domains' routers."""

from collections.abc import Iterable
from typing import Any

import anyio
from fastapi.responses import StreamingResponse
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
