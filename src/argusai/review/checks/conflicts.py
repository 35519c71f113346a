"""Merge-conflict markers left on added lines.

``<<<<<<< `` and ``>>>>>>> `` at the start of a line are markers wherever they appear.
``=======`` alone (and diff3's ``||||||| ``) also underlines reStructuredText and setext
Markdown headings — in docs and in docstrings — so it counts only in a file whose added
lines also hold an opening or closing marker. In Markdown, lines inside a fenced code block
(a tutorial showing a conflict) are left out; the fence state is followed within each hunk,
from its first right-side line. reStructuredText code blocks are indented, so their lines
never start with a marker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from argusai.review.checks.base import CheckFile
from argusai.review.diff import ADDED
from argusai.review.models import Category, Finding, Severity

_STRONG = re.compile(r"^(?:<{7}|>{7}) ")
_WEAK = re.compile(r"^(?:={7}[ \t]*|\|{7} .*)$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_MARKDOWN = (".md", ".markdown", ".mdx")
_LISTED = 10


def _marker_lines(f: CheckFile) -> tuple[list[int], list[int]]:
    """Right-side numbers of added strong and weak marker lines outside code fences."""
    strong: list[int] = []
    weak: list[int] = []
    markdown = f.path.lower().endswith(_MARKDOWN)
    for hunk in f.diff.hunks:
        fence: str | None = None
        for ln in hunk.lines:
            if ln.new_no is None:
                continue
            if markdown and (m := _FENCE.match(ln.text)):
                if fence is None:
                    fence = m[1][0] * 3
                elif m[1].startswith(fence):
                    fence = None
                continue
            if fence is not None or ln.kind != ADDED:
                continue
            if _STRONG.match(ln.text):
                strong.append(ln.new_no)
            elif _WEAK.match(ln.text):
                weak.append(ln.new_no)
    return strong, weak


class ConflictMarkersCheck:
    """Merge-conflict markers on added lines: one finding per file, on its first marker."""

    name = "conflict-markers"

    def run(self, files: Sequence[CheckFile]) -> list[Finding]:
        """A finding for each file with markers."""
        findings: list[Finding] = []
        for f in files:
            strong, weak = _marker_lines(f)
            if not strong:
                continue
            lines = sorted(strong + weak)
            listed = ", ".join(str(n) for n in lines[:_LISTED])
            more = f" and {len(lines) - _LISTED} more" if len(lines) > _LISTED else ""
            findings.append(
                Finding(
                    path=f.path,
                    line=lines[0],
                    severity=Severity.HIGH,
                    category=Category.BUG,
                    title="Merge-conflict markers left in the file",
                    message=(
                        f"Conflict markers were added on line(s) {listed}{more}: the merge was "
                        "not finished. Resolve the conflict and remove the markers (code with them "
                        "does not build or parse)."
                    ),
                    source="check",
                )
            )
        return findings
