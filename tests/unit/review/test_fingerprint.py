"""Fingerprints ignore line numbers and cosmetic differences."""

from __future__ import annotations

from dataclasses import replace

from argusai.review.fingerprint import extract_fingerprints, fingerprint, marker
from argusai.review.models import Category, Finding, Severity

F = Finding(
    "src/a.py", 10, Severity.HIGH, Category.BUG, "Off by one", "The loop on line 10 skips the end."
)


def test_stable_when_the_line_moves() -> None:
    moved = replace(F, line=42, message="The loop on line 42 skips the end!")
    assert fingerprint(moved) == fingerprint(F)
    assert fingerprint(replace(F, path="./src/a.py")) == fingerprint(F)


def test_differs_by_path_category_or_text() -> None:
    fps = {
        fingerprint(F),
        fingerprint(replace(F, path="src/b.py")),
        fingerprint(replace(F, category=Category.SECURITY)),
        fingerprint(replace(F, title="Null dereference")),
    }
    assert len(fps) == 4


def test_marker_round_trip() -> None:
    fp = fingerprint(F)
    body = f"text\n\n{marker(fp)}"
    assert extract_fingerprints([body, None, "no marker"]) == {fp}
    assert len(fp) == 16
