"""A non-blocking limiter over pyrate-limiter buckets: ``acquire(key)`` → seconds to wait.

pyrate-limiter's ``Limiter`` either sleeps (blocking) or answers a bare ``False``; a
worker thread must never sleep for a minute and the caller needs the wait to
reschedule the job. So buckets are driven directly: ``put_decision`` checks and inserts
atomically in the backend and, when refused, says when a slot frees up. Nothing is
taken when refused. One bucket per key; each key's bucket object is used under its own
lock (buckets keep the last verdict in instance attributes).

Fails open: when the backend is unreachable the call is admitted (rate limiting is a
courtesy to GitHub and a guard against floods; losing deliveries is worse), a warning
is logged and the backend is left alone for ``cooldown`` seconds.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import structlog
from pyrate_limiter import AbstractBucket, Decision, Rate, RateItem

from argusai.limits.backend import Backend
from argusai.telemetry.metrics import telemetry

log = structlog.get_logger(__name__)

LEAK_EVERY = 60.0  # seconds between clean-ups of a bucket's expired entries
CONTENTION_RETRIES = 5  # PostgreSQL buckets refuse (NOWAIT) while another writer holds them


def now_ms() -> int:
    """Wall-clock milliseconds: comparable across processes and machines (NTP)."""
    return time.time_ns() // 1_000_000


def normalize(rates: list[Rate]) -> list[Rate]:
    """Rates ordered as pyrate-limiter requires, without the ones that can never bind.

    pyrate-limiter refuses a list where a longer window allows a higher density (e.g.
    2/minute + 500/hour: the hourly limit is unreachable) or no more permits than a
    shorter one (then the shorter one is unreachable); such rates are dropped.
    """
    kept: list[Rate] = []
    for rate in sorted((r for r in rates if r.limit > 0), key=lambda r: r.interval):
        while kept and rate.limit <= kept[-1].limit:
            kept.pop()
        if kept and rate.limit / rate.interval > kept[-1].limit / kept[-1].interval:
            continue
        kept.append(rate)
    return kept


@dataclass
class _Entry:
    bucket: AbstractBucket
    lock: threading.Lock = field(default_factory=threading.Lock)
    leaked_at: float = field(default_factory=time.monotonic)


class RateLimiter:
    """Limits of ``rates`` per key, e.g. 80/minute + 500/hour per installation."""

    def __init__(
        self, backend: Backend, name: str, rates: list[Rate], *, cooldown: float = 30.0
    ) -> None:
        self.backend = backend
        self.name = name
        self.rates = normalize(rates)
        self.cooldown = cooldown
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._down_until = 0.0

    def __repr__(self) -> str:
        return f"RateLimiter({self.name!r}, {self.rates!r}, backend={self.backend.kind})"

    @property
    def enabled(self) -> bool:
        """False when every rate is 0 (unlimited)."""
        return bool(self.rates)

    def _entry(self, key: str) -> _Entry:
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None:
            return entry
        bucket = self.backend.bucket(f"{self.name}:{key}", self.rates)
        with self._lock:
            return self._entries.setdefault(key, _Entry(bucket))

    def acquire(self, key: str) -> float:
        """Take one permit for ``key``: 0.0 when granted, else seconds until one frees up."""
        if not self.rates or time.monotonic() < self._down_until:
            return 0.0
        try:
            entry = self._entry(key)
            with entry.lock:
                wait_ms = self._put(entry.bucket)
                if time.monotonic() - entry.leaked_at > LEAK_EVERY:
                    entry.leaked_at = time.monotonic()
                    entry.bucket.leak(now_ms())
        except Exception as exc:  # noqa: BLE001 - any backend failure: admit, warn, cool down
            self._down_until = time.monotonic() + self.cooldown
            log.warning(
                "limits.backend_unavailable",
                limiter=self.name,
                backend=self.backend.kind,
                error=type(exc).__name__,
            )
            return 0.0
        if wait_ms > 0:
            telemetry().limiter_wait(self.name, wait_ms / 1000.0)
        return wait_ms / 1000.0

    def _put(self, bucket: AbstractBucket) -> int:
        for attempt in range(CONTENTION_RETRIES):
            item = RateItem(self.name, now_ms(), weight=1)
            decision = bucket.put_decision(item)
            assert isinstance(decision, Decision)  # every backend here is synchronous
            if decision.allowed:
                return 0
            wait = decision.retry_after_ms
            if wait is not None and wait > 0:
                return int(wait)
            # no verdict (a concurrent writer held the bucket): try again shortly
            time.sleep(0.005 * (attempt + 1) * random.uniform(0.5, 1.5))  # noqa: S311
        return 1000  # still contended: come back in a second rather than spin

    def reset(self, key: str) -> None:
        """Forget every permit taken for ``key`` (operators, tests)."""
        entry = self._entry(key)
        with entry.lock:
            entry.bucket.flush()

    def close(self) -> None:
        """Drop the bucket objects (the backend owns the connections)."""
        with self._lock:
            self._entries.clear()
