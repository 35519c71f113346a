"""Read the cleaned lines around an error line: fixed context, then the rest of its block.

A stack trace, a test framework's failure section or a sanitizer report can run for hundreds
of lines; a fixed window cuts it. Classes with ``block > 0`` keep reading after their fixed
context until the section visibly ends (the next section header, a command echo, the test
run's totals) or ``block`` lines were read.
"""

from __future__ import annotations

import re

from argusai.cilog.normalize import clean_line, clip
from argusai.cilog.patterns import LineClass

MAX_RAW_LINE = 8_192  # bytes of one line we look at; longer lines are cut around the hit
MAX_AFTER = 40  # continuation lines (indented, frames) read beyond a class's fixed context
MAX_BLOCK = 400  # upper bound of any class's ``block``
EXCEPTION_STRAYS = 3

# Lines that end a section (included: they usually say how it ended). Checked from the
# third line after the hit, so that a section's own header and first entry title pass.
_SECTION_END = re.compile(
    r"^(?:\$ |=+ .*=+$|The command \"|FAILURES!$|ERRORS!$|Tests: \d+, Assert"
    r"|Finished in |Failed examples:|test result: |Results :|Tests run: |=+DONE=+$"
    r"|BUILD |\* Try:|npm ERR! A complete log|Done\. Your build)"
)
# What continues an exception's stack: indented lines, Java/JS/Ruby/Lua/Go frames, causes.
_FRAME = re.compile(
    r"^\s*(?:at |Caused by|\.\.\. \d+ more|goroutine |created by |\[info\]\s+at )"
    r"|:\d+:in [`']|in function |^\s+\S+\.\w+:\d+"
)
# Classes whose report is the header line and the indented lines under it (go test's
# "--- FAIL:" with its testify "Error Trace:" entries).
_INDENTED_BODY = frozenset({"go-test-fail"})
# Classes whose report is one paragraph: the header up to the next blank line (Erlang's
# "=ERROR REPORT====" with its "** Reason == …" lines).
_PARAGRAPH = frozenset({"report"})
_TRACE_HEADERS = ("Traceback", "During handling", "The above exception")


_COMMAND_EXITS = frozenset({"ci-exit", "step-exit"})


def _is_command_echo(head: bytes) -> bool:
    """Whether a raw line is a Travis command echo or an Actions step header."""
    return head.startswith((b"$ ", b"##[group]")) or b"\x1b[0K$ " in head or b"Z ##[group]" in head


def line_end(buf: bytes, start: int) -> int:
    """Offset of the newline ending the line at ``start`` (or the buffer's end)."""
    end = buf.find(b"\n", start)
    return len(buf) if end < 0 else end


def raw_line(buf: bytes, start: int, focus: int) -> tuple[str, int]:
    """The line at ``start`` decoded (cut around ``focus`` when long), and focus's offset in it."""
    end = line_end(buf, start)
    if end - start > MAX_RAW_LINE:
        lo = max(start, focus - MAX_RAW_LINE // 4)
        hi = min(end, lo + MAX_RAW_LINE)
        head = f"[… {lo - start:,} bytes cut] " if lo > start else ""
        tail = f" [… {end - hi:,} bytes cut]" if hi < end else ""
        return head + buf[lo:hi].decode("utf-8", "replace") + tail, len(head) + focus - lo
    return buf[start:end].decode("utf-8", "replace"), focus - start


def context(buf: bytes, start: int, cls: LineClass, lo: int = 0) -> tuple[int, list[str]]:
    """Cleaned lines around the line at ``start``: returns (lines before it, all lines)."""
    first = start
    n_before = 0
    own_output = cls.kind in _COMMAND_EXITS
    while n_before < cls.before and first > lo:
        prev = buf.rfind(b"\n", lo, first - 1)
        first = prev + 1 if prev >= 0 else lo
        n_before += 1
        if own_output and _is_command_echo(buf[first : first + 160]):
            break  # a failed command's output starts at its own command line
    lines: list[str] = []
    pos = first
    fixed = n_before + 1 + cls.after
    limit = n_before + 1 + (max(cls.after, cls.block) if cls.block else max(cls.after, MAX_AFTER))
    strays = 0  # consecutive non-empty lines that do not continue an exception's stack
    while len(lines) < limit and pos <= len(buf) and not (pos == len(buf) and lines):
        end = line_end(buf, pos)
        if len(lines) >= fixed and not cls.block and not _continues(buf, pos):
            break
        text = clip(clean_line(buf[pos : min(end, pos + MAX_RAW_LINE)].decode("utf-8", "replace")))
        lines.append(text)
        pos = end + 1
        before = lines[-2] if len(lines) > 1 else ""
        if cls.block and len(lines) > max(fixed, n_before + 2) and _ends_block(cls, text, before):
            if cls.kind != "exception":
                break
            if not text.strip():
                continue
            # A runner's note can sit between a stack and the test's location ("Tasks: TOP =>
            # …", "(See full trace …)", then the indented file:line): a stack ends only after
            # EXCEPTION_STRAYS lines in a row that are not frames.
            strays += 1
            if strays >= EXCEPTION_STRAYS:
                break
        elif text.strip():
            strays = 0
    return n_before, lines


def _ends_block(cls: LineClass, text: str, prev: str) -> bool:
    if _SECTION_END.match(text) is not None:
        return True
    if cls.kind == "sanitizer":
        return "==ABORTING" in text
    if cls.kind == "traceback":  # frames are 'File "…"' lines, each followed by its source line
        frame = text.lstrip().startswith('File "') or prev.lstrip().startswith('File "')
        return bool(text.strip()) and not frame and not text.startswith(_TRACE_HEADERS)
    if cls.kind in _PARAGRAPH:  # the report runs to the next blank line
        return not text.strip()
    if cls.kind in _INDENTED_BODY:  # the report is indented under its header line
        return bool(text.strip()) and not text[:1].isspace()
    if cls.kind == "exception":
        return _FRAME.search(text) is None
    return False


def _continues(buf: bytes, pos: int) -> bool:
    """Whether the line at ``pos`` continues a block: indented, a stack frame, a caret line."""
    head = buf[pos : pos + 24].lstrip(b"\x1b[0123456789;m")
    return head[:1] in (
        b" ",
        b"\t",
        b"=",
        b"#",
        b"|",
        b"^",
        b"~",
        b"+",
        b"-",
        b">",
    ) or head.startswith(
        (b"at ", b"Caused by", b"E ", b"goroutine ", b"note:", b"help:", b"In file included")
    )
