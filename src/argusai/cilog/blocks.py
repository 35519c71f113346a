"""Read the cleaned lines around an error line: fixed context, then the rest of its block.

A stack trace, a test framework's failure section or a sanitizer report can run for hundreds
of lines; a fixed window cuts it. Classes with ``block > 0`` keep reading after their fixed
context until the section visibly ends (the next section header, a command echo, the test
run's totals) or ``block`` lines were read. A block still going at that point is larger than
any budget: it is read on to its end (up to ``MAX_BLOCK_TAIL`` lines) keeping only the lines
that name a failing test or command and its last lines, so that the excerpt can show its
head, those names and its tail around an omission marker.
"""

from __future__ import annotations

import functools
import re
from collections import deque
from dataclasses import dataclass, field

from argusai.cilog.normalize import clean_line, clip
from argusai.cilog.patterns import LineClass, classify

MAX_RAW_LINE = 8_192  # bytes of one line we look at; longer lines are cut around the hit
MAX_AFTER = 40  # continuation lines (indented, frames) read beyond a class's fixed context
MAX_BLOCK = 400  # upper bound of any class's ``block``
MAX_BLOCK_TAIL = 3_000  # lines read on past ``block`` to find where a long block ends
BLOCK_TAIL_LINES = 8  # last lines of a long block kept
BLOCK_NAMED_LINES = 40  # lines naming a failing test/command kept from a long block's middle
EXCEPTION_STRAYS = 3
# Raw bytes kept on each side of a window, read only if the budget has room once every window
# and the log's end are in: a failure far from the end has no exit line or tail around it.
HALO_BEFORE_BYTES = 2_048
HALO_AFTER_BYTES = 8_192
HALO_LINES_BEFORE = 10
HALO_LINES_AFTER = 40
NAMED_MIN_WEIGHT = 7.0
# A failed test's report often comes after its output (TAP's "not ok 3 name", go test's
# "--- FAIL: TestX" after "=== RUN TestX", gtest's "[  FAILED  ]" after "[ RUN      ]"): the
# nearest earlier line naming the same test, this far back at most, says where its output began.
TEST_FAIL_KINDS = frozenset({"test-fail", "go-test-fail", "unittest-fail", "test-failed"})
OPENER_BYTES = 64 * 1024
OPENER_MIN_NAME = 6
OPENER_AFTER = 3  # lines of the test's output kept after the line that started it
# A failed test's report right after a section closed by a titled banner ("====DONE====",
# "--- END OUTPUT ---"): the section is its output (PHP run-tests prints its DIFF so, before
# "FAIL name"). Read back to the opening banner, this many lines at most.
SECTION_BEFORE = 300
_BANNER = re.compile(r"^\s*([=*#~-])\1{2,} ?[A-Za-z][\w ]{0,40}? ?\1{3,}\s*$")
_FAIL_MARK = re.compile(
    r"^\s*(?:not ok \d+\s*(?:-\s*)?|--- FAIL:\s*|\[\s*FAILED\s*\]\s*|(?:FAIL(?:ED)?|ERROR):?\s+"
    r"|[✕×✖✗✘❌]\s*)"
)
_FAIL_TRAILER = re.compile(r"\s*(?:\(\d[\d.]*\s*m?s\)|\[[^\]]*\]|\s<<<.*)$")
_MESSAGE = re.compile(r" - .*$")  # pytest's "FAILED path::test - AssertionError: …"

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
    # crash reports: native frames, Python's faulthandler, the JVM's "#" report, what()
    r"|^\s*#\d+ |^#(?: |$)|^\s*File \"|^(?:Current thread|Thread) 0x|^\s+what\(\):"
    r"|^\s*\d+\s+\S+\s+0x[0-9a-fA-F]+|\[0x[0-9a-fA-F]+\]$"
    # an assertion's expected/actual diff printed under the exception
    r"|^\s*[-+](?:\s|$)|^\s*(?:[-+]{3}|@@) |^\s*[-+] (?:expected|actual|Expected|Received)"
    r"|^\s*(?:expected|actual|got|received|Expected|Received|Actual)\s*:|^\s*Diff:"
    r"|^\s*\(compared using"
)
# Classes whose block is a stack: it ends after EXCEPTION_STRAYS non-frame lines in a row.
_STACKS = frozenset({"exception", "signal"})
_HEAD_BYTES = 300
_NAMED_FIRST = frozenset("_=*#~-$0123456789")
_NAMED_WORDS = re.compile(r"(?i)err|fail|fatal|exception|panic|abort|caused|assert")
# Lines that name a failing test or command inside a block: a section header around a name
# ("____ test_x ____", "=== name ==="), a numbered entry ("1) Suite test"), a command echo.
_NAMED = re.compile(r"^\s*([_=*#~-])\1{2,} \S.* \1{3,}\s*$|^\s*\d+\) \S|^\$ |^\s*--- FAIL")
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


