"""The fake GitHub's own reading of a patch: which lines of each side a comment may use.

Written independently of ``argusai.review`` so it can serve as an oracle: a review
comment the fake accepts is one GitHub would accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass
class SideLines:
    """Line number → hunk index, for each side of one file's patch."""

    right: dict[int, int] = field(default_factory=dict)
    left: dict[int, int] = field(default_factory=dict)

    def side(self, name: str) -> dict[int, int]:
        """The map for ``RIGHT`` or ``LEFT``."""
        return self.right if name == "RIGHT" else self.left


def commentable_lines(patch: str) -> SideLines:
    """Lines a review comment may target on each side of ``patch`` (hunks only)."""
    lines = SideLines()
    hunk = -1
    old = new = 0
    for raw in patch.split("\n"):
        header = _HUNK.match(raw)
        if header:
            hunk += 1
            old, new = int(header.group(1)), int(header.group(3))
            continue
        if hunk < 0 or raw.startswith("\\"):
            continue  # text before the first hunk, or "\ No newline at end of file"
        tag = raw[:1]
        if tag == "+":
            lines.right[new] = hunk
            new += 1
        elif tag == "-":
            lines.left[old] = hunk
            old += 1
        elif tag in (" ", ""):
            lines.right[new] = hunk
            lines.left[old] = hunk
            new += 1
            old += 1
    return lines


def count_changes(patch: str | None) -> tuple[int, int]:
    """(additions, deletions) of a patch."""
    if not patch:
        return 0, 0
    adds = dels = 0
    for raw in patch.split("\n"):
        if raw.startswith("@@"):
            continue
        if raw.startswith("+"):
            adds += 1
        elif raw.startswith("-"):
            dels += 1
    return adds, dels


def split_git_diff(text: str) -> list[dict[str, str | None]]:
    """Split ``git diff`` output into GitHub-like file entries.

    Each entry has ``filename``, ``status``, ``previous_filename`` and ``patch``
    (the hunks without the ---/+++ header; None for binary files).
    """
    entries: list[dict[str, str | None]] = []
    for block in re.split(r"^(?=diff --git )", text, flags=re.M):
        if not block.startswith("diff --git "):
            continue
        head, sep, body = block.partition("\n@@")
        names = re.match(r"diff --git a/(.+?) b/(.+)$", head.split("\n", 1)[0])
        old_name, new_name = (names.group(1), names.group(2)) if names else ("", "")
        for line in head.split("\n"):
            if line.startswith("+++ b/"):
                new_name = line[6:]
            elif line.startswith("--- a/"):
                old_name = line[6:]
            elif line.startswith("rename from "):
                old_name = line[12:]
            elif line.startswith("rename to "):
                new_name = line[10:]
        status = "modified"
        if "\nnew file mode" in head:
            status = "added"
        elif "\ndeleted file mode" in head:
            status, new_name = "removed", old_name
        elif "\nrename from " in head:
            status = "renamed"
        patch = ("@@" + body).rstrip("\n") if sep else None
        entries.append(
            {
                "filename": new_name,
                "status": status,
                "previous_filename": old_name if status == "renamed" else None,
                "patch": patch,
            }
        )
    return entries
