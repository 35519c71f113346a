"""Reduce a CI log (up to 50 MB) to the lines that explain its failure, within a token budget."""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import IO, Any

from argusai.cilog.blocks import halo
from argusai.cilog.budget import Selection, collapse_runs, window_lines
from argusai.cilog.patterns import EXIT_NEAR
from argusai.cilog.rank import failing_step, ranked
from argusai.cilog.scan import ScanResult, Window, scan

DEFAULT_BUDGET = 6_000
CHUNK_BYTES = 4 << 20
_HEADER_RESERVE = 160  # tokens kept for the header line and gap markers' rounding
_FIRST_PASS_SHARE = 0.55  # strongest windows may use this much before the tail gets its turn
_TAIL_SHARE = 0.80
_HEADLINE_SHARE = 0.30  # budget share for the headlines of all strong errors, taken first
_HEADLINE_LINES = 4
_HEADLINE_MIN_WEIGHT = 8.0
_EXIT_KINDS = ("ci-exit", "step-exit")
HALO_WINDOWS = 5  # the best-ranked windows whose surroundings get the budget left over …
HALO_FIRST_WINDOWS = 1  # … and how many of them get it before the failed commands' output
_LOCATION = re.compile(r"\s*[\w./\\-]+\.\w+[:(]\d+")  # "src/a.js:12 …", "a.c(3): …"


@dataclass(frozen=True, slots=True)
class ErrorBlock:
    """One error found in the log (line numbers are 1-based)."""

    kind: str
    line: int
    start: int
    end: int
    text: str
    score: float
    repeats: int
    shown: bool


@dataclass(frozen=True, slots=True)
class Omission:
    """A run of log lines left out of the excerpt (1-based, inclusive)."""

    start: int
    end: int
    lines: int
    reason: str


@dataclass(frozen=True, slots=True)
class Reduction:
    """The excerpt and what it is made of, including what was cut."""

    excerpt: str
    failing_step: str | None
    exit_code: int | None
    blocks: tuple[ErrorBlock, ...]
    lines_in: int
    bytes_in: int
    lines_kept: int
    tokens: int
    budget: int
    omitted: tuple[Omission, ...]
    blocks_cut: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def iter_chunks(stream: IO[bytes], size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Read a binary stream in chunks, gunzipping it when it starts with the gzip magic."""
    head = stream.read(size)
    raw = itertools.chain([head], iter(lambda: stream.read(size), b""))
    if head[:2] == b"\x1f\x8b":
        yield from _gunzip(raw, size)
        return
    yield from (chunk for chunk in raw if chunk)


def _gunzip(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Decompress gzip members (concatenated ones too) with bounded output per step."""
    inflater = zlib.decompressobj(wbits=31)
    for chunk in chunks:
        data = chunk
        while data:
            out = inflater.decompress(data, size)
            if out:
                yield out
            data = inflater.unconsumed_tail
            if inflater.eof:
                data = inflater.unused_data + data
                inflater = zlib.decompressobj(wbits=31)
                if not data.startswith(b"\x1f\x8b"):
                    return
    while tail := inflater.decompress(inflater.unconsumed_tail, size):
        yield tail


def _default_counter() -> Callable[[str], int]:
    from argusai.core.tokens import count_tokens

    return count_tokens


def reduce_bytes(
    data: bytes, budget: int = DEFAULT_BUDGET, count: Callable[[str], int] | None = None
) -> Reduction:
    """Reduce a whole log held in memory."""
    return reduce_log(
        (data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)), budget, count
    )


def reduce_stream(
    stream: IO[bytes], budget: int = DEFAULT_BUDGET, count: Callable[[str], int] | None = None
) -> Reduction:
    """Reduce a log read from a binary stream (plain or gzip)."""
    return reduce_log(iter_chunks(stream), budget, count)


def reduce_log(
    chunks: Iterable[bytes], budget: int = DEFAULT_BUDGET, count: Callable[[str], int] | None = None
) -> Reduction:
    """Reduce a log given as byte chunks to an excerpt of at most ``budget`` tokens."""
    counter = count or _default_counter()
    result = scan(chunks)
    return select(result, budget, counter)


