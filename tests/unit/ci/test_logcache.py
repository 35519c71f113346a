"""The passing logs' disk cache: round trip, the size cap (least recently used go first)."""

from __future__ import annotations

import os
from pathlib import Path

from argusai.ci.logcache import LogCache


def test_a_log_comes_back_as_it_went_in(tmp_path: Path) -> None:
    cache = LogCache(tmp_path, 1 << 20)
    assert cache.get("o/r", 1, 1, 9) is None
    cache.put("o/r", 1, 1, 9, b"line\n" * 1000)
    assert cache.get("o/r", 1, 1, 9) == b"line\n" * 1000
    assert cache.get("o/other", 1, 1, 9) is None  # keyed by repository too


def test_past_the_cap_the_least_recently_used_go(tmp_path: Path) -> None:
    cache = LogCache(tmp_path, 2_500)
    blobs = {job: os.urandom(1_000) for job in (1, 2, 3)}  # random: gzip cannot shrink them
    cache.put("o/r", 5, 1, 1, blobs[1])
    cache.put("o/r", 5, 1, 2, blobs[2])
    old = tmp_path.glob("*/5-1-1.log.gz").__next__()
    os.utime(old, (1, 1))
    assert cache.get("o/r", 5, 1, 1) == blobs[1]  # read: now the most recent
    newer = tmp_path.glob("*/5-1-2.log.gz").__next__()
    os.utime(newer, (2, 2))
    cache.put("o/r", 5, 1, 3, blobs[3])
    assert cache.get("o/r", 5, 1, 2) is None
    assert cache.get("o/r", 5, 1, 1) == blobs[1] and cache.get("o/r", 5, 1, 3) == blobs[3]


def test_a_broken_file_is_a_miss_and_goes(tmp_path: Path) -> None:
    cache = LogCache(tmp_path, 1 << 20)
    cache.put("o/r", 1, 1, 9, b"x")
    (path,) = tmp_path.glob("*/*.log.gz")
    path.write_bytes(b"not gzip")
    assert cache.get("o/r", 1, 1, 9) is None
    assert not path.exists()


def test_a_cap_of_zero_keeps_nothing(tmp_path: Path) -> None:
    cache = LogCache(tmp_path / "c", 0)
    cache.put("o/r", 1, 1, 9, b"x")
    assert cache.get("o/r", 1, 1, 9) is None and not (tmp_path / "c").exists()
