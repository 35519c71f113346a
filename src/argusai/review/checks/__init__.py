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
    *, secrets_allowlist: Iterable[str] = (), max_file_bytes: int = DEFAULT_MAX_BYTES
) -> list[Check]:
    """The three built-in checks, configured."""
    return [
        SecretsCheck(secrets_allowlist),
        ConflictMarkersCheck(),
        LargeFilesCheck(max_file_bytes),
    ]