def select(result: ScanResult, budget: int, count: Callable[[str], int]) -> Reduction:
    """Choose lines from a scan within the budget and render the excerpt."""
    sel = Selection(budget=max(0, budget - _HEADER_RESERVE), count=count)
    failed = failing_step(result)
    order = ranked(result)
    if failed is not None:
        for window in result.windows:
            if window.hit == failed.exit_line:
                sel.add([(window.hit, window.lines[window.hit - window.start])])
    tail = list(enumerate(result.tail, start=result.tail_start))
    tail_kept, tail_folded = collapse_runs(tail)
    shown: set[int] = set()
    expanded: set[str] = set()

    prepared: dict[int, tuple[list[tuple[int, str]], set[int]]] = {}

    def lines_of(window: Window) -> tuple[list[tuple[int, str]], set[int]]:
        """A window's lines in the order to add them, near-duplicates folded (once per window)."""
        if id(window) not in prepared:
            numbered = [(window.start + i, t) for i, t in enumerate(window.lines)]
            _kept, folded = collapse_runs(numbered)
            folded.discard(window.hit)
            lines = [n for n in window_lines(window) if n[0] not in folded]
            if window.cls.kind in _EXIT_KINDS:
                lines = lines[: EXIT_NEAR + 2]
            prepared[id(window)] = lines, folded
        return prepared[id(window)]

    def add_windows(limit: float) -> None:
        for _score, window in order:
            if sel.used >= sel.budget * limit - 8:
                return  # full: the remaining windows are counted as cut
            if limit < 1.0 and (window.hit in shown or window.key in expanded):
                continue  # one full block per template until the budget has room to spare
            window_order, folded = lines_of(window)
            sel.collapsed.update(folded)
            reserve = int(sel.budget * (1 - limit))
            if window.hit not in sel.lines and not sel.add(window_order[:1], reserve):
                continue
            shown.add(window.hit)
            expanded.add(window.key)
            sel.add(window_order[1:], reserve)

    # The lines around the best windows that are far from the end and from any failed command's
    # exit line (the passes for those show the lines near them): such a failure has nothing else
    # around it, and its own block is often shorter than what explains it (the list it belongs
    # to, the output before it). The best one's before the output of the failed commands, the
    # others' with what budget is left at the end.
    covered = [(w.start, w.hit) for w in result.windows if w.cls.kind in _EXIT_KINDS]
    covered.append((result.tail_start, result.lines_in))

    def grow(windows: list[tuple[float, Window]], count: int) -> None:
        for _score, window in windows:
            if window.cls.kind in _EXIT_KINDS or window.hit not in sel.lines:
                continue
            if count <= 0:
                return
            count -= 1
            if any(lo <= window.hit <= hi for lo, hi in covered):
                continue  # near the end or a failed command's exit: those passes show around it
            last = max(
                window.start + len(window.lines), max((n for n, _ in window.more), default=0) + 1
            )
            around = halo(window.halo[0], window.halo[1], window.start, last)
            _kept, folded = collapse_runs(sorted(around))
            sel.collapsed.update(folded)
            if not sel.add([item for item in around if item[0] not in folded]):
                return

    # Breadth before depth: every strong error gets its headline (the hit and its nearest
    # lines) before any one of them spends the budget on a long stack or section.
    # A template seen again (its first and last occurrence are both windows) gets one headline.
    headlined: set[str] = set()
    for _score, window in order:
        if window.cls.weight < _HEADLINE_MIN_WEIGHT or window.key in headlined:
            continue
        headlined.add(window.key)
        if sel.used >= sel.budget * _HEADLINE_SHARE - 8:
            break
        sel.add(window_lines(window)[:_HEADLINE_LINES], int(sel.budget * (1 - _HEADLINE_SHARE)))
    add_windows(_FIRST_PASS_SHARE)
    sel.collapsed.update(tail_folded)
    sel.add(list(reversed(tail_kept)), int(sel.budget * (1 - _TAIL_SHARE)))
    add_windows(1.0)
    sel.add(list(reversed(tail_kept)))
    grow(order, HALO_FIRST_WINDOWS)
    # Budget to spare: the output just before each failed command's exit line, nearest first,
    # the failing step's first, then the earlier failed commands' (latest first).
    exits = sorted(
        (w for w in result.windows if w.cls.kind in _EXIT_KINDS),
        key=lambda w: (failed is None or w.hit != failed.exit_line, -w.hit),
    )
    spare: set[tuple[int, str]] = set()
    for window in exits:
        numbered = [(window.start + i, t) for i, t in enumerate(window.lines)]
        _kept, folded = collapse_runs(numbered)
        sel.collapsed.update(folded - {window.hit})
        spare.update((n, t) for n, t in numbered if n in folded)
        if not sel.add([n for n in window_lines(window) if n[0] not in folded]):
            break  # full: the earlier failed commands' output stays cut
    # Folding near-duplicates is a budget measure: lines that differ only in numbers can still
    # be distinct findings (a linter's "file:line message" list; retries and progress lines
    # name no source location). With tokens left, folded findings of the tail and of the
    # failed commands' output come back, first lines first.
    spare.update((n, t) for n, t in tail if n in tail_folded)
    restore = sorted(
        (n, t)
        for n, t in spare
        if n in sel.collapsed and n not in sel.lines and _LOCATION.match(t) is not None
    )
    sel.collapsed.difference_update(n for n, _ in restore)
    sel.add(restore)
    sel.collapsed.update(n for n, _ in restore if n not in sel.lines)
    grow(order, HALO_WINDOWS)
    return _render(result, sel, order, shown, failed, budget, count)


