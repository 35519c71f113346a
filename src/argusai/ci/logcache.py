"""Passing jobs' logs on disk, so each is downloaded once: gzip files under a size cap.

A passing run's log never changes, so the key (repository, run id, attempt, job id) is the
whole truth about it. Files are written whole (a temporary file renamed into place): a
reader never sees half a log, and two workers writing the same log both write all of it.
Past the cap the least recently used files go first (reading a file touches it).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import tempfile
import time
import zlib
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

DIRECTORY = "ci-passing-logs"


class LogCache:
    """Logs of passing jobs under ``root``, at most ``max_bytes`` of gzip files (0: none)."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root, self.max_bytes = root, max_bytes

    def _path(self, repo: str, run_id: int, attempt: int, job_id: int) -> Path:
        # the repository is hashed: names hold characters a file system may refuse
        folder = hashlib.sha256(repo.lower().encode()).hexdigest()[:16]
        return self.root / folder / f"{int(run_id)}-{int(attempt)}-{int(job_id)}.log.gz"

    def get(self, repo: str, run_id: int, attempt: int, job_id: int) -> bytes | None:
        """The cached log, or None (absent, unreadable, or the cache is off)."""
        if self.max_bytes <= 0:
            return None
        path = self._path(repo, run_id, attempt, job_id)
        try:
            data = gzip.decompress(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, EOFError, zlib.error) as exc:
            log.warning("ci.passing_log_unreadable", path=str(path), error=type(exc).__name__)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: evicted last
        return data

    def put(self, repo: str, run_id: int, attempt: int, job_id: int, data: bytes) -> None:
        """Keep a log (compressed), then trim the cache to its cap; errors are only logged."""
        if self.max_bytes <= 0:
            return
        path = self._path(repo, run_id, attempt, job_id)
        blob = gzip.compress(data, compresslevel=6, mtime=0)
        if len(blob) > self.max_bytes:
            return  # larger than the whole cache: used once, not kept
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
            with os.fdopen(fd, "wb") as out:
                out.write(blob)
            Path(tmp).replace(path)
        except OSError as exc:
            log.warning("ci.passing_log_not_cached", error=type(exc).__name__)
            return
        self.trim()

    def trim(self) -> int:
        """Remove the least recently used files until the cache fits; how many went."""
        files = []
        for path in self.root.glob("*/*.log.gz"):
            with contextlib.suppress(OSError):
                st = path.stat()
                files.append((st.st_mtime, st.st_size, path))
        total = sum(size for _m, size, _p in files)
        removed = 0
        for _mtime, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size
                removed += 1
        for stale in self.root.glob("*/.part-*"):  # a writer that died mid-file
            with contextlib.suppress(OSError):
                if time.time() - stale.stat().st_mtime > 3600:
                    stale.unlink()
        return removed
