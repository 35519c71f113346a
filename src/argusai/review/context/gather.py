"""From a PR's file diffs and head texts to the scopes and definitions its prompt needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from argusai.review.context.languages import language_of, uses_braces
from argusai.review.context.scopes import Scope, enclosing_scopes
from argusai.review.context.symbols import Definition, SymbolIndex, references
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
        file_scopes = enclosing_scopes(fd.path, text, fd.added)
        scopes.extend(file_scopes)
        seen = {(s.path, s.start) for s in scopes}
        for name in references(fd.path, text, fd.added):
            for d in index.lookup(name, fd.path):
                key = (d.path, d.start)
                if key in seen or key in chosen or _visible(d, shown):
                    continue
                if d.path == fd.path and d.kind != "class" and _holds_use(d, fd):
                    continue  # a function calling itself
                chosen[key] = d
    return Gathered(tuple(scopes), tuple(chosen.values())[:max_definitions])


def _visible(d: Definition, shown: dict[str, FileDiff]) -> bool:
    fd = shown.get(d.path)
    return fd is not None and fd.has_line(d.start)


def _holds_use(d: Definition, fd: FileDiff) -> bool:
    return any(d.start <= line <= d.end for line in fd.added)
