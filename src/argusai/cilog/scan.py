"""One streaming pass over a log's bytes: candidate error windows, steps, exits and the tail."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from argusai.cilog.blocks import (
    HALO_AFTER_BYTES,
    HALO_BEFORE_BYTES,
    MAX_BLOCK,
    MAX_RAW_LINE,
    TEST_FAIL_KINDS,
    line_end,
    opener,
    raw_line,
    read_block,
)
from argusai.cilog.normalize import clean_line, clip
from argusai.cilog.patterns import LineClass, classify, template_key
from argusai.cilog.prefilter import hit_lines

MAX_BEFORE = 300  # context lines kept before a hit (upper bound over all line classes)
TAIL_LINES = 200  # the end of the log is always a candidate
MAX_CARRY = 1 << 20  # bytes carried between buffers when a "line" never ends
MAX_WINDOWS = 1_500  # distinct error templates kept; the weakest are dropped beyond
MAX_FAILED_STEPS = 50
CONTEXT_PER_BUFFER = 64  # new weak templates per buffer that get their context read
STRONG = 7.0  # line classes at least this heavy also keep their latest occurrence
HIT_LINE_CHARS = 3_000  # an error line itself is kept whole up to this length, context to 2,500

_DIGITS = bytes.maketrans(b"0123456789", b"##########")
_EXIT_CODE = re.compile(r"exit(?:ed with| code) (\d+)")
_TRAVIS_COMMAND = re.compile(r'The command "(.*)" exited with (\d+)')


@dataclass(slots=True)
class Window:
    """An error line with the cleaned lines around it (line numbers are 0-based)."""

    hit: int
    start: int
    lines: list[str]
    cls: LineClass
    key: str
    step: str | None
    step_line: int
    repeats: int = 1
    more: list[tuple[int, str]] = field(default_factory=list)  # a long block's names and tail
    halo: tuple[bytes, bytes] = (b"", b"")  # raw bytes before and after (see blocks.halo)
    # where the failed test started and its first output (see blocks.opener)
    opener: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FailedStep:
    """A step that ended with a non-zero exit code."""

    title: str | None
    line: int
    exit_line: int
    exit_code: int | None


@dataclass(slots=True)
class ScanResult:
    """Everything the ranker needs, in bounded memory."""

    bytes_in: int = 0
    lines_in: int = 0
    windows: list[Window] = field(default_factory=list)
    failed_steps: list[FailedStep] = field(default_factory=list)
    tail_start: int = 0
    tail: list[str] = field(default_factory=list)
    hits: int = 0
    dropped_windows: int = 0


@dataclass(slots=True)
class _State:
    step: str | None = None
    step_line: int = -1
    first: dict[str, Window] = field(default_factory=dict)
    last: dict[str, Window] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    cache: dict[bytes, tuple[LineClass, str]] = field(default_factory=dict)
    result: ScanResult = field(default_factory=ScanResult)
    # The latest occurrence of each strong template in the previous buffer, read only if the
    # template does not occur again in this one (most recur: reading each would be wasted).
    pending: dict[str, tuple[bytes, int, int, int, str | None, int]] = field(default_factory=dict)


def _step_event(state: _State, text: str, line_no: int) -> None:
    if text.startswith("▶ "):
        state.step, state.step_line = text[2:].strip() or None, line_no
    elif text.startswith("$ "):
        state.step, state.step_line = text, line_no


def _exit_event(state: _State, cls: LineClass, text: str, line_no: int) -> None:
    match = _EXIT_CODE.search(text)
    code = int(match.group(1)) if match else None
    title = state.step
    travis = _TRAVIS_COMMAND.search(text)
    if travis:
        title = f"$ {travis.group(1)}"
    if code == 0 or cls.kind not in ("step-exit", "ci-exit") or "Your build exited" in text:
        # Travis's "Done. Your build exited with 1." closes the job, not a step.
        return
    failed = state.result.failed_steps
    failed.append(FailedStep(title, state.step_line, line_no, code))
    del failed[:-MAX_FAILED_STEPS]


def _process(state: _State, buf: bytes, base: int, lo: int, hi: int) -> None:
    """Scan the lines starting in buf[lo:hi]; ``base`` is the line number of buf[0]."""
    res = state.result
    line_no, counted = base, 0
    touched: dict[str, tuple[int, int, int]] = {}
    fresh: dict[str, tuple[int, int, int, LineClass, str | None, int]] = {}
    for offset, focus in sorted(hit_lines(buf, lo, hi).items()):
        line_no += buf.count(b"\n", counted, offset)
        counted = offset
        head = buf[offset : offset + 48]
        if b"##[group]" in head or b"\x1b[0K$ " in head or head.startswith(b"$ "):
            text = clean_line(raw_line(buf, offset, focus)[0])
            if text.startswith(("▶ ", "$ ")):
                _step_event(state, text, line_no)
                continue
        end = line_end(buf, offset)
        key_from = offset if focus - offset < 400 else focus - 200
        masked = buf[key_from : min(end, key_from + 512)].translate(_DIGITS)
        cached = state.cache.get(masked)
        if cached is None:
            raw, rel = raw_line(buf, offset, focus)
            text = clip(clean_line(raw), rel, 2_000)
            cached = (classify(text), template_key(text))
            if len(state.cache) > 50_000:
                state.cache.clear()
            state.cache[masked] = cached
        cls, key = cached
        if cls.weight <= 0:
            continue
        res.hits += 1
        if cls.kind in ("step-exit", "ci-exit"):
            _exit_event(state, cls, clean_line(raw_line(buf, offset, focus)[0]), line_no)
        state.counts[key] = state.counts.get(key, 0) + 1
        touched[key] = (offset, line_no, focus)
        if key not in state.first and key not in fresh:
            fresh[key] = (offset, line_no, focus, cls, state.step, state.step_line)
    # Reading context costs more than finding hits: only the strongest new templates of this
    # buffer get theirs; the others keep their own line (they rarely make the budget anyway).
    ranked = sorted(fresh.items(), key=lambda item: (-item[1][3].weight, -item[1][1]))
    for rank, (key, (offset, line_no, focus, cls, step, step_line)) in enumerate(ranked):
        full = rank < CONTEXT_PER_BUFFER or cls.weight >= STRONG
        state.first[key] = _window(buf, offset, line_no, focus, cls, key, step, step_line, full)
    _settle(state, set(touched))
    for key, (offset, line_no, focus) in touched.items():
        first = state.first[key]
        # Weak generic lines keep their first occurrence only: re-reading their context in
        # every buffer costs more than it tells.
        if first.hit != line_no and first.cls.weight >= STRONG:
            state.pending[key] = (buf, offset, line_no, focus, state.step, state.step_line)
    if len(state.first) > MAX_WINDOWS:
        _prune(state)


def _settle(state: _State, superseded: set[str]) -> None:
    """Read the pending latest occurrences that a newer one does not replace."""
    for key, (buf, offset, line_no, focus, step, step_line) in state.pending.items():
        if key not in superseded and key in state.first:
            cls = state.first[key].cls
            state.last[key] = _window(buf, offset, line_no, focus, cls, key, step, step_line, True)
    state.pending = {}


def _window(
    buf: bytes,
    offset: int,
    line_no: int,
    focus: int,
    cls: LineClass,
    key: str,
    step: str | None,
    step_line: int,
    full: bool,
) -> Window:
    raw, rel = raw_line(buf, offset, focus)
    hit = clip(clean_line(raw), rel, HIT_LINE_CHARS)  # the hit's own text, not the line's start
    if not full:
        return Window(line_no, line_no, [hit], cls, key, step, step_line)
    block = read_block(buf, offset, cls)
    n_before, lines = block.n_before, block.lines
    if n_before < len(lines):
        lines[n_before] = hit
    start = line_no - n_before
    more = [(start + i, text) for i, text in block.more]
    window = Window(line_no, start, lines, cls, key, step, step_line, more=more)
    if cls.kind in TEST_FAIL_KINDS:
        back, texts = opener(buf, block.first, hit)
        window.opener = [(start - back + i, t) for i, t in enumerate(texts) if i < back]
    if cls.kind not in ("step-exit", "ci-exit"):  # their output before them is read already
        around = buf[max(0, block.first - HALO_BEFORE_BYTES) : block.first]
        window.halo = (around, buf[block.stop : block.stop + HALO_AFTER_BYTES])
    return window


def _prune(state: _State) -> None:
    ranked = sorted(state.first.values(), key=lambda w: (w.cls.weight, w.hit))
    for window in ranked[: len(ranked) - MAX_WINDOWS * 2 // 3]:
        state.first.pop(window.key, None)
        state.last.pop(window.key, None)
        state.pending.pop(window.key, None)
        state.result.dropped_windows += 1


def _tail(buf: bytes, base: int) -> tuple[int, list[str]]:
    end = len(buf) - 1 if buf.endswith(b"\n") else len(buf)
    pos = end
    for _ in range(TAIL_LINES):
        if pos <= 0:
            break
        pos = buf.rfind(b"\n", 0, pos)
        if pos < 0:
            break
    first = 0 if pos <= 0 and not buf.startswith(b"\n") else pos + 1
    if pos < 0:
        first = 0
    start_line = base + buf.count(b"\n", 0, first)
    lines = [
        clip(clean_line(buf[s : s + MAX_RAW_LINE].split(b"\n", 1)[0].decode("utf-8", "replace")))
        for s in _starts(buf, first, end)
    ]
    return start_line, lines


def _starts(buf: bytes, first: int, end: int) -> list[int]:
    starts = [first]
    pos = buf.find(b"\n", first, end)
    while pos >= 0:
        starts.append(pos + 1)
        pos = buf.find(b"\n", pos + 1, end)
    return starts


def _carry_from(buf: bytes, safe: int, keep: int) -> int:
    pos = safe
    for _ in range(keep):
        prev = buf.rfind(b"\n", 0, pos - 1) if pos > 1 else -1
        if prev < 0:
            pos = 0
            break
        pos = prev + 1
    return max(pos, safe - MAX_CARRY)


def scan(chunks: Iterable[bytes]) -> ScanResult:
    """Scan a log given as byte chunks (any sizes) in one pass and bounded memory."""
    state = _State()
    res = state.result
    buf, base, scan_from = b"", 0, 0
    keep = max(TAIL_LINES, MAX_BEFORE) + MAX_BLOCK
    for data in chunks:
        if not data:
            continue
        res.bytes_in += len(data)
        buf = buf[:] + data if buf else data
        safe = len(buf)
        for _ in range(MAX_BLOCK + 1):
            safe = buf.rfind(b"\n", 0, safe)
            if safe < 0:
                break
        if safe < 0 and len(buf) - scan_from < MAX_CARRY:
            continue  # wait for more lines
        safe = len(buf) if safe < 0 else safe + 1
        _process(state, buf, base, scan_from, safe)
        cut = _carry_from(buf, safe, keep)
        base += buf.count(b"\n", 0, cut)
        buf, scan_from = buf[cut:], safe - cut
    if buf:
        _process(state, buf, base, scan_from, len(buf))
    _settle(state, set())
    res.lines_in = base + buf.count(b"\n") + (1 if buf and not buf.endswith(b"\n") else 0)
    if buf:
        res.tail_start, res.tail = _tail(buf, base)
    else:
        res.tail_start = res.lines_in
    windows = list(state.first.values())
    for key, last in state.last.items():
        if key in state.first:
            windows.append(last)
    for window in windows:
        window.repeats = state.counts.get(window.key, 1)
    res.windows = sorted(windows, key=lambda w: w.hit)
    return res
