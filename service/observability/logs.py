"""Logs one line per event, each carrying the request id it belongs to.

JSON lines for machines (production, files, log shippers) and readable text lines for a person
at a terminal; ``auto`` picks text when stderr is a terminal, JSON otherwise.
"""

import contextvars
import datetime as dt
import json
import logging
import sys
from enum import StrEnum
from typing import Any, TextIO

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}


class LogFormat(StrEnum):
    auto = "auto"
    json = "json"
    text = "text"


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    """Fields passed with ``extra=``."""
    return {k: v for k, v in vars(record).items() if k not in _RESERVED}


def _time(record: logging.LogRecord) -> dt.datetime:
    return dt.datetime.fromtimestamp(record.created, dt.UTC)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time(record).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            entry["request_id"] = rid
        # Fields passed with ``extra=`` become keys of the entry.
        entry.update(_extras(record))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _text_value(value: Any) -> str:
    text = str(value)
    # Quoted only when needed, so a line still splits into key=value pairs by spaces.
    if not text or any(c.isspace() or c in '"=' for c in text):
        return json.dumps(text, ensure_ascii=False)
    return text


class TextFormatter(logging.Formatter):
    """``2026-03-18 09:30:00.123Z INFO  [request id] message key=value ...`` (UTC)."""

    def format(self, record: logging.LogRecord) -> str:
        when = _time(record)
        parts = [
            f"{when:%Y-%m-%d %H:%M:%S}.{when.microsecond // 1000:03d}Z",
            f"{record.levelname:<5}",
            f"[{request_id.get() or '-'}]",
            record.getMessage(),
        ]
        parts += [f"{k}={_text_value(v)}" for k, v in _extras(record).items()]
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def resolve(fmt: LogFormat, stream: TextIO) -> LogFormat:
    """``auto`` becomes text on a terminal and JSON anywhere else (a pipe, a file, a service)."""
    if fmt is not LogFormat.auto:
        return fmt
    isatty = getattr(stream, "isatty", None)
    return LogFormat.text if isatty is not None and isatty() else LogFormat.json


def formatter_for(fmt: LogFormat, stream: TextIO) -> logging.Formatter:
    return TextFormatter() if resolve(fmt, stream) is LogFormat.text else JsonFormatter()


def configure(level: str = "INFO", fmt: LogFormat = LogFormat.auto) -> None:
    """Send the service's and uvicorn's logs to stderr, as JSON or text lines (see ``resolve``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter_for(fmt, sys.stderr))
    for name in ("mshop", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    # One access line per request comes from our middleware, with timing and request id.
    logging.getLogger("uvicorn.access").disabled = True
