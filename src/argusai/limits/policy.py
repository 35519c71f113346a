"""ArgusAI's limits, built from settings, one set per Settings object (i.e. per process).

* ``github_writes``: content-creating GitHub requests per installation
  (``ARGUS_GITHUB_WRITES_PER_MINUTE`` / ``_PER_HOUR``), GitHub's secondary-limit advice.
* ``reviews``: reviews started per installation per minute (seed 000).
* ``webhooks``: deliveries that create work, per repository per minute (seed 001).
* ``pauses``: an installation GitHub rate-limited is paused until the reset time.

All state lives in the backend (SQLite file / Redis / PostgreSQL), so the limits hold
across every web and worker process of a deployment.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from dataclasses import dataclass

import structlog
from pyrate_limiter import Rate

from argusai.core.per_object import PerObject
from argusai.limits.backend import Backend, open_backend
from argusai.limits.limiter import RateLimiter
from argusai.settings import Settings

log = structlog.get_logger(__name__)

#: window lengths in seconds (module constants so tests can shrink time)
MINUTE = 60.0
HOUR = 3600.0


def _rates(*limits: tuple[int, float]) -> list[Rate]:
    """``(limit, window seconds)`` pairs as pyrate-limiter Rates; a limit of 0 is no limit."""
    return [Rate(limit, int(seconds * 1000)) for limit, seconds in limits if limit > 0]


@dataclass(frozen=True)
class Deferral:
    """Do not start now: come back in ``delay`` seconds."""

    delay: float
    reason: str


class Pauses:
    """Installations that must not start GitHub work before a time (shared in the backend)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._known: dict[int, float] = {}  # pauses this process wrote, to skip rewriting them
        self._lock = threading.Lock()

    def pause(self, installation_id: int, until: float, reason: str) -> None:
        """Pause ``installation_id`` until ``until`` (epoch seconds); longer pauses win."""
        with self._lock:
            if self._known.get(installation_id, 0.0) >= until - 1.0:
                return
            self._known[installation_id] = until
        try:
            self.backend.set_pause(f"inst:{installation_id}", until)
        except Exception as exc:  # noqa: BLE001 - the local note still defers this process
            log.warning("limits.pause_not_shared", error=type(exc).__name__)
        log.warning(
            "github.installation_paused",
            installation_id=installation_id,
            seconds=round(until - time.time(), 1),
            reason=reason,
        )

    def remaining(self, installation_id: int) -> float:
        """Seconds until ``installation_id`` may start GitHub work again (0 when not paused)."""
        with self._lock:
            until = self._known.get(installation_id, 0.0)
        try:
            shared = self.backend.get_pause(f"inst:{installation_id}")
        except Exception as exc:  # noqa: BLE001 - fail open on the shared part
            log.warning("limits.pause_unreadable", error=type(exc).__name__)
            shared = None
        if shared is not None:
            until = max(until, shared)
        return max(0.0, until - time.time())

    def resume(self, installation_id: int) -> None:
        """End a pause now (an operator, or a test fast-forwarding time)."""
        with self._lock:
            self._known.pop(installation_id, None)
        self.backend.clear_pause(f"inst:{installation_id}")


class Limits:
    """Every limiter of one deployment, over one backend."""

    def __init__(self, settings: Settings, backend: Backend | None = None) -> None:
        self.settings = settings
        self.backend = backend or open_backend(settings.resolved_rate_limit_url())
        self.github_writes = RateLimiter(
            self.backend,
            "gh-writes",
            _rates(
                (settings.github_writes_per_minute, MINUTE),
                (settings.github_writes_per_hour, HOUR),
            ),
        )
        self.reviews = RateLimiter(
            self.backend, "reviews", _rates((settings.reviews_per_minute_per_installation, MINUTE))
        )
        self.webhooks = RateLimiter(
            self.backend, "webhooks", _rates((settings.webhooks_per_minute_per_repo, MINUTE))
        )
        self.pauses = Pauses(self.backend)

    def __repr__(self) -> str:
        return f"Limits(backend={self.backend.kind})"

    def admit_review(self, installation_id: int) -> Deferral | None:
        """None when a review of this installation may start now; else when to come back."""
        paused = self.pauses.remaining(installation_id)
        if paused > 0:
            return Deferral(paused + random.uniform(0, 2), "installation paused: GitHub rate limit")  # noqa: S311
        wait = self.reviews.acquire(f"inst:{installation_id}")
        if wait > 0:
            # spread the waiting reviews over the next window rather than wake them together
            spread = random.uniform(0, MINUTE / 4)  # noqa: S311 - jitter
            return Deferral(
                wait + spread,
                f"over {self.settings.reviews_per_minute_per_installation} reviews/minute "
                "for this installation",
            )
        return None

    def webhook_delay(self, repo_name: str) -> float:
        """0 when a delivery for ``repo_name`` may be dispatched now; else its delay (s)."""
        wait = self.webhooks.acquire(f"repo:{repo_name.lower()}")
        if wait <= 0:
            return 0.0
        return wait + random.uniform(0, MINUTE)  # noqa: S311 - spread the excess over a window

    def close(self) -> None:
        """Close the backend's connections."""
        for limiter in (self.github_writes, self.reviews, self.webhooks):
            limiter.close()
        self.backend.close()


def _close_quietly(limits: Limits) -> None:
    with contextlib.suppress(Exception):  # best effort at teardown
        limits.close()


_per_settings: PerObject[Settings, Limits] = PerObject(Limits, _close_quietly)


def limits_for(settings: Settings) -> Limits:
    """The Limits of ``settings`` (one per Settings object: one per process in production).

    Closed when the Settings object goes away.
    """
    return _per_settings.get(settings)
