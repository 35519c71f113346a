"""A run's request budget: capped by the setting and by what GitHub's rate limit has left."""

from __future__ import annotations

import threading


class BudgetSpent(Exception):
    """No request is left in this run's budget."""


class Budget:
    """Thread-safe request accounting; requests are reserved before they are sent.

    Every request, 304 included, counts against the run's ``limit`` (it is a request
    made); only answers other than 304 count against the rate limit, whose remainder
    GitHub reports in ``x-ratelimit-remaining``.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0  # reserved or sent
        self.not_modified = 0
        self.rate_remaining: int | None = None
        self._outstanding = 0  # reserved, not answered yet
        self._lock = threading.Lock()

    def acquire(self, n: int = 1) -> bool:
        """Reserve ``n`` requests; False (nothing reserved) when they do not fit."""
        with self._lock:
            if self.limit is not None and self.used + n > self.limit:
                return False
            if self.rate_remaining is not None and self._outstanding + n > self.rate_remaining:
                return False
            self.used += n
            self._outstanding += n
            return True

    def release(self, n: int) -> None:
        """Give back ``n`` reserved requests that will not be sent."""
        with self._lock:
            self.used -= n
            self._outstanding -= n

    def answered(self, status: int, rate_remaining: int | None) -> None:
        """Account for one answer to a reserved request."""
        with self._lock:
            self._outstanding -= 1
            if status == 304:
                self.not_modified += 1
            if rate_remaining is not None:
                self.rate_remaining = rate_remaining

    @property
    def spent(self) -> bool:
        """True when not even one more request fits."""
        with self._lock:
            full = self.limit is not None and self.used >= self.limit
            dry = self.rate_remaining is not None and self._outstanding >= self.rate_remaining
            return full or dry
