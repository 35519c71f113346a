"""The fake GitHub's own hunk reader: the oracle for review comment placement."""

from __future__ import annotations

from tests.fakes.fake_github_diff import commentable_lines, count_changes, split_git_diff

PATCH = (
    "@@ -1,3 +1,4 @@\n a\n-b\n+B\n+C\n c\n"
    "@@ -10,2 +11,3 @@ def f():\n j\n+k\n l\n\\ No newline at end of file"
)


def test_right_and_left_lines_with_hunks() -> None:
    lines = commentable_lines(PATCH)
    assert lines.right == {1: 0, 2: 0, 3: 0, 4: 0, 11: 1, 12: 1, 13: 1}
    assert lines.left == {1: 0, 2: 0, 3: 0, 10: 1, 11: 1}


def test_blank_context_line_counts() -> None:
    assert commentable_lines("@@ -1,3 +1,3 @@\n a\n\n c").right == {1: 0, 2: 0, 3: 0}


def test_count_changes() -> None:
    assert count_changes(PATCH) == (3, 1)
    assert count_changes(None) == (0, 0)


def test_split_git_diff() -> None:
    diff = (
        "diff --git a/old.py b/new.py\nsimilarity index 90%\nrename from old.py\n"
        "rename to new.py\n--- a/old.py\n+++ b/new.py\n@@ -1 +1 @@\n-x\n+y\n"
        "diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\n--- a/gone.txt\n"
        "+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n"
    )
    renamed, removed = split_git_diff(diff)
    assert renamed == {
        "filename": "new.py",
        "status": "renamed",
        "previous_filename": "old.py",
        "patch": "@@ -1 +1 @@\n-x\n+y",
    }
    assert (removed["filename"], removed["status"], removed["patch"]) == (
        "gone.txt",
        "removed",
        "@@ -1 +0,0 @@\n-bye",
    )
