"""Stable finding fingerprints, hidden in each comment so a finding is never posted twice.

The line number is deliberately left out: when a later push moves the code, the same
finding keeps its fingerprint and is recognised as already posted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from argusai.review.models import Finding

_FP_MARKER = re.compile(r"<!-- argus:fp:([0-9a-f]{8,64}) -->")
_WORDS = re.compile(r"[^\w]+")
_DIGITS = re.compile(r"\d+")


def normalise_text(text: str, *, digits: bool = True) -> str:
    """Lower case, punctuation and whitespace collapsed; digits → ``#`` unless kept
    (messages cite line numbers that change when code moves; titles rarely do)."""
    text = text.lower() if digits else _DIGITS.sub("#", text.lower())
    return " ".join(_WORDS.sub(" ", text).split())


def fingerprint(finding: Finding) -> str:
    """16 hex characters identifying the finding independently of its line."""
    path = finding.path.strip().removeprefix("./")
    key = "\x1f".join(
        [
            path,
            finding.category.value,
            normalise_text(finding.title),
            normalise_text(finding.message, digits=False),
        ]
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def marker(fp: str) -> str:
    """The hidden HTML comment carrying a fingerprint."""
    return f"<!-- argus:fp:{fp} -->"


def extract_fingerprints(bodies: Iterable[str | None]) -> set[str]:
    """Every fingerprint found in the given comment bodies."""
    found: set[str] = set()
    for body in bodies:
        if body:
            found.update(_FP_MARKER.findall(body))
    return found
