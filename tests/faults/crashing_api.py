"""The API, killed with SIGKILL when ``complete`` reaches a named step.

``python -m tests.faults.crashing_api STEP PORT``: serves ``service.main:create_app`` (settings
from the environment) on 127.0.0.1:PORT, with ``photos.lifecycle.on_step`` replaced so that the
process kills itself, as ``kill -9`` would, the moment a ``complete`` reaches STEP. Used by
tests/faults/test_complete_crash.py; nothing in the service reads an environment variable or
flag to crash.
"""

import os
import signal
import sys

import uvicorn

from service.photos import lifecycle


def main(step: str, port: int) -> None:
    def crash(name: str) -> None:
        if name == step:
            os.kill(os.getpid(), signal.SIGKILL)

    lifecycle.on_step = crash
    uvicorn.run(
        "service.main:create_app", factory=True, host="127.0.0.1", port=port, log_level="warning"
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
