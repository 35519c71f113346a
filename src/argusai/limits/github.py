"""GitHub's limits, per installation: pace writes, read the rate-limit headers, pause.

* Before every content-creating request (POST / PATCH / PUT / DELETE) a permit is taken
  from ``Limits.github_writes``; a wait of a few seconds is slept inline, a longer one
  raises ``GitHubRateLimited(retry_after=…)`` so the job is rescheduled without
  spending its retry budget.
* After every response, ``x-ratelimit-remaining`` at or below the reserve
  (``ARGUS_GITHUB_MIN_RATE_LIMIT_REMAINING``) pauses the installation until
  ``x-ratelimit-reset``; a ``retry-after`` on 403 / 429 pauses it that long.
  Jobs of a paused installation are deferred to the end of the pause.
"""

from __future__ import annotations

import time

import httpx
import structlog

from argusai.errors import GitHubRateLimited
from argusai.limits.policy import Limits
from argusai.telemetry.metrics import telemetry

log = structlog.get_logger(__name__)

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


def _number(headers: httpx.Headers, name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


class GitHubGuard:
    """Write pacing and rate-limit pauses for the installation clients of one App."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        settings = limits.settings
        self.min_remaining = settings.github_min_rate_limit_remaining
        self.max_inline_wait = settings.github_max_pacing_wait_seconds
        self.per_minute = settings.github_writes_per_minute
        self.per_hour = settings.github_writes_per_hour

    def __repr__(self) -> str:
        return f"GitHubGuard({self.limits!r})"

    def before_request(self, installation_id: int, method: str, path: str) -> None:
        """Take a write permit for content-creating requests (may raise GitHubRateLimited)."""
        if method.upper() not in WRITE_METHODS:
            return
        wait = self.limits.github_writes.acquire(f"inst:{installation_id}")
        if 0 < wait <= self.max_inline_wait:
            time.sleep(wait)
            wait = self.limits.github_writes.acquire(f"inst:{installation_id}")
        if wait > 0:
            log.info(
                "github.write_paced",
                installation_id=installation_id,
                method=method,
                wait=round(wait, 1),
            )
            raise GitHubRateLimited(
                f"pacing GitHub writes for installation {installation_id} "
                f"(at most {self.per_minute}/minute, {self.per_hour}/hour): "
                f"{method} {path.split('?')[0]} waits {wait:.0f} s",
                retry_after=wait,
            )

    def observe(self, installation_id: int, response: httpx.Response) -> None:
        """Read the rate-limit headers of a response; pause the installation when needed."""
        headers = response.headers
        retry_after = _number(headers, "retry-after")
        if retry_after is not None and response.status_code in (403, 429):
            self.limits.pauses.pause(
                installation_id, time.time() + retry_after, "secondary rate limit (retry-after)"
            )
            return
        remaining = _number(headers, "x-ratelimit-remaining")
        if remaining is not None:
            telemetry().github_rate_limit(installation_id, remaining)
        reset = _number(headers, "x-ratelimit-reset")
        if remaining is None or reset is None or remaining > self.min_remaining:
            return
        if reset <= time.time():
            return
        self.limits.pauses.pause(
            installation_id,
            reset,
            f"primary rate limit: {int(remaining)} requests left (reserve {self.min_remaining})",
        )

    def response_hook(self, installation_id: int) -> _Observer:
        """An httpx response hook bound to ``installation_id``."""
        return _Observer(self, installation_id)


class _Observer:
    __slots__ = ("guard", "installation_id")

    def __init__(self, guard: GitHubGuard, installation_id: int) -> None:
        self.guard, self.installation_id = guard, installation_id

    def __call__(self, response: httpx.Response) -> None:
        try:
            self.guard.observe(self.installation_id, response)
        except Exception as exc:  # noqa: BLE001 - a hook must never break the request
            log.warning("github.rate_limit_observe_failed", error=type(exc).__name__)
