"""Parse full ``git diff`` output into ``ChangedFile`` objects like GitHub's files API.

Handles renames and copies, new/deleted files, binary files (``patch=None``), mode
changes, submodules, quoted paths (``core.quotePath``), CRLF lines, ``\\ No newline
at end of file`` and bytes that are not UTF-8. Hunk line counts are tracked, so a
removed line that starts with ``-- `` is never mistaken for a ``---`` header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from argusai.core.diff import ChangedFile

_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def to_text(data: str | bytes) -> str:
    """Decode diff bytes (UTF-8, invalid bytes replaced); clean lone surrogates in str."""
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    try:
        data.encode("utf-8")
    except UnicodeEncodeError:
        return data.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
    return data


def unquote_path(token: str) -> str:
    """Undo git's C-style quoting (``"a/caf\\303\\251.txt"``); plain tokens pass through."""
    if not (len(token) >= 2 and token.startswith('"') and token.endswith('"')):
        return token
    body = token[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567" and re.fullmatch(r"[0-7]{3}", body[i + 1 : i + 4]):
                out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
            out.append(_ESCAPES.get(nxt, ord(nxt) if ord(nxt) < 128 else 63))
            i += 2
            continue
        out.extend(ch.encode("utf-8"))
        i += 1
    return out.decode("utf-8", errors="replace")


def _strip_prefix(path: str) -> str | None:
    path = path.split("\t", 1)[0]  # plain `diff -u` appends a timestamp after a tab
    path = unquote_path(path.strip())
    if path == "/dev/null":
        return None
    if path[:2] in ("a/", "b/"):
        return path[2:]
    return path


def _git_header_paths(rest: str) -> tuple[str | None, str | None]:
    """Paths of ``diff --git <a> <b>``; ambiguous unquoted names with spaces are split
    where both halves name the same file."""
    if rest.startswith('"'):
        end = rest.find('"', 1)
        while end != -1 and rest[end - 1] == "\\":
            end = rest.find('"', end + 1)
        if end == -1:
            return None, None
        return _strip_prefix(rest[: end + 1]), _strip_prefix(rest[end + 1 :].strip())
    if rest.endswith('"') and ' "' in rest:
        left, right = rest.rsplit(' "', 1)
        return _strip_prefix(left), _strip_prefix('"' + right)
    half = (len(rest) - 1) // 2
    if len(rest) % 2 == 1 and rest[half] == " " and rest[2:half] == rest[half + 3 :]:
        return _strip_prefix(rest[:half]), _strip_prefix(rest[half + 1 :])
    if " b/" in rest:
        left, right = rest.split(" b/", 1)
        return _strip_prefix(left), right
    parts = rest.split(" ", 1)
    return _strip_prefix(parts[0]), _strip_prefix(parts[-1])


@dataclass
class _Entry:
    old_path: str | None = None
    new_path: str | None = None
    status: str = "modified"
    binary: bool = False
    mode_change: bool = False
    patch_lines: list[str] = field(default_factory=list)
    additions: int = 0
    deletions: int = 0

    def to_changed_file(self) -> ChangedFile:
        path = self.new_path or self.old_path or ""
        status = self.status
        if status == "modified" and self.new_path is None and self.old_path:
            status = "removed"
        elif status == "modified" and self.old_path is None and self.new_path:
            status = "added"
        elif (
            status == "modified"
            and self.old_path
            and self.new_path
            and self.old_path != self.new_path
        ):
            status = "renamed"
        if status == "modified" and not self.patch_lines and not self.binary:
            status = "changed"  # GitHub's word for a mode-only change
        previous = self.old_path if status in ("renamed", "copied") else None
        patch: str | None
        patch = None if self.binary else "\n".join(self.patch_lines)
        return ChangedFile(
            path=path,
            status=status,
            additions=self.additions,
            deletions=self.deletions,
            patch=patch,
            previous_path=previous,
        )


def _header_line(entry: _Entry, line: str) -> None:
    if line.startswith("new file mode"):
        entry.status = "added"
    elif line.startswith("deleted file mode"):
        entry.status = "removed"
    elif line.startswith(("old mode", "new mode")):
        entry.mode_change = True
    elif line.startswith("rename from "):
        entry.status, entry.old_path = "renamed", unquote_path(line[12:])
    elif line.startswith("rename to "):
        entry.status, entry.new_path = "renamed", unquote_path(line[10:])
    elif line.startswith("copy from "):
        entry.status, entry.old_path = "copied", unquote_path(line[10:])
    elif line.startswith("copy to "):
        entry.status, entry.new_path = "copied", unquote_path(line[8:])
    elif line.startswith("--- "):
        entry.old_path = _strip_prefix(line[4:])
    elif line.startswith("+++ "):
        entry.new_path = _strip_prefix(line[4:])
    elif line.startswith("Binary files ") or line.startswith("GIT binary patch"):
        entry.binary = True
        match = re.match(r"Binary files (.+) and (.+) differ$", line)
        if match:
            entry.old_path = _strip_prefix(match[1])
            entry.new_path = _strip_prefix(match[2])
    # index, similarity, dissimilarity lines carry nothing we need


def parse_unified_diff(text: str | bytes) -> list[ChangedFile]:
    """Turn ``git diff`` (or ``diff -u``) output into one ``ChangedFile`` per file."""
    entries: list[_Entry] = []
    entry: _Entry | None = None
    old_left = new_left = 0  # lines still expected in the current hunk
    pending_minus: str | None = None  # a "--- " line outside a hunk, waiting for "+++ "
    for raw in to_text(text).split("\n"):
        line = raw[:-1] if raw.endswith("\r") else raw
        in_hunk = entry is not None and (old_left > 0 or new_left > 0)
        if in_hunk and entry is not None:
            kind = line[:1]
            if kind == "\\":
                entry.patch_lines.append(line)
                continue
            if kind in ("+", "-", " ", ""):
                entry.patch_lines.append(raw if kind else " ")
                if kind == "+":
                    entry.additions += 1
                    new_left -= 1
                elif kind == "-":
                    entry.deletions += 1
                    old_left -= 1
                else:
                    old_left -= 1
                    new_left -= 1
                continue
            old_left = new_left = 0  # malformed hunk: fall through to header handling
        if line.startswith("diff --git ") or line.startswith("diff --cc "):
            entry = _Entry()
            entries.append(entry)
            entry.old_path, entry.new_path = _git_header_paths(line.split(" ", 2)[2])
            pending_minus = None
            continue
        if line.startswith("--- "):
            pending_minus = line
            continue
        if line.startswith("+++ ") and pending_minus is not None:
            if entry is None or entry.patch_lines:
                entry = _Entry()  # plain `diff -u` output: no "diff --git" line
                entries.append(entry)
            _header_line(entry, pending_minus)
            _header_line(entry, line)
            pending_minus = None
            continue
        pending_minus = None
        if entry is None:
            continue
        match = _HUNK.match(line)
        if match:
            old_left = int(match[1]) if match[1] is not None else 1
            new_left = int(match[2]) if match[2] is not None else 1
            entry.patch_lines.append(line)
            continue
        if line.startswith("\\") and entry.patch_lines:
            entry.patch_lines.append(line)
            continue
        if not entry.patch_lines:
            _header_line(entry, line)
    return [e.to_changed_file() for e in entries if e.new_path or e.old_path]
