"""Find the lines of a byte buffer that hold a failure keyword, without a per-line loop."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterator
from typing import Any

from argusai.cilog.patterns import PREFILTER_WORDS


@functools.cache
def _automaton() -> Any:
    """One-pass multi-word search (ahocorasick-rs) when installed, else None."""
    try:
        module = importlib.import_module("ahocorasick_rs")
    except ImportError:
        return None
    return module.BytesAhoCorasick(list(PREFILTER_WORDS))


def _word_offsets(low: bytes) -> Iterator[int]:
    """Offsets in ``low`` where a prefilter word starts (several per line are fine)."""
    automaton = _automaton()
    if automaton is not None:
        for _word, start, _end in automaton.find_matches_as_indexes(low):
            yield start
        return
    for word in PREFILTER_WORDS:
        find = low.find
        pos = find(word)
        while pos >= 0:
            yield pos
            end = low.find(b"\n", pos)
            if end < 0:
                break
            pos = find(word, end + 1)


def hit_lines(buf: bytes, lo: int, hi: int) -> dict[int, int]:
    """Line start → first hit offset, for every line in buf[lo:hi] that holds a keyword."""
    starts: dict[int, int] = {}
    line_end = -1
    line_start = 0
    for pos in _word_offsets(buf[lo:hi].lower()):
        at = lo + pos
        if not line_start <= at <= line_end:
            line_start = buf.rfind(b"\n", 0, at) + 1
            line_end = buf.find(b"\n", at)
            line_end = len(buf) if line_end < 0 else line_end
        if line_start not in starts or starts[line_start] > at:
            starts[line_start] = at
    return starts
