"""Clean one raw log line: ANSI codes, timestamps, BOM, Travis markers, ``\\r`` progress."""

from __future__ import annotations

import re

# CSI sequences (colours, cursor moves, erase line), OSC sequences and charset switches.
_ANSI = re.compile(
    r"\x1b(?:\[[0-9;?<=>]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][0-9A-Za-z]|[=>NOM78])"
)
# A lost ESC byte (LogChunks labels) looks like "[31m"; only used for label normalisation.
_GHA_TIMESTAMP = re.compile(r"^\ufeff?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?")
_TRAVIS_MARKER = re.compile(r"travis_(?:fold|time):[a-z]+:[^\s\r]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

MAX_LINE_CHARS = 1_000


def strip_ansi(text: str) -> str:
    """Remove ANSI escape sequences."""
    return _ANSI.sub("", text) if "\x1b" in text else text


def clean_line(raw: str) -> str:
    """Return what a reader would see of one raw log line (may be empty)."""
    line = raw.rstrip("\r\n")
    if line.startswith("\ufeff"):
        line = line[1:]
    if line[:2].isdigit():
        line = _GHA_TIMESTAMP.sub("", line, count=1)
    if "travis_" in line:
        line = _TRAVIS_MARKER.sub("", line)
    if "\r" in line:
        # A terminal shows only what was written after the last carriage return.
        parts = [p for p in line.split("\r") if strip_ansi(p).strip()]
        line = parts[-1] if parts else ""
    line = strip_ansi(line)
    if line.startswith(("##[group]", "##[endgroup]")):
        # Keep the step boundary's title, drop the fold markers.
        return "" if line.startswith("##[endgroup]") else "▶ " + line[9:].strip()
    if "\ufeff" in line:
        line = line.replace("\ufeff", "")
    if _CONTROL.search(line):
        line = _CONTROL.sub("", line.replace("\t", "    "))
    return line.rstrip()


def clip(line: str, focus: int = 0, limit: int = MAX_LINE_CHARS) -> str:
    """Shorten a long line around ``focus`` (a character offset), saying how much was cut."""
    if len(line) <= limit:
        return line
    start = max(0, min(focus - limit // 4, len(line) - limit))
    end = start + limit
    head = f"[… {start:,} chars cut] " if start else ""
    tail = f" [… {len(line) - end:,} chars cut]" if end < len(line) else ""
    return f"{head}{line[start:end]}{tail}"
