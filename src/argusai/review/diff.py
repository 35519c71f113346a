"""Hunks of a GitHub ``patch``: which right-side lines are in the diff, and where.

A GitHub review comment can only sit on a line present in the diff (added or
context line, RIGHT side), and a multi-line comment must stay inside one hunk.
``parse_patch`` turns a patch into that knowledge. Full ``git diff`` output is
handled by ``argusai.review.gitdiff``; ``parse_unified_diff`` is re-exported here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from argusai.review.gitdiff import parse_unified_diff

__all__ = [
    "DiffLine",
    "FileDiff",
    "Hunk",
    "parse_hunks",
    "parse_patch",
    "parse_unified_diff",
    "split_lines",
]

HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")

ADDED = "+"
REMOVED = "-"
CONTEXT = " "


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a hunk: its kind (``+``, ``-``, space), text and line numbers."""

    kind: str
    text: str
    old_no: int | None
    new_no: int | None


@dataclass(slots=True)
class Hunk:
    """One ``@@`` hunk of a file's patch."""

    index: int
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    section: str
    lines: list[DiffLine] = field(default_factory=list)

    @property
    def header(self) -> str:
        """The ``@@ -a,b +c,d @@ section`` line."""
        tail = f" {self.section}" if self.section else ""
        return f"@@ -{self.old_start},{self.old_count} +{self.new_start},{self.new_count} @@{tail}"

    @property
    def added_lines(self) -> list[int]:
        """Right-side numbers of the lines this hunk adds."""
        return [ln.new_no for ln in self.lines if ln.kind == ADDED and ln.new_no is not None]

    @property
    def right_range(self) -> range:
        """Right-side line numbers this hunk shows (added and context lines)."""
        numbers = [ln.new_no for ln in self.lines if ln.new_no is not None]
        if not numbers:
            return range(0)
        return range(numbers[0], numbers[-1] + 1)


@dataclass(slots=True)
class FileDiff:
    """A file's hunks with a right-side line → hunk index."""

    path: str
    hunks: list[Hunk]
    line_to_hunk: dict[int, int]
    added: set[int]

    def has_line(self, line: int) -> bool:
        """True when ``line`` (RIGHT side) is in the diff."""
        return line in self.line_to_hunk

    def hunk_of(self, line: int) -> int | None:
        """Index of the hunk holding right-side ``line``, or None."""
        return self.line_to_hunk.get(line)

    @property
    def added_count(self) -> int:
        """Number of added lines."""
        return len(self.added)


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only (``str.splitlines`` also splits on form feeds and other
    control characters that occur inside real source lines), dropping a final CR."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def parse_hunks(patch: str) -> list[Hunk]:
    """Parse the hunks of a GitHub-style patch (no ``---``/``+++`` header needed)."""
    hunks: list[Hunk] = []
    current: Hunk | None = None
    old_no = new_no = 0
    for raw in split_lines(patch):
        if raw.startswith("@@"):
            match = HUNK_HEADER.match(raw)
            if match:
                current = Hunk(
                    index=len(hunks),
                    old_start=int(match[1]),
                    old_count=int(match[2]) if match[2] is not None else 1,
                    new_start=int(match[3]),
                    new_count=int(match[4]) if match[4] is not None else 1,
                    section=match[5].strip(),
                )
                hunks.append(current)
                old_no, new_no = current.old_start, current.new_start
                continue
        if current is None or raw.startswith("\\"):
            continue  # text before the first hunk, or "\ No newline at end of file"
        kind = raw[:1] or CONTEXT  # some tools strip the space of empty context lines
        text = raw[1:]
        if kind == ADDED:
            current.lines.append(DiffLine(ADDED, text, None, new_no))
            new_no += 1
        elif kind == REMOVED:
            current.lines.append(DiffLine(REMOVED, text, old_no, None))
            old_no += 1
        elif kind == CONTEXT:
            current.lines.append(DiffLine(CONTEXT, text, old_no, new_no))
            old_no += 1
            new_no += 1
        # anything else is not part of a hunk: ignore it rather than miscount
    return hunks


def parse_patch(path: str, patch: str | None) -> FileDiff:
    """Parse one file's patch into a ``FileDiff`` (empty when the patch is None)."""
    hunks = parse_hunks(patch) if patch else []
    line_to_hunk: dict[int, int] = {}
    added: set[int] = set()
    for hunk in hunks:
        for ln in hunk.lines:
            if ln.new_no is None:
                continue
            line_to_hunk.setdefault(ln.new_no, hunk.index)
            if ln.kind == ADDED:
                added.add(ln.new_no)
    return FileDiff(path=path, hunks=hunks, line_to_hunk=line_to_hunk, added=added)
