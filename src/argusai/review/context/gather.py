"""From a PR's file diffs and head texts to the scopes and definitions its prompt needs."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from argusai.review.context.languages import language_of, uses_braces
from argusai.review.context.scopes import Scope, enclosing_scopes
from argusai.review.context.symbols import MAX_PER_NAME, Definition, SymbolIndex, Use, uses
from argusai.review.diff import FileDiff

MAX_DEFINITIONS = 60


@dataclass(frozen=True, slots=True)
class Gathered:
    """Candidates for the prompt, most wanted first; the budget decides what goes in."""

    scopes: tuple[Scope, ...]
    definitions: tuple[Definition, ...]


def is_code(path: str) -> bool:
    """True for files whose scopes and symbols mean something (not docs, data or config)."""
    return language_of(path) is not None or uses_braces(path) or path.endswith((".rb", ".sh"))


def gather(
    diffs: Sequence[FileDiff], index: SymbolIndex, *, max_definitions: int = MAX_DEFINITIONS
) -> Gathered:
    """Enclosing scopes of every hunk, then definitions used on added lines that the diff
    does not show, in order of first use; files without head text are skipped."""
    scopes: list[Scope] = []
    chosen: dict[tuple[str, int], Definition] = {}
    shown: dict[str, FileDiff] = {d.path: d for d in diffs}
    for fd in diffs:
        text = index.files.get(fd.path)
        if text is None or not fd.added or not is_code(fd.path):
            continue
        file_scopes = enclosing_scopes(fd.path, text, fd.added, shown=fd.line_to_hunk.keys())
        scopes.extend(file_scopes)
        seen = {(s.path, s.start) for s in scopes}
        for use in uses(fd.path, text, fd.added):
            for d in _first_usable(index, use, fd, shown, seen | chosen.keys()):
                chosen[(d.path, d.start)] = d
    return Gathered(tuple(scopes), tuple(chosen.values())[:max_definitions])


def _first_usable(
    index: SymbolIndex,
    use: Use,
    fd: FileDiff,
    shown: dict[str, FileDiff],
    taken: Collection[tuple[str, int]],
) -> list[Definition]:
    """The first lookup tier with a definition the prompt does not have yet: one shown by
    the diff, or the function the use sits in, sends the search on to the next tier."""
    line = use.line
    for tier in index.tiers(use.name, fd.path, line, use.receiver):
        usable = [
            d
            for d in tier
            if not _visible(d, shown)
            and not (d.path == fd.path and d.kind != "class" and d.start <= line <= d.end)
        ]
        if usable:
            # in the same file, the lexically nearest definition is the one the name binds
            keep = 1 if usable[0].path == fd.path else MAX_PER_NAME
            return [d for d in usable[:keep] if (d.path, d.start) not in taken]
    return []


def _visible(d: Definition, shown: dict[str, FileDiff]) -> bool:
    fd = shown.get(d.path)
    return fd is not None and fd.has_line(d.start)
