"""Clean one raw log line: ANSI codes, timestamps, BOM, Travis markers, ``\\r`` redraws; clip it."""

from __future__ import annotations

import itertools
import re

# CSI sequences (colours, cursor moves, erase line), OSC sequences and charset switches.
_ANSI = re.compile(
    r"\x1b(?:\[[0-9;?<=>]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][0-9A-Za-z]|[=>NOM78])"
)
# A lost ESC byte (LogChunks labels) looks like "[31m"; only used for label normalisation.
_GHA_TIMESTAMP = re.compile(r"^\ufeff?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?")
_TRAVIS_MARKER = re.compile(r"travis_(?:fold|time):[a-z]+:[^\s\r]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Text worth keeping from the middle of a long line or from an overwritten state of a redrawn one.
_TELLING = re.compile(
    r"(?i)err|fail|fatal|exception|panic|abort|assert|expected|denied|cannot|could not"
    r"|not found|undefined|invalid|missing|refused|timed? ?out|killed|segmentation"
)
_NON_LETTERS = re.compile(r"[^A-Za-z]+")

MAX_LINE_CHARS = 2_500  # a line longer than this keeps its informative parts (clip)
REDRAW_TEXT = 3  # a line overwritten by at most this many different texts is text, not progress
_REDRAW_KEY = 12  # letters that identify one redrawn line (its counters and spinners differ)


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
        line = redrawn(line)
    line = strip_ansi(line)
    if line.startswith(("##[group]", "##[endgroup]")):
        # Keep the step boundary's title, drop the fold markers.
        return "" if line.startswith("##[endgroup]") else "▶ " + line[9:].strip()
    if "\ufeff" in line:
        line = line.replace("\ufeff", "")
    if not line.isprintable() and _CONTROL.search(line):  # isprintable: no regex on most lines
        line = _CONTROL.sub("", line.replace("\t", "    "))
    return line.rstrip()


def redrawn(line: str) -> str:
    """What to keep of a line redrawn with bare carriage returns.

    A terminal shows the last state only; a progress bar or spinner is one line drawn again
    and again, and its earlier states say nothing. But a tool can print an error mid-progress
    (which the next redraw hides), or overwrite a short prefix with other text: the last state
    of each distinct line is kept when there are few of them, and any with error text always.
    """
    parts = [(i, p) for i, p in enumerate(line.split("\r")) if strip_ansi(p).strip()]
    if len(parts) < 2:  # mostly Travis's "\r\x1b[0K" before a line's only text
        return parts[0][1] if parts else ""
    states: dict[str, tuple[int, str]] = {}
    for index, part in parts:
        visible = strip_ansi(part)
        key = _NON_LETTERS.sub("", visible)[:_REDRAW_KEY] or visible.strip()
        if key not in states and len(key) >= 4:
            # "Receiving 60%" and "Receiving 100%, done." are states of one line.
            key = next((k for k in states if len(k) >= 4 and k[: len(key)] == key[: len(k)]), key)
        states[key] = (index, part)
    ordered = sorted(states.values())
    few = len(ordered) <= REDRAW_TEXT
    kept = [p for _, p in ordered[:-1] if few or _TELLING.search(p)]
    return " ".join(p.rstrip() for p in [*kept, ordered[-1][1]])


def clip(line: str, focus: int = 0, limit: int = MAX_LINE_CHARS) -> str:
    """Shorten a long line to its informative parts, saying how much was cut.

    Kept: the head (which tool, which file), the text around ``focus`` (a character offset:
    the keyword that made the line a hit) and around other error words, and the end (where
    an assertion says what it expected, a JSON record closes its message).
    """
    if len(line) <= limit:
        return line
    size = len(line)
    edge = limit // 5
    spans = [(0, edge), (size - edge, size)]
    room = limit - 2 * edge
    # The error words of the first few thousand characters after the head: scanning all of an
    # 8 KB line for them costs more than what lies beyond tells.
    scan_to = min(size - edge, edge + 4 * limit)
    hits = itertools.chain(
        [focus] if focus > 0 else [], (m.start() for m in _TELLING.finditer(line, edge, scan_to))
    )
    for at in hits:
        span = (max(0, at - limit // 20), min(size, at + limit // 8))
        width = span[1] - span[0]
        if width > room:
            break
        if any(lo <= at < hi for lo, hi in spans):
            continue
        spans.append(span)
        room -= width
    # Room left: more of the head (what the line is), some more of the end.
    spans[0] = (0, edge + room * 2 // 3)
    spans[1] = (size - edge - room // 3, size)
    spans.sort()
    merged = [spans[0]]
    for lo, hi in spans[1:]:
        if lo <= merged[-1][1] + 24:  # a marker costs about as much as a short gap
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    out = []
    prev = 0
    for lo, hi in merged:
        if lo > prev:
            out.append(f"[… {lo - prev:,} chars cut]")
        out.append(line[lo:hi])
        prev = hi
    if prev < size:
        out.append(f"[… {size - prev:,} chars cut]")
    return " ".join(out)
