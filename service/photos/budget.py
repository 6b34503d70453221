"""A per-process budget of pixels being decoded, so concurrent uploads cannot add up to gigabytes.

Pure: threading only. A decode costs memory in proportion to its pixels (about 10-15 bytes a
pixel across decode, orientation and RGB conversion), not to its file size, so callers reserve
the pixels they are about to decode and wait while others hold the rest.
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class BudgetTimeout(Exception):
    """The pixels did not become free within the wait; the server is busy decoding."""


class DecodeBudget:
    """A counting semaphore whose units are pixels.

    A reservation larger than the whole budget is cut down to the budget, so one image that
    alone exceeds it still runs (by itself) instead of waiting forever.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("the decode budget must be positive")
        self.capacity = capacity
        self._free = capacity
        self._cond = threading.Condition()

    @property
    def in_use(self) -> int:
        with self._cond:
            return self.capacity - self._free

    @contextmanager
    def reserve(self, pixels: int, *, timeout: float) -> Iterator[int]:
        """Hold ``pixels`` of the budget for the block; yield what was reserved.

        Raises:
            BudgetTimeout: the pixels were not free within ``timeout`` seconds.
        """
        cost = max(1, min(pixels, self.capacity))
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._free < cost:
                left = deadline - time.monotonic()
                if left <= 0 or not self._cond.wait(left) and self._free < cost:
                    raise BudgetTimeout(f"{cost} pixels not free within {timeout} s")
            self._free -= cost
        try:
            yield cost
        finally:
            with self._cond:
                self._free += cost
                self._cond.notify_all()


_BUDGETS: dict[int, DecodeBudget] = {}
_BUDGETS_LOCK = threading.Lock()


def shared(capacity: int) -> DecodeBudget:
    """The process-wide budget of this size: every upload of a process draws on the same one."""
    with _BUDGETS_LOCK:
        return _BUDGETS.setdefault(capacity, DecodeBudget(capacity))
