"""What a deterministic check sees and returns: changed files with their right-side lines
in, ``Finding``s (``source="check"``) out. Pure: no I/O, no LLM, no tokens."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from argusai.core.diff import ChangedFile
from argusai.review.diff import ADDED, DiffLine, FileDiff, parse_patch
from argusai.review.models import Finding
from argusai.review.select import matches


@dataclass(frozen=True)
class CheckFile:
    """One changed file as a check sees it: its GitHub description and its parsed hunks."""

    file: ChangedFile
    diff: FileDiff

    @property
    def path(self) -> str:
        """The file's path in the head version."""
        return self.file.path

    @property
    def binary(self) -> bool:
        """GitHub shows no patch and counts no lines: a binary file."""
        return self.file.patch is None and not (self.file.additions or self.file.deletions)

    def added(self) -> Iterator[DiffLine]:
        """The added lines, in diff order."""
        for hunk in self.diff.hunks:
            for line in hunk.lines:
                if line.kind == ADDED:
                    yield line


class Check(Protocol):
    """A deterministic check over the added lines of a diff."""

    @property
    def name(self) -> str:
        """Stable short name (``secrets``, ``conflict-markers``, …)."""
        ...

    def run(self, files: Sequence[CheckFile]) -> list[Finding]:
        """Findings for ``files``; each carries ``source="check"``."""
        ...


def check_files(
    files: Iterable[ChangedFile],
    *,
    include: list[str] | tuple[str, ...] = (),
    exclude: list[str] | tuple[str, ...] = (),
    parsed: Mapping[str, FileDiff] | None = None,
) -> list[CheckFile]:
    """The files checks look at: every changed file except removed ones and those the
    repository's ``include``/``exclude`` globs leave out. Lock, generated and vendored files
    are kept (a conflict marker breaks them too, a secret in them leaks all the same).
    ``parsed`` holds diffs already parsed (the plan's), reused instead of parsed again."""
    parsed = parsed or {}
    out: list[CheckFile] = []
    for f in files:
        if f.status == "removed":
            continue
        if include and not matches(f.path, include):
            continue
        if exclude and matches(f.path, exclude):
            continue
        diff = parsed.get(f.path) or parse_patch(f.path, f.patch)
        out.append(CheckFile(f, diff))
    return out


def run_checks(checks: Iterable[Check], files: Sequence[CheckFile]) -> list[Finding]:
    """Every check's findings, in check order."""
    return [finding for check in checks for finding in check.run(files)]
