"""Deterministic checks beside the LLM (no tokens): secrets, conflict markers, large files.

Each check is a plain object with a ``name`` and ``run(files) -> findings``; the engine
runs them at plan time and their findings (``source="check"``) go through the same
anchoring, fingerprinting, noise cap and summary as the LLM's.
"""

from __future__ import annotations

from collections.abc import Iterable

from argusai.review.checks.base import Check, CheckFile, check_files, run_checks
from argusai.review.checks.conflicts import ConflictMarkersCheck
from argusai.review.checks.files import DEFAULT_MAX_BYTES, LargeFilesCheck
from argusai.review.checks.secrets import SecretsCheck, allowlist_from_baseline

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Check",
    "CheckFile",
    "ConflictMarkersCheck",
    "LargeFilesCheck",
    "SecretsCheck",
    "allowlist_from_baseline",
    "check_files",
    "default_checks",
    "run_checks",
]


def default_checks(
    *,
    secrets_allowlist: Iterable[str] = (),
    max_file_bytes: int = DEFAULT_MAX_BYTES,
    secrets: bool = True,
    conflict_markers: bool = True,
    large_files: bool = True,
) -> list[Check]:
    """The built-in checks, configured (each can be turned off)."""
    out: list[Check] = []
    if secrets:
        out.append(SecretsCheck(secrets_allowlist))
    if conflict_markers:
        out.append(ConflictMarkersCheck())
    if large_files:
        out.append(LargeFilesCheck(max_file_bytes))
    return out
