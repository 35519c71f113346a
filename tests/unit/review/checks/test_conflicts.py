"""Merge-conflict markers on added lines."""

from __future__ import annotations

from argusai.core.diff import ChangedFile
from argusai.review.checks import ConflictMarkersCheck, check_files
from argusai.review.models import Finding, Severity

CONFLICT = ["<<<<<<< HEAD", "x = 1", "=======", "x = 2", ">>>>>>> feature"]


def added(path: str, *lines: str, start: int = 1) -> ChangedFile:
    body = "\n".join(f"+{line}" for line in lines)
    patch = f"@@ -{start},0 +{start},{len(lines)} @@\n{body}"
    return ChangedFile(path, "modified", len(lines), 0, patch)


def scan(*files: ChangedFile) -> list[Finding]:
    return ConflictMarkersCheck().run(check_files(files))


def test_markers_give_one_finding_on_the_first_marker_line() -> None:
    (finding,) = scan(added("src/app.py", "a = 0", *CONFLICT, start=10))
    assert (finding.path, finding.line) == ("src/app.py", 11)
    assert finding.severity == Severity.HIGH and finding.source == "check"
    assert "11, 13, 15" in finding.message


def test_context_lines_and_lookalikes_are_not_markers() -> None:
    context = ChangedFile("a.py", "modified", 1, 0, "@@ -1,2 +1,3 @@\n <<<<<<< HEAD\n+y\n z")
    assert scan(context) == []
    assert scan(added("a.py", "<<<<<<<<< not seven", " <<<<<<< indented", "x <<= 1")) == []


def test_a_lone_separator_is_a_heading_underline() -> None:
    assert scan(added("README.rst", "Install", "=======")) == []
    assert scan(added("src/mod.py", '"""Title', "=======", '"""')) == []


def test_a_conflict_shown_in_a_markdown_fence_is_not_reported() -> None:
    doc = added("docs/git.md", "A conflict looks like:", "```text", *CONFLICT, "```", "Fix it.")
    assert scan(doc) == []
    (finding,) = scan(added("docs/guide.md", "Intro", *CONFLICT))
    assert finding.line == 2