def test_names(hit: str) -> list[str]:
    """The failed test's name as its report line prints it, without marker and timing; then
    without a trailing " - message" (TAP names contain " - " too, pytest appends the error)."""
    mark = _FAIL_MARK.match(hit)
    if mark is None:
        return []
    name = _FAIL_TRAILER.sub("", hit[mark.end() :]).strip()[:120]
    names = [name, _MESSAGE.sub("", name)]
    return [n for i, n in enumerate(names) if _distinctive(n) and n not in names[:i]]


def _distinctive(name: str) -> bool:
    return len(name) >= OPENER_MIN_NAME and any(c.isalpha() for c in name)


def opener(buf: bytes, first: int, hit: str) -> tuple[int, list[str]]:
    """The nearest earlier line naming the test that ``hit`` reports failed, before the byte
    offset ``first``, and the first lines of output after it: (how many lines before ``first``
    the opener is, their cleaned texts); (0, []) when there is none."""
    for name in test_names(hit):
        pos = buf.rfind(name.encode(), max(0, first - OPENER_BYTES), first)
        if pos < 0:
            continue
        start = buf.rfind(b"\n", 0, pos) + 1
        texts: list[str] = []
        line = start
        while line < first and len(texts) <= OPENER_AFTER:
            text, _ = raw_line(buf, line, line)
            texts.append(clip(clean_line(text)))
            line = line_end(buf, line) + 1
        return buf.count(b"\n", start, first), texts
    return 0, []


def is_named(text: str) -> bool:
    """Whether a line names a failing test or command (a header, an entry, a strong error)."""
    return _is_named(text[:_HEAD_BYTES])


@functools.lru_cache(maxsize=8_192)  # lines recur within a log (frames, repeated errors)
def _is_named(head: str) -> bool:
    return _NAMED.match(head) is not None or classify(head).weight >= NAMED_MIN_WEIGHT


@dataclass(slots=True)
class Block:
    """The lines read around a hit: contiguous ``lines``, then a long block's named lines and
    tail as ``more`` (line offsets from the first line read)."""

    n_before: int
    lines: list[str]
    more: list[tuple[int, str]] = field(default_factory=list)
    first: int = 0  # byte offset of the first line read
    stop: int = 0  # byte offset after the last line read


def context(buf: bytes, start: int, cls: LineClass, lo: int = 0) -> tuple[int, list[str]]:
    """Cleaned lines around the line at ``start``: returns (lines before it, all lines)."""
    block = read_block(buf, start, cls, lo)
    return block.n_before, block.lines


def read_block(buf: bytes, start: int, cls: LineClass, lo: int = 0) -> Block:
    """The lines around the line at ``start``, with a long block's names and tail."""
    first = start
    n_before = 0
    own_output = cls.kind in _COMMAND_EXITS
    while n_before < cls.before and first > lo:
        prev = buf.rfind(b"\n", lo, first - 1)
        first = prev + 1 if prev >= 0 else lo
        n_before += 1
        if own_output and _is_command_echo(buf[first : first + 160]):
            break  # a failed command's output starts at its own command line
    if cls.kind in TEST_FAIL_KINDS and n_before:
        first, n_before = _section_before(buf, lo, start, first, n_before)
    lines: list[str] = []
    pos = first
    fixed = n_before + 1 + cls.after
    limit = n_before + 1 + (max(cls.after, cls.block) if cls.block else max(cls.after, MAX_AFTER))
    strays = [0]  # consecutive non-empty lines that do not continue an exception's stack
    ended = False
    while len(lines) < limit and pos <= len(buf) and not (pos == len(buf) and lines):
        end = line_end(buf, pos)
        if len(lines) >= fixed and not cls.block and not _continues(buf, pos):
            ended = True
            break
        text = _text(buf, pos, end)
        lines.append(text)
        pos = end + 1
        before = lines[-2] if len(lines) > 1 else ""
        if (
            cls.block
            and len(lines) > max(fixed, n_before + 2)
            and _block_done(cls, text, before, strays)
        ):
            ended = True
            break
    more: list[tuple[int, str]] = []
    if cls.block and not ended and len(lines) == limit and pos < len(buf):
        more, pos = _read_on(buf, pos, cls, len(lines), lines[-1], strays)
    return Block(n_before, lines, more, first, min(pos, len(buf)))


def _section_before(buf: bytes, lo: int, start: int, first: int, n_before: int) -> tuple[int, int]:
    """``(first, n_before)`` reaching back to the opening banner of a titled section that the
    line before ``start`` closes; unchanged when it closes none or opens farther back."""
    prev = buf.rfind(b"\n", lo, start - 1) + 1 if start > lo else lo
    if not _BANNER.match(clean_line(_raw(buf, prev))):
        return first, n_before
    at, back = first, n_before
    while back < SECTION_BEFORE and at > lo:
        at = buf.rfind(b"\n", lo, at - 1) + 1 if at - 1 > lo else lo
        back += 1
        if _BANNER.match(clean_line(_raw(buf, at))):
            return at, back
    return first, n_before


