"""Place each finding on a right-side line that is really in the diff, or say why not.

GitHub answers 422 to a review comment on a line outside the diff, or to a
multi-line comment whose range crosses hunks; such findings go to the summary.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from argusai.review.diff import FileDiff
from argusai.review.models import Finding

NOT_IN_DIFF_FILE = "file not in the reviewed diff"
NOT_IN_DIFF_LINE = "line not in the diff"


@dataclass(frozen=True)
class Unanchored:
    """A finding that cannot be posted inline, with the reason."""

    finding: Finding
    reason: str


def resolve_path(path: str, diffs: dict[str, FileDiff]) -> str | None:
    """The diff's path for ``path``, tolerating ``a/``, ``b/``, ``./`` and ``/`` prefixes."""
    path = path.strip().replace("\\", "/")
    if path in diffs:
        return path
    candidate = path
    for _ in range(3):
        for prefix in ("./", "a/", "b/", "/"):
            if candidate.startswith(prefix):
                candidate = candidate[len(prefix) :]
                if candidate in diffs:
                    return candidate
    return None


def anchor_finding(finding: Finding, diffs: dict[str, FileDiff]) -> Finding | Unanchored:
    """Return the finding fixed to valid lines (path normalised, range kept only inside
    one hunk), or ``Unanchored`` when it cannot be placed."""
    path = resolve_path(finding.path, diffs)
    if path is None:
        return Unanchored(finding, NOT_IN_DIFF_FILE)
    diff = diffs[path]
    line, start = finding.line, finding.start_line
    if not diff.has_line(line):
        if start is not None and diff.has_line(start):
            line, start = start, None  # the range end is outside: keep its first line
        else:
            return Unanchored(replace(finding, path=path), NOT_IN_DIFF_LINE)
    if start is not None and (start >= line or diff.hunk_of(start) != diff.hunk_of(line)):
        start = None
    suggestion = finding.suggestion
    if (line, start) != (finding.line, finding.start_line):
        suggestion = None  # it was written to replace other lines: applying it would break code
    return replace(finding, path=path, line=line, start_line=start, suggestion=suggestion)


def anchor_findings(
    findings: list[Finding], diffs: dict[str, FileDiff]
) -> tuple[list[Finding], list[Unanchored]]:
    """Split findings into anchored ones (safe to post inline) and the rest."""
    anchored: list[Finding] = []
    rest: list[Unanchored] = []
    for finding in findings:
        placed = anchor_finding(finding, diffs)
        if isinstance(placed, Unanchored):
            rest.append(placed)
        else:
            anchored.append(placed)
    return anchored, rest
