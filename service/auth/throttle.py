"""Sliding-window limit on failed logins, per account and per client address."""

import math
import threading
from collections import deque


class LoginThrottle:
    """Counts failures in memory; each API process keeps its own window."""

    def __init__(self, *, per_account: int, per_address: int, window_seconds: float) -> None:
        self._limits = {"account": per_account, "address": per_address}
        self._window = window_seconds
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self._window:
            times.popleft()
        return times

    def retry_after(self, *, account: str, address: str, now: float) -> int | None:
        """Seconds to wait if either key is over its limit, else None."""
        with self._lock:
            waits = []
            for kind, value in (("account", account), ("address", address)):
                times = self._recent((kind, value), now)
                if len(times) >= self._limits[kind]:
                    waits.append(max(1, math.ceil(times[0] + self._window - now)))
            return max(waits) if waits else None

    def record_failure(self, *, account: str, address: str, now: float) -> None:
        with self._lock:
            for key in (("account", account), ("address", address)):
                self._recent(key, now).append(now)

    def record_success(self, *, account: str) -> None:
        with self._lock:
            self._failures.pop(("account", account), None)
