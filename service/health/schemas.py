"""API models of liveness and readiness."""

from typing import Literal

from pydantic import BaseModel


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    # Only for admins; anonymous callers learn ready or not.
    checks: dict[str, str] | None = None
