"""The enclosing scope (function, method, class) of each hunk, in the head version of a file."""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from argusai.review.context.outline import Span, outline

MAX_SCOPE_LINES = 40
AROUND_LINES = 6
MAX_SIGNATURE_LINES = 12
_NUM_WIDTH = 6


@dataclass(frozen=True, slots=True)
class Scope:
    """A scope around changed lines: its signature, and its text (whole or around the lines)."""

    path: str
    name: str
    qualname: str
    kind: str
    start: int
    end: int
    signature: str
    text: str
    changed: tuple[int, ...]
    whole: bool


def numbered(lines: list[str], first: int, last: int) -> list[str]:
    """Lines ``first..last`` (1-based, inclusive) with their line numbers, as chunk.py shows."""
    return [f"{n:>{_NUM_WIDTH}}  {lines[n - 1]}" for n in range(first, min(last, len(lines)) + 1)]


def innermost(spans: list[Span], line: int) -> Span | None:
    """The innermost span whose body holds ``line`` (its signature belongs to the outer one)."""
    best: Span | None = None
    for span in spans:
        if span.header_end < line <= span.end and (best is None or span.start >= best.start):
            best = span
    return best


def _innermost_each(spans: list[Span], lines: list[int]) -> dict[int, Span]:
    """``innermost(spans, line)`` for each of the sorted ``lines`` at once (a bisect per
    span instead of a scan of every span per line: a 10,000-line hunk in a file of
    hundreds of functions stays fast). Lines outside every span are left out."""
    best: dict[int, Span] = {}
    for span in spans:
        lo = bisect.bisect_right(lines, span.header_end)
        hi = bisect.bisect_right(lines, span.end)
        for line in lines[lo:hi]:
            held = best.get(line)
            if held is None or span.start >= held.start:
                best[line] = span
    return dict(sorted(best.items()))


def enclosing_scopes(
    path: str,
    text: str,
    changed_lines: Iterable[int],
    *,
    max_lines: int = MAX_SCOPE_LINES,
    around: int = AROUND_LINES,
    shown: Collection[int] = (),
) -> list[Scope]:
    """One :class:`Scope` per scope holding changed lines, in file order; module level has none.

    Lines in ``shown`` (those the diff already carries) are left out of the body, marked.
    """
    spans = outline(path, text)
    held: dict[Span, list[int]] = {}
    for line, span in _innermost_each(spans, sorted(set(changed_lines))).items():
        held.setdefault(span, []).append(line)
    lines = text.split("\n")
    shown_set = frozenset(shown)  # once, not per scope: a big hunk shows thousands of lines
    return [
        _scope(path, lines, span, changed, max_lines, around, shown_set)
        for span, changed in sorted(held.items(), key=lambda item: item[0].start)
    ]


def _scope(
    path: str,
    lines: list[str],
    span: Span,
    changed: list[int],
    max_lines: int,
    around: int,
    shown: frozenset[int],
) -> Scope:
    sig_end = min(span.header_end, span.start + MAX_SIGNATURE_LINES - 1)
    signature = "\n".join(lines[span.start - 1 : sig_end])
    head_end = _first_substantive(lines, sig_end, span.end)
    whole = span.end - span.start + 1 <= max_lines
    if whole:
        body = numbered(lines, span.start, span.end)
    else:
        body = _excerpt(lines, span, head_end, changed, max_lines, around)
    if shown:
        body = _elide(body, shown, head_end)
    return Scope(
        path=path,
        name=span.name,
        qualname=span.qualname,
        kind=span.kind,
        start=span.start,
        end=span.end,
        signature=signature,
        text="\n".join(body),
        changed=tuple(changed),
        whole=whole,
    )


def _excerpt(
    lines: list[str], span: Span, sig_end: int, changed: list[int], max_lines: int, around: int
) -> list[str]:
    """The signature, then windows around the changed lines, capped at ``max_lines``."""
    out = numbered(lines, span.start, sig_end)
    budget = max(0, max_lines - len(out))
    windows: list[tuple[int, int]] = []
    for line in changed:
        lo, hi = max(sig_end + 1, line - around), min(span.end, line + around)
        if windows and lo <= windows[-1][1] + 1:
            windows[-1] = (windows[-1][0], max(windows[-1][1], hi))
        else:
            windows.append((lo, hi))
    last = sig_end
    for lo, hi in windows:
        if budget <= 0:
            break
        hi = min(hi, lo + budget - 1)
        if lo > last + 1:
            out.append(f"{'':>{_NUM_WIDTH}}  ⋮")
        out.extend(numbered(lines, lo, hi))
        budget -= hi - lo + 1
        last = hi
    if last < span.end:
        out.append(f"{'':>{_NUM_WIDTH}}  ⋮ (scope ends at line {span.end})")
    return out


def _first_substantive(lines: list[str], sig_end: int, end: int) -> int:
    """The line that says what a scope is about: its docstring's text or first statement
    (the first of 7 with 8 characters that are not only quotes); kept with the signature."""
    for n in range(sig_end + 1, min(end, sig_end + 7) + 1):
        stripped = lines[n - 1].strip()
        if len(stripped) >= 8 and stripped.strip("\"'bBrRuUfF"):
            return n
    return sig_end


def _elide(body: list[str], shown: frozenset[int], sig_end: int) -> list[str]:
    """Replace runs of body lines the diff shows by one marker (the signature always stays)."""
    out: list[str] = []
    run: list[int] = []

    def flush() -> None:
        if run:
            span = f"{run[0]}" if len(run) == 1 else f"{run[0]}-{run[-1]}"
            out.append(f"{'':>{_NUM_WIDTH}}  ⋮ (line {span} in the diff)")
            run.clear()

    for row in body:
        head = row[:_NUM_WIDTH].strip()
        number = int(head) if head.isdigit() else None
        if number is not None and number > sig_end and number in shown:
            run.append(number)
            continue
        flush()
        out.append(row)
    flush()
    return out
