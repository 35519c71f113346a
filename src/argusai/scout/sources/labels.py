"""Label spellings of curated lists: the label to query, and one canonical spelling."""

from __future__ import annotations

import re
from dataclasses import dataclass

from argusai.scout.sources.base import DEFAULT_LABEL

_SHORTCODE = re.compile(r":[a-z0-9_+-]+:")
_SEPARATORS = re.compile(r"[\s\-_:/]+")
#: labels that say where to look rather than naming a label
_NOT_LABELS = frozenset({"see description"})
_COMPACT = {"goodfirstissue": "good first issue", "easyfix": "easy fix"}


@dataclass(frozen=True)
class LabelChoice:
    """The label to send to GitHub, its canonical spelling, and a note when it was fixed up."""

    query: str
    canonical: str
    note: str | None = None


def canonical_label(label: str) -> str:
    """Lower case, emoji and ``:shortcodes:`` dropped, separators as single spaces."""
    text = _SHORTCODE.sub(" ", label.lower())
    text = "".join(ch for ch in text if ch.isascii())
    text = _SEPARATORS.sub(" ", text).strip()
    return _COMPACT.get(text.replace(" ", ""), text)


def choose_label(raw: str | None, default: str = DEFAULT_LABEL) -> LabelChoice:
    """The label to follow for a list entry (``default`` when missing or not a label)."""
    text = (raw or "").strip()
    if not text:
        return LabelChoice(default, canonical_label(default), "no label: following the default")
    if text.lower() in _NOT_LABELS:
        return LabelChoice(
            default,
            canonical_label(default),
            f"label {text!r} is not a label: following the default",
        )
    note = None
    if "," in text:
        # GitHub's filter ANDs comma-separated labels; the list means "either"
        first = text.split(",", 1)[0].strip()
        note = f"label {text!r} names several labels: following {first!r}"
        text = first
    canonical = canonical_label(text) or canonical_label(default)
    if note is None and canonical != text:
        note = f"label {text!r} normalised to {canonical!r}"
    return LabelChoice(text, canonical, note)
