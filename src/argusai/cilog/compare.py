"""Compare a failing log with a passing log of the same job: what is new ranks first.

A line's *template* masks what changes from one run to the next without changing what the
line says: timestamps, durations, UUIDs, hex hashes, paths and numbers. A template of the
failing log that the passing log never printed is *new*; an error line the passing run
printed too (a deprecation warning, a retried download, a ``continue-on-error`` step) is a
decoy. Before the usual selection runs, the reducer's windows are re-weighted on that:
windows whose error line is new first (the more so inside a run of new lines), windows
whose error line the passing run printed as well last; a run of new lines holding no error
word at all ("Task never defined: default") becomes a window of its own. Without a passing
log nothing changes.

Only the reducer's public pieces are used (``scan``, its windows and line classes,
``ranked`` and ``select``): no rule here says what an error looks like.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from argusai.cilog.normalize import clean_line, clip
from argusai.cilog.patterns import LineClass
from argusai.cilog.rank import ranked
from argusai.cilog.reduce import CHUNK_BYTES, DEFAULT_BUDGET, Reduction, select
from argusai.cilog.scan import ScanResult, Window, scan

#: a window whose error line is new gains NEW_BONUS, more when the lines around it are new
#: too (a run of RUN_FULL or more new lines gains the most); an isolated new line is often
#: just a line the passing run happened not to print. A window whose error line the passing
#: run printed as well loses KNOWN_MALUS. These outweigh any spread of the reducer's scores.
NEW_BONUS = 10.0
RUN_BONUS = 4.0
RUN_FULL = 4
KNOWN_MALUS = 8.0
#: a run of new lines with no error word is a candidate of its own (a lint message, a
#: "Task never defined", a proxy failure), weighted as a weak error line
BLOCK_WEIGHT = 3.0
BLOCK_MIN = 2
BLOCK_CONTEXT = 2  # lines kept before and after such a run
BLOCK_MAX = 40
RUN_GAP = 1  # a run of new lines may skip this many blank or known lines
#: an exit line ("Process completed with exit code 1") reads the same in both runs once its
#: digits are masked: it counts as new when this share of the output before it is new
NEW_CONTEXT_SHARE = 0.25
_EXIT_KINDS = ("step-exit", "ci-exit")
HEAD_CHARS = 200  # a long line's template: its head and its end (clipped lines keep both)
TAIL_CHARS = 100
MAX_NEW_SHOWN = 8

_ZERO_BYTES = bytes.maketrans(b"123456789", b"000000000")
# Digits are zeroed first (numbers never matter, and the masks below then look for one digit
# only); each mask runs only when a cheap test says it can match. Possessive quantifiers
# keep the path mask linear on long lines.
_TIME = re.compile(
    r"0000-00-00(?:[T ]00:00(?::00)?(?:[.,]0+)?)?(?:Z|[+-]00:?00)?|\b00:00:00(?:[.,]0+)?\b"
)
_UUID = re.compile(
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
)
_HEX = re.compile(r"\b0x[0-9a-fA-F]++\b|\b(?=[a-fA-F]*+0)[0-9a-fA-F]{7,64}\b")
_PATH = re.compile(r"(?<![\w.@+~:-])(?:[\w.@+~:-]*+[/\\])++[\w.@+~:-]++")
_DURATION = re.compile(
    r"\b0++(?:\.0++)?\s?(?:ms|µs|us|ns|s|sec|secs|seconds?|m|min|mins|minutes?|h)\b"
    r"(?:\s*+0++(?:\.0++)?\s?(?:ms|s|sec|seconds?|m|min|minutes?)\b)*+"
)
_NUMBER = re.compile(r"0++(?:[.,:]0++)*+")


def template(line: str) -> str:
    """What a cleaned log line says once its run-to-run details are masked."""
    text = line.strip()
    if len(text) > HEAD_CHARS + TAIL_CHARS:
        text = text[:HEAD_CHARS] + " … " + text[-TAIL_CHARS:]
    text = (
        text.encode("utf-8", "surrogatepass")
        .translate(_ZERO_BYTES)
        .decode("utf-8", "surrogatepass")
    )
    if "0" in text:
        if "00:00" in text or "0000-" in text:
            text = _TIME.sub("<time>", text)
        if text.count("-") >= 4:
            text = _UUID.sub("<uuid>", text)
        text = _HEX.sub("<hex>", text)
    if "/" in text or "\\" in text:
        text = _PATH.sub("<path>", text)
    if "0" in text:
        text = _NUMBER.sub("#", _DURATION.sub("<dur>", text))
    return " ".join(text.split())


def _raw_lines(data: bytes) -> Iterator[tuple[int, str]]:
    """(0-based line number, raw text) of every ``\\n``-line, as the reducer numbers them."""
    for number, raw in enumerate(io.BytesIO(data)):
        yield number, raw.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Baseline:
    """The templates a passing log printed (hashed: a 50 MB log takes a few MB here)."""

    templates: frozenset[int]  # hash() of each template: valid in this process only
    lines: int
    size: int

    @classmethod
    def of(cls, data: bytes) -> Baseline:
        """Read a passing log (plain bytes): each distinct line is templated once."""
        distinct = set(data.translate(_ZERO_BYTES).split(b"\n"))
        templates = set()
        for raw in distinct:
            line = clean_line(raw.decode("utf-8", "replace"))
            if line:
                templates.add(hash(template(line)))
        return cls(frozenset(templates), data.count(b"\n") + 1, len(data))

    def knows(self, line: str) -> bool:
        """Whether the passing log printed a line with this cleaned line's template."""
        return hash(template(line)) in self.templates


