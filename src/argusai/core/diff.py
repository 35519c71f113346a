"""The files of a change as GitHub's files API describes them (the GitHub edge returns them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChangedFile:
    """One file of a pull request or diff, as GitHub's files API describes it."""

    path: str
    status: str  # added | modified | removed | renamed | copied | changed | unchanged
    additions: int = 0
    deletions: int = 0
    patch: str | None = None  # unified hunks without the ---/+++ header; None = binary/too big
    previous_path: str | None = None
