"""Reports tagged by the data they read: their ETags, and a bounded per-process cache of charts.

Drawing a chart of 60 services takes matplotlib about a second, 4-28 times its JSON report.
What a chart shows depends only on its kind, the filters, the language and the data the
reports read, and the data carries a version the database bumps on every change
(``reports/models.py``). The ETag is a digest of those, so every worker computes the same tag
for the same picture without sharing memory: a client's ``If-None-Match`` is answered 304 by
whichever worker it reaches, and a worker that has drawn the tag before sends its bytes.

No web or database code: the router reads the header, the service reads the version.
"""

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from service import __version__
from service.release import code_digest
from service.reports.charts import STYLE
from service.reports.schemas import ReportFilters


@dataclass(frozen=True)
class DataVersion:
    """The report data's version: ``epoch`` names the database, ``number`` counts its changes."""

    epoch: str
    number: int


def report_etag(
    kind: str, filters: ReportFilters, data: DataVersion, language: str, **options: object
) -> str:
    """The strong ETag of report ``kind`` for ``filters`` and its ``options`` (``rank_by``,
    ``limit``...) in ``language`` over the data at version ``data``.

    Statuses are a set (``approved,submitted`` reads what ``submitted,approved`` does). The
    running code's digest is in it too (``release.code_digest``: ``__version__`` is not bumped
    on every change), so a release that reports differently never answers 304 for what the
    one before sent.
    """
    shown = filters.model_dump(mode="json")
    shown["statuses"] = sorted(shown["statuses"])
    key = {
        "kind": kind,
        "filters": shown,
        "epoch": data.epoch,
        "version": data.number,
        "language": language,
        "options": options,
        "app": __version__,
        "code": code_digest(),
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    return f'"{digest[:32]}"'


def chart_etag(kind: str, filters: ReportFilters, data: DataVersion, language: str) -> str:
    """The strong ETag of chart ``kind``: its report's, with the charts' ``STYLE`` in it, so a
    release that draws differently never answers 304 for a picture drawn by the one before."""
    return report_etag(f"{kind}.png", filters, data, language, style=STYLE)


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, RFC 9110 13.1.2)."""
    if if_none_match is None:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in tags or etag in {tag.removeprefix("W/") for tag in tags}


class ChartCache:
    """The last ``entries`` charts drawn by this process, least recently used dropped first.

    Thread-safe (sync routes run on a thread pool). Requests for a tag being drawn wait for
    that drawing instead of starting their own, so a burst of the same chart draws it once.
    With ``entries`` 0 nothing is kept and every request draws.
    """

    def __init__(self, entries: int) -> None:
        if entries < 0:
            raise ValueError(f"entries must be 0 or more, not {entries}")
        self.entries = entries
        self._charts: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._drawing: dict[str, threading.Lock] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._charts)

    def __contains__(self, etag: object) -> bool:
        with self._lock:
            return etag in self._charts

    def _take(self, etag: str) -> bytes | None:
        # Callers hold self._lock.
        png = self._charts.get(etag)
        if png is not None:
            self._charts.move_to_end(etag)
        return png

    def get(self, etag: str) -> bytes | None:
        """The chart tagged ``etag`` if kept (it becomes the most recently used), else None."""
        with self._lock:
            return self._take(etag)

    def get_or_draw(self, etag: str, draw: Callable[[], bytes]) -> bytes:
        """The chart tagged ``etag``: from the cache, or drawn by ``draw()`` and kept."""
        if self.entries == 0:
            return draw()
        with self._lock:
            png = self._take(etag)
            if png is not None:
                return png
            drawing = self._drawing.setdefault(etag, threading.Lock())
        with drawing:
            with self._lock:
                png = self._take(etag)
            if png is not None:
                return png
            try:
                png = draw()
                with self._lock:
                    self._charts[etag] = png
                    self._charts.move_to_end(etag)
                    while len(self._charts) > self.entries:
                        self._charts.popitem(last=False)
            finally:
                with self._lock:
                    self._drawing.pop(etag, None)
        return png
