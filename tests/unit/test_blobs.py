"""The blob cache: content-addressed, capped, private files, safe with concurrent writers."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

from argusai.github.blobs import DiskBlobCache, MemoryBlobCache, git_blob_sha


def _blob(text: str) -> tuple[str, str]:
    return git_blob_sha(text.encode()), text


def test_git_blob_sha_is_gits() -> None:
    # `printf 'hello\n' | git hash-object --stdin`
    assert git_blob_sha(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_round_trip_counts_hits_and_misses(tmp_path: Path) -> None:
    cache = DiskBlobCache(tmp_path / "blobs")
    sha, text = _blob("def f():\n    return 'é'\n")
    assert cache.get(sha) is None
    assert cache.put(sha, text)
    assert cache.get(sha) == text
    assert DiskBlobCache(tmp_path / "blobs").get(sha) == text  # another process, same dir
    assert (cache.hits, cache.misses) == (1, 1)


def test_text_under_a_wrong_id_or_a_bad_id_is_not_stored(tmp_path: Path) -> None:
    cache = DiskBlobCache(tmp_path / "blobs")
    sha, _ = _blob("one")
    assert not cache.put(sha, "two")
    assert not cache.put("../../etc/passwd", "x")
    assert cache.get("../../etc/passwd") is None
    assert not (tmp_path / "blobs").exists() or not any((tmp_path / "blobs").rglob("*"))


def test_files_are_private(tmp_path: Path) -> None:
    cache = DiskBlobCache(tmp_path / "blobs")
    sha, text = _blob("secret = 1\n")
    cache.put(sha, text)
    cache.put_side(sha, "names1", '["secret"]')
    root = tmp_path / "blobs"
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / sha[:2]).stat().st_mode) == 0o700
    for path in (root / sha[:2] / sha[2:], root / sha[:2] / f"{sha[2:]}.names1"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cache.get_side(sha, "names1") == '["secret"]'
    assert cache.get_side(sha, "../x") is None


def test_a_blob_over_the_per_blob_cap_is_not_stored(tmp_path: Path) -> None:
    cache = DiskBlobCache(tmp_path / "blobs", max_blob_bytes=100)
    sha, text = _blob("x" * 101)
    assert not cache.put(sha, text)
    assert cache.get(sha) is None


def test_least_recently_used_go_first_past_the_cap(tmp_path: Path) -> None:
    cache = DiskBlobCache(tmp_path / "blobs", max_bytes=1000)
    blobs = [_blob(f"{i:03}" + "x" * 297) for i in range(3)]  # 300 bytes each
    for n, (sha, text) in enumerate(blobs):
        cache.put(sha, text)
        path = tmp_path / "blobs" / sha[:2] / sha[2:]
        os.utime(path, (time.time() - 100 + n, time.time() - 100 + n))
    assert cache.get(blobs[0][0]) is not None  # a hit makes the oldest the newest
    sha, text = _blob("y" * 300)
    cache.put(sha, text)  # 1200 > 1000: trimmed to 800 at most
    left = {s for s, _ in [*blobs, (sha, text)] if cache.get(s) is not None}
    assert blobs[1][0] not in left  # the least recently used
    assert sha in left
    total = sum(p.stat().st_size for p in (tmp_path / "blobs").rglob("*") if p.is_file())
    assert total <= 800


def test_damaged_entry_is_a_miss_and_is_dropped(tmp_path: Path) -> None:
    cache = DiskBlobCache(tmp_path / "blobs")
    sha, text = _blob("value = 1\n")
    cache.put(sha, text)
    path = tmp_path / "blobs" / sha[:2] / sha[2:]
    path.write_text("value = 2\n")
    assert cache.get(sha) is None
    assert not path.exists()


def test_unwritable_dir_is_a_miss_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "blobs").write_text("a file where the folder should be")
    cache = DiskBlobCache(tmp_path / "blobs")
    sha, text = _blob("x")
    assert not cache.put(sha, text)
    assert cache.get(sha) is None


def test_concurrent_writers_of_one_id_leave_a_whole_file(tmp_path: Path) -> None:
    sha, text = _blob("line\n" * 50_000)
    barrier = threading.Barrier(8)

    def write() -> None:
        cache = DiskBlobCache(tmp_path / "blobs")
        barrier.wait()
        for _ in range(5):
            assert cache.put(sha, text)
            got = cache.get(sha)
            assert got is None or got == text

    threads = [threading.Thread(target=write) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert DiskBlobCache(tmp_path / "blobs").get(sha) == text
    assert [p.name for p in (tmp_path / "blobs" / sha[:2]).iterdir()] == [sha[2:]]  # no temps


def test_two_processes_writing_one_id(tmp_path: Path) -> None:
    sha, text = _blob("payload\n" * 100_000)
    script = (
        "import sys\nfrom pathlib import Path\n"
        "from argusai.github.blobs import DiskBlobCache\n"
        "c = DiskBlobCache(Path(sys.argv[1]))\n"
        "t = 'payload\\n' * 100_000\n"
        "for _ in range(20):\n    assert c.put(sys.argv[2], t)\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "blobs"), sha])
        for _ in range(2)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    assert DiskBlobCache(tmp_path / "blobs").get(sha) == text


def test_memory_cache_is_capped_too() -> None:
    cache = MemoryBlobCache(max_bytes=500, max_blob_bytes=300)
    blobs = [_blob(f"{i}" + "z" * 199) for i in range(3)]
    for sha, text in blobs:
        assert cache.put(sha, text)
    assert cache.get(blobs[0][0]) is None  # dropped: 600 > 500
    assert cache.get(blobs[2][0]) == blobs[2][1]
    assert not cache.put(*_blob("q" * 301))
    cache.put_side(blobs[2][0], "names1", "[]")
    assert cache.get_side(blobs[2][0], "names1") == "[]"
