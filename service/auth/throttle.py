"""Sliding-window limits on failed logins: per account from one address, and per address.

Failures are counted per (account, client address) pair, so a stranger guessing a shopper's
password from elsewhere locks out only themself, never the owner; a second, wider limit per
address bounds how many accounts one address may try. Guessing from many addresses at once
is bounded by each address's own limit and by argon2's cost.
"""

import math
import threading
from collections import deque

# Stale windows are swept after this many recorded failures, so keys an attacker sprays
# (random emails, many addresses) cannot grow the process's memory without bound.
_SWEEP_EVERY = 1000


class LoginThrottle:
    """Counts failures in memory; each API process keeps its own window.

    An unlock is also stored on the account (``login_reset_at``) and passed in as ``reset_at``,
    so every process forgets the failures before it, not only the one that served the unlock.
    """

    def __init__(self, *, per_account: int, per_address: int, window_seconds: float) -> None:
        self._per_pair = per_account
        self._per_address = per_address
        self._window = window_seconds
        self._pairs: dict[str, dict[str, deque[float]]] = {}
        self._addresses: dict[str, deque[float]] = {}
        self._recorded = 0
        self._lock = threading.Lock()

    def _prune(self, times: deque[float], now: float, reset_at: float | None = None) -> None:
        expired = now - self._window
        while times and (times[0] <= expired or (reset_at is not None and times[0] < reset_at)):
            times.popleft()

    def _wait(self, times: deque[float] | None, limit: int, now: float) -> int | None:
        if times is None or len(times) < limit:
            return None
        return max(1, math.ceil(times[0] + self._window - now))

    def retry_after(
        self, *, account: str, address: str, now: float, reset_at: float | None = None
    ) -> int | None:
        """Seconds to wait if the pair or the address is over its limit, else None.

        Args:
            reset_at: when the account was last unlocked; earlier failures no longer count.
        """
        with self._lock:
            pair = self._pairs.get(account, {}).get(address)
            if pair is not None:
                self._prune(pair, now, reset_at)
            by_address = self._addresses.get(address)
            if by_address is not None:
                self._prune(by_address, now)
            waits = [
                wait
                for wait in (
                    self._wait(pair, self._per_pair, now),
                    self._wait(by_address, self._per_address, now),
                )
                if wait is not None
            ]
            return max(waits) if waits else None

    def record_failure(self, *, account: str, address: str, now: float) -> None:
        with self._lock:
            self._pairs.setdefault(account, {}).setdefault(address, deque()).append(now)
            self._addresses.setdefault(address, deque()).append(now)
            self._recorded += 1
            if self._recorded % _SWEEP_EVERY == 0:
                self._sweep(now)

    def record_success(self, *, account: str, address: str) -> None:
        with self._lock:
            addresses = self._pairs.get(account)
            if addresses is not None:
                addresses.pop(address, None)
                if not addresses:
                    del self._pairs[account]

    def clear(self, *, account: str) -> None:
        """Forget the account's failures from every address (an unlock)."""
        with self._lock:
            self._pairs.pop(account, None)

    def _sweep(self, now: float) -> None:
        for account in list(self._pairs):
            addresses = self._pairs[account]
            for address in list(addresses):
                self._prune(addresses[address], now)
                if not addresses[address]:
                    del addresses[address]
            if not addresses:
                del self._pairs[account]
        for address in list(self._addresses):
            self._prune(self._addresses[address], now)
            if not self._addresses[address]:
                del self._addresses[address]