def _raw(buf: bytes, pos: int) -> str:
    return buf[pos : min(line_end(buf, pos), pos + 200)].decode("utf-8", "replace")


def halo(raw_before: bytes, raw_after: bytes, start: int, stop: int) -> list[tuple[int, str]]:
    """Numbered, cleaned lines of the raw bytes kept around a window (``start`` is its first
    line number, ``stop`` the one after its last), nearest first, after-lines a bit ahead."""
    before = raw_before.split(b"\n")[:-1]
    if len(raw_before) >= HALO_BEFORE_BYTES:
        before = before[1:]  # cut mid-line
    after = raw_after.split(b"\n")
    if len(raw_after) >= HALO_AFTER_BYTES or not after[-1]:
        after = after[:-1]
    numbered = [(start - len(before) + i, raw) for i, raw in enumerate(before[-HALO_LINES_BEFORE:])]
    numbered += [(stop + i, raw) for i, raw in enumerate(after[:HALO_LINES_AFTER])]
    numbered.sort(key=lambda item: (start - item[0]) if item[0] < start else (item[0] - stop) * 0.5)
    return [(n, _text(raw, 0, len(raw))) for n, raw in numbered]


def _text(buf: bytes, pos: int, end: int) -> str:
    return clip(clean_line(buf[pos : min(end, pos + MAX_RAW_LINE)].decode("utf-8", "replace")))


def _block_done(cls: LineClass, text: str, before: str, strays: list[int]) -> bool:
    """Whether ``text`` ends the block (``strays`` carries the stack's count of non-frames)."""
    if not _ends_block(cls, text, before):
        if text.strip():
            strays[0] = 0
        return False
    if cls.kind not in _STACKS:
        return True
    if not text.strip():
        return False
    # A runner's note can sit between a stack and the test's location ("Tasks: TOP => …",
    # "(See full trace …)", then the indented file:line): a stack ends only after
    # EXCEPTION_STRAYS lines in a row that are not frames.
    strays[0] += 1
    return strays[0] >= EXCEPTION_STRAYS


def _read_on(
    buf: bytes, pos: int, cls: LineClass, offset: int, before: str, strays: list[int]
) -> tuple[list[tuple[int, str]], int]:
    """Read a block past its class's limit to its end: its named lines and its last lines
    (offsets from the block's first line), and where it stopped."""
    named: list[tuple[int, int, int]] = []
    tail: deque[tuple[int, int, int, str]] = deque(maxlen=BLOCK_TAIL_LINES)
    for _ in range(MAX_BLOCK_TAIL):
        if pos >= len(buf):
            break
        end = line_end(buf, pos)
        # The start of a line is enough to see where a block ends and whether it names a test;
        # the full text is only made for the lines kept.
        text = clean_line(buf[pos : min(end, pos + _HEAD_BYTES)].decode("utf-8", "replace"))
        if len(tail) == BLOCK_TAIL_LINES and len(named) < BLOCK_NAMED_LINES:
            old = tail[0]
            if _maybe_named(old[3]) and is_named(old[3]):
                named.append(old[:3])
        tail.append((offset, pos, end, text))
        pos = end + 1
        offset += 1
        if _block_done(cls, text, before, strays):
            break
        before = text
    kept = named + [item[:3] for item in tail]
    return [(offset, _text(buf, start, end)) for offset, start, end in kept], pos


def _maybe_named(text: str) -> bool:
    """A cheap necessary condition for :func:`is_named`."""
    return text.lstrip()[:1] in _NAMED_FIRST or _NAMED_WORDS.search(text) is not None


def _ends_block(cls: LineClass, text: str, prev: str) -> bool:
    if _SECTION_END.match(text) is not None:
        return True
    if cls.kind == "sanitizer":
        return "==ABORTING" in text or text.startswith("SUMMARY: ")
    if cls.kind == "traceback":  # frames are 'File "…"' lines, each followed by its source line
        frame = text.lstrip().startswith('File "') or prev.lstrip().startswith('File "')
        return bool(text.strip()) and not frame and not text.startswith(_TRACE_HEADERS)
    if cls.kind in _PARAGRAPH:  # the report runs to the next blank line
        return not text.strip()
    if cls.kind in _INDENTED_BODY:  # the report is indented under its header line
        return bool(text.strip()) and not text[:1].isspace()
    if cls.kind in _STACKS:
        return _FRAME.search(text) is None
    return False


def _continues(buf: bytes, pos: int) -> bool:
    """Whether the line at ``pos`` continues a block: indented, a stack frame, a caret line.

    One blank line continues it when the line after it does: a test runner's report puts
    blank lines between its message, its expected/actual diff and the failing line.
    """
    end = line_end(buf, pos)
    if not buf[pos:end].strip() and end < len(buf):
        nxt = end + 1
        return bool(buf[nxt : line_end(buf, nxt)].strip()) and _continues_line(buf, nxt)
    return _continues_line(buf, pos)


def _continues_line(buf: bytes, pos: int) -> bool:
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
