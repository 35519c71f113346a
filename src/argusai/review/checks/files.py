"""Oversized and binary files, judged from what the diff tells (no file is fetched).

GitHub's files API gives a binary file no patch and no line counts, so its size is unknown:
an *added* binary file is reported (low severity) so that someone decides whether it belongs
in git history — except images, icons and fonts, and files under docs, tests and asset
folders, which the real diffs show to be nearly always intended (screenshots, fixtures).
A text file is oversized when its added lines weigh more than ``max_bytes``, or when GitHub
left its patch out as too large.
These findings rarely have a diff line to sit on; they then go to the summary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from argusai.review.checks.base import CheckFile
from argusai.review.models import Category, Finding, Severity

DEFAULT_MAX_BYTES = 1_000_000
_EXPECTED_BINARY = re.compile(
    r"\.(png|jpe?g|gif|webp|avif|bmp|ico|icns|tiff?|woff2?|ttf|otf|eot)$"
    r"|(^|/)(docs?|documentation|tests?|testdata|spec|fixtures|examples|assets|static|images?"
    r"|img|media|res|resources|public)/",
    re.IGNORECASE,
)
_ADVICE = (
    "Large or binary files stay in the repository's history for good and slow every clone; "
    "consider Git LFS, a release asset or an artifact store, or generating it in the build."
)


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{n / 1000:.0f} kB"


class LargeFilesCheck:
    """Binary files added, and text files whose added lines exceed ``max_bytes``."""

    name = "large-files"

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, *, binary: bool = True) -> None:
        self.max_bytes = max_bytes
        self.binary = binary

    def run(self, files: Sequence[CheckFile]) -> list[Finding]:
        """At most one finding per file."""
        findings: list[Finding] = []
        for f in files:
            finding = self._check(f)
            if finding is not None:
                findings.append(finding)
        return findings

    def _check(self, f: CheckFile) -> Finding | None:
        if f.binary:
            if not self.binary or f.file.status != "added" or _EXPECTED_BINARY.search(f.path):
                return None
            return _finding(f, 1, Severity.LOW, "Binary file added", "A binary file is added.")
        if f.file.patch is None:  # lines counted, patch left out: too large for GitHub
            return _finding(
                f,
                1,
                Severity.MEDIUM,
                "Very large file change",
                f"This change adds {f.file.additions:,} lines, too many for GitHub to show "
                "its diff.",
            )
        added = list(f.added())
        size = sum(len(ln.text.encode("utf-8")) + 1 for ln in added)
        if size <= self.max_bytes or not added:
            return None
        first = added[0].new_no or 1
        return _finding(
            f,
            first,
            Severity.MEDIUM,
            "Large file added" if f.file.status == "added" else "Large addition to a file",
            f"This change adds {_size(size)} ({len(added):,} lines), over the limit of "
            f"{_size(self.max_bytes)}.",
        )


def _finding(f: CheckFile, line: int, severity: Severity, title: str, what: str) -> Finding:
    return Finding(
        path=f.path,
        line=line,
        severity=severity,
        category=Category.QUALITY,
        title=title,
        message=f"{what} {_ADVICE}",
        source="check",
    )
