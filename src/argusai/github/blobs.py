"""File texts by git blob id, on disk, shared by every process of one data dir.

A blob id is the SHA-1 of the content (``blob <size>\\0`` + bytes), so an entry never goes
stale and serves every pull request, review and repository holding that content. Each
text sits in ``<root>/<id[:2]>/<id[2:]>`` (folders 0700, files 0600), written to a temporary
file and renamed into place, so concurrent writers of one id leave one whole file and a
reader never sees half of one. What is read back is checked against its id.

Sizes are capped: a blob over ``max_blob_bytes`` is not stored, and when the store passes
``max_bytes`` the least recently used files (by mtime, touched on every hit) are deleted
down to 80 % of it. The running total is per process, so with several processes the cap
holds approximately: each rescans the folder when its own count passes the cap, and every
``RESCAN_EVERY`` writes.

Next to a text, small "side" entries (``<id>.<kind>``) keep what was derived from it (the
names a file defines, for a repository symbol index) under the same id and the same cap.
The cache is best effort: a full disk or an unreadable file is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)

MAX_BYTES = 256 * 1024 * 1024
MAX_BLOB_BYTES = 1024 * 1024
MAX_SIDE_BYTES = 64 * 1024
RESCAN_EVERY = 500
LOW_WATER = 0.8
STALE_TEMP_SECONDS = 3600
_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")  # SHA-1, or SHA-256 repositories
_KIND = re.compile(r"^[a-z0-9_-]{1,32}$")


def git_blob_sha(data: bytes) -> str:
    """git's id of a blob holding ``data``."""
    header = f"blob {len(data)}\0".encode()
    return hashlib.sha1(header + data, usedforsecurity=False).hexdigest()


def _valid(sha: str, kind: str | None = None) -> bool:
    return bool(_SHA.match(sha)) and (kind is None or bool(_KIND.match(kind)))


class BlobCache(Protocol):
    """Texts by blob id, and small derived entries next to them."""

    hits: int
    misses: int

    def get(self, sha: str) -> str | None:
        """The text of blob ``sha``; None when not cached."""
        ...

    def put(self, sha: str, text: str) -> bool:
        """Keep ``text`` (whose UTF-8 bytes are blob ``sha``); False when not kept."""
        ...

    def get_side(self, sha: str, kind: str) -> str | None:
        """What was derived from blob ``sha`` as ``kind``; None when not cached."""
        ...

    def put_side(self, sha: str, kind: str, value: str) -> None:
        """Keep ``value`` derived from blob ``sha`` as ``kind``."""
        ...