def _render(
    result: ScanResult,
    sel: Selection,
    order: list[tuple[float, Any]],
    shown: set[int],
    failed: Any,
    budget: int,
    count: Callable[[str], int],
) -> Reduction:
    body: list[str] = []
    omitted: list[Omission] = []
    numbers = sorted(sel.lines)
    prev = -1
    step_titles = {w.step_line: w.step for w in result.windows if w.step}
    for number in [*numbers, result.lines_in]:
        if number - prev > 1:
            gap = range(prev + 1, number)
            folded = sum(1 for n in gap if n in sel.collapsed)
            reason = "similar lines" if folded == len(gap) else "not selected"
            omitted.append(Omission(gap.start + 1, gap.stop, len(gap), reason))
            noun = "similar line" if reason == "similar lines" else "line"
            body.append(f"… {len(gap):,} {noun}{'s' if len(gap) != 1 else ''} omitted …")
        if number < result.lines_in:
            title = step_titles.get(max((s for s in step_titles if s <= number), default=-2))
            if (
                title
                and (not body or not body[-1].startswith("▶"))
                and _first_of_step(number, prev, step_titles)
            ):
                body.append(f"▶ step: {title}")
            body.append(sel.lines[number])
        prev = number
    blocks = tuple(
        ErrorBlock(
            kind=w.cls.kind,
            line=w.hit + 1,
            start=w.start + 1,
            end=w.start + len(w.lines),
            text=w.lines[w.hit - w.start],
            score=round(s, 2),
            repeats=w.repeats,
            shown=w.hit in sel.lines,
        )
        for s, w in order
    )
    shown_blocks = tuple(b for b in blocks if b.shown)
    cut = len(blocks) - len(shown_blocks) + result.dropped_windows
    step = failed.title if failed is not None else None
    header = (
        f"[argus: {result.lines_in:,} lines / {result.bytes_in:,} bytes in; "
        f"{len(numbers):,} lines kept; "
        f"{sum(o.lines for o in omitted):,} lines omitted in {len(omitted):,} gaps; "
        f"{len(shown_blocks)} error blocks shown, {cut} not shown"
        + (f"; failing step: {step}" if step else "")
        + (
            f" (exit code {failed.exit_code})"
            if failed is not None and failed.exit_code is not None
            else ""
        )
        + "]"
    )
    excerpt = "\n".join([header, *body]) + "\n"
    while body and count(excerpt) > budget:  # the estimate was short: trim from the top
        body.pop(0)
        excerpt = "\n".join([header, *body]) + "\n"
    return Reduction(
        excerpt=excerpt,
        failing_step=step,
        exit_code=failed.exit_code if failed is not None else None,
        blocks=shown_blocks[:50],
        lines_in=result.lines_in,
        bytes_in=result.bytes_in,
        lines_kept=len(numbers),
        tokens=count(excerpt),
        budget=budget,
        omitted=tuple(omitted),
        blocks_cut=cut,
    )


def _first_of_step(number: int, prev: int, titles: Mapping[int, str | None]) -> bool:
    return any(prev < s <= number for s in titles)
