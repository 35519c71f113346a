"""Uploads in progress per client address (seed 003: 100 per IP), refused past the limit.

An upload holds its place from the first byte of the request until the answer: the body
(up to the tier's log size), its decompression and, for a small log, the analysis itself.
Past ``ARGUS_CI_MAX_UPLOADS_PER_IP`` the next request is answered 429 with ``Retry-After``
before its body is read. The address is the peer's (uvicorn takes X-Forwarded-For only
from ``ARGUS_TRUSTED_PROXIES``). Counts are per web process: each process protects the
memory and threads it has.
"""

from __future__ import annotations

import threading

from argusai.core.closing import ClosesOnExit
from argusai.core.per_object import PerObject
from argusai.settings import Settings

RETRY_AFTER_SECONDS = 5


class Uploads:
    """How many uploads each address has in progress."""

    def __init__(self, per_ip: int) -> None:
        self.per_ip = per_ip
        self._busy: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, ip: str) -> Upload | None:
        """A place for one more upload from ``ip``, or None when it has ``per_ip`` already."""
        with self._lock:
            count = self._busy.get(ip, 0)
            if count >= self.per_ip:
                return None
            self._busy[ip] = count + 1
        return Upload(self, ip)

    def in_progress(self, ip: str) -> int:
        """Uploads from ``ip`` now."""
        with self._lock:
            return self._busy.get(ip, 0)

    def _give_back(self, ip: str) -> None:
        with self._lock:
            left = self._busy[ip] - 1
            if left:
                self._busy[ip] = left
            else:
                del self._busy[ip]


class Upload(ClosesOnExit):
    """One upload's place, given back once when the block ends."""

    def __init__(self, uploads: Uploads, ip: str) -> None:
        self._uploads, self._ip, self._held = uploads, ip, True

    def close(self) -> None:
        """Give the place back (once)."""
        if self._held:
            self._held = False
            self._uploads._give_back(self._ip)


_per_settings: PerObject[Settings, Uploads] = PerObject(
    lambda s: Uploads(s.ci_max_uploads_per_ip), lambda _u: None
)


def uploads_for(settings: Settings) -> Uploads:
    """The counts of this process (one per Settings object, as the sync slots are)."""
    return _per_settings.get(settings)