class MemoryBlobCache:
    """The same cache in this process only (tests, one-off runs), capped the same way."""

    def __init__(
        self, *, max_bytes: int = MAX_BYTES // 4, max_blob_bytes: int = MAX_BLOB_BYTES
    ) -> None:
        self.max_bytes = max_bytes
        self.max_blob_bytes = max_blob_bytes
        self.hits = self.misses = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget everything (and the counts)."""
        with self._lock:
            self._items.clear()
            self._bytes = self.hits = self.misses = 0

    def _get(self, key: str) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def _put(self, key: str, data: bytes) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes += len(data) - len(old or b"")
            self._items[key] = data
            while self._bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    def get(self, sha: str) -> str | None:
        """The text of blob ``sha``; None when not cached."""
        data = self._get(sha)
        with self._lock:
            if data is None:
                self.misses += 1
                return None
            self.hits += 1
        return data.decode("utf-8")

    def put(self, sha: str, text: str) -> bool:
        """Keep ``text`` unless it is too large or is not blob ``sha``."""
        data = text.encode("utf-8")
        if len(data) > self.max_blob_bytes or not _valid(sha) or git_blob_sha(data) != sha:
            return False
        self._put(sha, data)
        return True

    def get_side(self, sha: str, kind: str) -> str | None:
        """What was derived from blob ``sha`` as ``kind``; None when not cached."""
        data = self._get(f"{sha}.{kind}")
        return None if data is None else data.decode("utf-8")

    def put_side(self, sha: str, kind: str, value: str) -> None:
        """Keep ``value`` derived from blob ``sha`` as ``kind`` (up to 64 KiB)."""
        data = value.encode("utf-8")
        if len(data) <= MAX_SIDE_BYTES and _valid(sha, kind):
            self._put(f"{sha}.{kind}", data)


class DiskBlobCache:
    """Texts by blob id under ``root`` (see the module docstring); thread- and
    process-safe."""

    def __init__(
        self,
        root: Path,
        *,
        max_bytes: int = MAX_BYTES,
        max_blob_bytes: int = MAX_BLOB_BYTES,
    ) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.max_blob_bytes = max_blob_bytes
        self.hits = self.misses = 0
        self._lock = threading.Lock()
        self._bytes: int | None = None  # unknown until the first write scans the folder
        self._writes = 0
        self._made: set[str] = set()

    def __repr__(self) -> str:
        return f"DiskBlobCache({str(self.root)!r})"

    # ---- reading -------------------------------------------------------------------------

    def _path(self, name: str) -> Path:
        return self.root / name[:2] / name[2:]

    def _read(self, name: str) -> bytes | None:
        path = self._path(name)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # least recently *used* goes first
        return data

    def get(self, sha: str) -> str | None:
        """The text of blob ``sha``; None when not cached (or the file is damaged)."""
        data = self._read(sha) if _valid(sha) else None
        if data is not None and git_blob_sha(data) != sha:
            log.warning("blob cache entry damaged; dropped", sha=sha[:12])
            with contextlib.suppress(OSError):
                self._path(sha).unlink()
            data = None
        with self._lock:
            if data is None:
                self.misses += 1
                return None
            self.hits += 1
        return data.decode("utf-8", errors="replace")

    def get_side(self, sha: str, kind: str) -> str | None:
        """What was derived from blob ``sha`` as ``kind``; None when not cached."""
        if not _valid(sha, kind):
            return None
        data = self._read(f"{sha}.{kind}")
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    # ---- writing -------------------------------------------------------------------------

    def put(self, sha: str, text: str) -> bool:
        """Keep ``text`` unless it is over the per-blob cap or is not blob ``sha``."""
        data = text.encode("utf-8")
        if len(data) > self.max_blob_bytes or not _valid(sha):
            return False
        if git_blob_sha(data) != sha:
            log.warning("blob text does not match its id; not cached", sha=sha[:12])
            return False
        return self._write(sha, data)

    def put_side(self, sha: str, kind: str, value: str) -> None:
        """Keep ``value`` derived from blob ``sha`` as ``kind`` (up to 64 KiB)."""
        data = value.encode("utf-8")
        if len(data) <= MAX_SIDE_BYTES and _valid(sha, kind):
            self._write(f"{sha}.{kind}", data)

    def _folder(self, name: str) -> Path:
        sub = name[:2]
        folder = self.root / sub
        if sub not in self._made:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder.mkdir(mode=0o700, exist_ok=True)
            self._made.add(sub)
        return folder

    def _write(self, name: str, data: bytes) -> bool:
        try:
            folder = self._folder(name)
            fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".tmp-")  # created 0600
            tmp = Path(tmp_name)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                tmp.replace(folder / name[2:])  # atomic: readers see the old file or this one
            except BaseException:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise
        except OSError as exc:
            log.warning("blob cache write failed", error=type(exc).__name__)
            return False
        self._account(len(data))
        return True

    def _account(self, size: int) -> None:
        with self._lock:
            self._writes += 1
            rescan = self._bytes is None or self._writes % RESCAN_EVERY == 0
            self._bytes = (self._bytes or 0) + size
            over = self._bytes > self.max_bytes
        if rescan or over:
            total = self._evict()
            with self._lock:
                self._bytes = total

    def _evict(self) -> int:
        """Delete least recently used files until under the low-water mark; the total left."""
        files: list[tuple[float, int, str]] = []
        now = time.time()
        try:
            subs = [e for e in os.scandir(self.root) if e.is_dir(follow_symlinks=False)]
        except OSError:
            return 0
        for sub in subs:
            with contextlib.suppress(OSError), os.scandir(sub.path) as it:
                for entry in it:
                    with contextlib.suppress(OSError):
                        st = entry.stat(follow_symlinks=False)
                        if entry.name.startswith(".tmp-"):
                            if now - st.st_mtime > STALE_TEMP_SECONDS:  # a writer that died
                                Path(entry.path).unlink()
                            continue
                        files.append((st.st_mtime, st.st_size, entry.path))
        total = sum(size for _, size, _ in files)
        if total <= self.max_bytes:
            return total
        files.sort()
        target = int(self.max_bytes * LOW_WATER)
        dropped = 0
        for _mtime, size, path in files:
            if total <= target:
                break
            with contextlib.suppress(FileNotFoundError):  # another process got there first
                Path(path).unlink()
                dropped += 1
            total -= size
        log.info("blob cache trimmed", files=dropped, bytes=total)
        return total
