"""Compare reducer output with labelled failure lines (LogChunks chunks, must_contain strings)."""

from __future__ import annotations

import html
import re

from argusai.cilog.normalize import strip_ansi

_LOST_ESC_ANSI = re.compile(r"\[[0-9;]*[mK]")
_SPACE = re.compile(r"\s+")
MIN_LABEL_CHARS = 8  # LogChunks convention: shorter chunk lines ("}", "") are not evidence


def normalise_text(text: str) -> str:
    """Strip ANSI (with or without ESC), ``<`` and ``\\r``; collapse whitespace."""
    text = _LOST_ESC_ANSI.sub("", strip_ansi(text))
    return _SPACE.sub(" ", text.replace("<", "").replace("\r", "")).strip()


def chunk_lines(chunk: str) -> list[str]:
    """The lines of a LogChunks chunk that must appear in an excerpt, normalised."""
    lines = []
    for raw in html.unescape(chunk).split("\n"):
        if raw.startswith("^---- failure generated from"):
            continue
        line = normalise_text(raw)
        if len(line) > MIN_LABEL_CHARS:
            lines.append(line)
    return lines


def found(labels: list[str], excerpt: str) -> list[bool]:
    """For each normalised label, whether the normalised excerpt contains it."""
    text = normalise_text(excerpt)
    return [label in text for label in labels]
