"""The enclosing scope (function, method, class) of each hunk, in the head version of a file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from argusai.review.context.outline import Span, outline

MAX_SCOPE_LINES = 80
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


def enclosing_scopes(
    path: str,
    text: str,
    changed_lines: Iterable[int],
    *,
    max_lines: int = MAX_SCOPE_LINES,
    around: int = AROUND_LINES,
) -> list[Scope]:
    """One :class:`Scope` per scope holding changed lines, in file order; module level has none."""
    spans = outline(path, text)
    held: dict[Span, list[int]] = {}
    for line in sorted(set(changed_lines)):
        span = innermost(spans, line)
        if span is not None:
            held.setdefault(span, []).append(line)
    lines = text.split("\n")
    return [
        _scope(path, lines, span, changed, max_lines, around)
        for span, changed in sorted(held.items(), key=lambda item: item[0].start)
    ]


def _scope(
    path: str, lines: list[str], span: Span, changed: list[int], max_lines: int, around: int
) -> Scope:
    sig_end = min(span.header_end, span.start + MAX_SIGNATURE_LINES - 1)
    signature = "\n".join(lines[span.start - 1 : sig_end])
    whole = span.end - span.start + 1 <= max_lines
    if whole:
        body = numbered(lines, span.start, span.end)
    else:
        body = _excerpt(lines, span, sig_end, changed, max_lines, around)
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