@dataclass(frozen=True, slots=True)
class NewLine:
    """An error line of the failing log the passing run never printed (1-based)."""

    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """What the failing log has that the passing one had not."""

    new_blocks: int  # error windows whose line is new
    known_blocks: int  # error windows the passing run printed too (ranked last)
    new_lines: tuple[NewLine, ...]  # the new error lines, best ranked first
    passing_lines: int

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {
            "new_blocks": self.new_blocks,
            "known_blocks": self.known_blocks,
            "new_lines": [{"line": n.line, "text": n.text} for n in self.new_lines],
            "passing_lines": self.passing_lines,
        }


def _needed(windows: Iterable[Window]) -> set[int]:
    needed: set[int] = set()
    for w in windows:
        needed.update(range(w.start, w.start + len(w.lines)))
        needed.add(w.hit)
    return needed


def cleaned_lines(data: bytes, numbers: set[int]) -> dict[int, str]:
    """The cleaned text of each wanted 0-based line number of ``data``."""
    out: dict[int, str] = {}
    last = max(numbers, default=-1)
    for number, raw in _raw_lines(data):
        if number > last:
            break
        if number in numbers:
            out[number] = clean_line(raw)
    return out


def runs(new: set[int]) -> list[tuple[int, int]]:
    """(first, last) line of each run of new lines (gaps of RUN_GAP lines allowed)."""
    out: list[tuple[int, int]] = []
    for number in sorted(new):
        if out and number - out[-1][1] <= RUN_GAP + 1:
            out[-1] = (out[-1][0], number)
        else:
            out.append((number, number))
    return out


def _run_bonus(length: int) -> float:
    return NEW_BONUS + RUN_BONUS * min(length, RUN_FULL)


def _blocks(
    result: ScanResult, text: dict[int, str], new: set[int], spans: list[tuple[int, int]]
) -> list[Window]:
    """Runs of new lines that hold no error line of the scan: windows of their own (an exit
    line does not count: it says a step failed, not why)."""
    hits = {w.hit for w in result.windows if w.cls.kind not in _EXIT_KINDS}
    blocks = []
    for first, last in spans:
        length = sum(1 for n in range(first, last + 1) if n in new)
        if length < BLOCK_MIN or any(first <= h <= last for h in hits):
            continue
        lo = first
        while lo > max(first - BLOCK_CONTEXT, 0) and lo - 1 in text:
            lo -= 1
        hi = min(last, first + BLOCK_MAX)
        while hi < min(last + BLOCK_CONTEXT, first + BLOCK_MAX) and hi + 1 in text:
            hi += 1
        lines = [clip(text[n]) for n in range(lo, hi + 1)]
        home = next((w for w in result.windows if w.start <= first < w.start + len(w.lines)), None)
        cls = LineClass("new-lines", BLOCK_WEIGHT + _run_bonus(length), 0, hi - first)
        blocks.append(
            Window(
                first,
                lo,
                lines,
                cls,
                "new:" + template(text[first]),
                home.step if home else None,
                home.step_line if home else -1,
            )
        )
    return blocks


def reweigh(result: ScanResult, data: bytes, baseline: Baseline) -> tuple[int, int]:
    """Move the scan's windows by novelty and add runs of new lines (in place);
    (new windows, known windows)."""
    text = cleaned_lines(data, _needed(result.windows))
    new = {n for n, line in text.items() if line.strip() and not baseline.knows(line)}
    spans = runs(new)
    run_of = {n: last - first + 1 for first, last in spans for n in range(first, last + 1)}
    fresh = known = 0
    for window in result.windows:
        if window.cls.kind in _EXIT_KINDS:
            before = [n in new for n in range(window.start, window.hit)]
            is_new = bool(before) and sum(before) >= NEW_CONTEXT_SHARE * len(before)
            delta = NEW_BONUS if is_new else 0.0  # where a step ended is never a decoy
        else:
            is_new = window.hit in new
            delta = _run_bonus(run_of.get(window.hit, 1)) if is_new else -KNOWN_MALUS
        fresh, known = fresh + is_new, known + (not is_new)
        window.cls = replace(window.cls, weight=max(0.1, window.cls.weight + delta))
    blocks = _blocks(result, text, new, spans)
    result.windows = sorted([*result.windows, *blocks], key=lambda w: w.hit)
    return fresh + len(blocks), known


def compare(result: ScanResult, data: bytes, baseline: Baseline) -> Comparison:
    """Re-weigh ``result`` (scanned from ``data``) against ``baseline``; what is new."""
    new, known = reweigh(result, data, baseline)
    shown: list[NewLine] = []
    for _score, window in ranked(result):
        if len(shown) >= MAX_NEW_SHOWN or window.cls.weight < NEW_BONUS:
            break
        text = window.lines[window.hit - window.start].strip()
        if window.cls.kind in _EXIT_KINDS or not text or any(n.text == text for n in shown):
            continue  # "exit code 1" says nothing the step's name does not
        shown.append(NewLine(window.hit + 1, text))
    return Comparison(new, known, tuple(shown), baseline.lines)


def reduce_compared(
    data: bytes,
    baseline: Baseline | None,
    budget: int = DEFAULT_BUDGET,
    count: Callable[[str], int] | None = None,
) -> tuple[Reduction, Comparison | None]:
    """Reduce a failing log, ranking first what the passing log never printed (when given)."""
    if count is None:
        from argusai.core.tokens import count_tokens

        count = count_tokens
    result = scan(data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES))
    comparison = compare(result, data, baseline) if baseline is not None else None
    return select(result, budget, count), comparison
