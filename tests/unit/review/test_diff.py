"""Hunk parsing of GitHub patches and of full ``git diff`` output."""

from __future__ import annotations

from argusai.review.diff import parse_hunks, parse_patch, parse_unified_diff, split_lines

PATCH = """@@ -1,4 +1,5 @@ def main():
 first
-old second
+new second
+added third
 fourth
\\ No newline at end of file
@@ -20,3 +21,2 @@
 twenty
-gone
 twenty-two"""


def test_right_side_lines_and_hunks() -> None:
    diff = parse_patch("app.py", PATCH)
    assert [h.index for h in diff.hunks] == [0, 1]
    assert diff.added == {2, 3}
    assert set(diff.line_to_hunk) == {1, 2, 3, 4, 21, 22}
    assert diff.hunk_of(3) == 0 and diff.hunk_of(22) == 1
    assert not diff.has_line(5) and not diff.has_line(20)
    assert diff.hunks[0].section == "def main():"
    assert diff.hunks[0].right_range == range(1, 5)


def test_missing_counts_default_to_one_and_empty_context_lines_count() -> None:
    hunks = parse_hunks("@@ -3 +3 @@\n-a\n+b\n@@ -10,3 +10,3 @@\n x\n\n y")
    assert hunks[0].added_lines == [3]
    assert [ln.new_no for ln in hunks[1].lines] == [10, 11, 12]


def test_none_patch_is_empty() -> None:
    assert parse_patch("img.png", None).hunks == []


def test_split_lines_keeps_form_feed_and_strips_cr() -> None:
    assert split_lines("a\x0cb\r\nc\n") == ["a\x0cb", "c"]


GIT_DIFF = b"""diff --git a/src/app.py b/src/app.py
index 1111111..2222222 100644
--- a/src/app.py
+++ b/src/app.py
@@ -1,3 +1,3 @@
 keep
--- not a header, a removed line
+++ not a header, an added line
 end
diff --git a/old name.txt b/new name.txt
similarity index 90%
rename from old name.txt
rename to new name.txt
index 3333333..4444444 100644
--- a/old name.txt
+++ b/new name.txt
@@ -1 +1 @@
-x
+y
diff --git a/logo.png b/logo.png
new file mode 100644
index 0000000..5555555
Binary files /dev/null and b/logo.png differ
diff --git a/gone.js b/gone.js
deleted file mode 100644
index 6666666..0000000
--- a/gone.js
+++ /dev/null
@@ -1,2 +0,0 @@
-a
-b
diff --git a/run.sh b/run.sh
old mode 100644
new mode 100755
diff --git "a/caf\\303\\251.txt" "b/caf\\303\\251.txt"
new file mode 100644
index 0000000..7777777
--- /dev/null
+++ "b/caf\\303\\251.txt"
@@ -0,0 +1,2 @@
+line one\r
+bad byte \xff here\r
\\ No newline at end of file
diff --git a/mod b/mod
index 8888888..9999999 160000
--- a/mod
+++ b/mod
@@ -1 +1 @@
-Subproject commit 0123456789abcdef0123456789abcdef01234567
+Subproject commit 89abcdef0123456789abcdef0123456789abcdef
"""


def test_parse_unified_diff_statuses_and_counts() -> None:
    files = {f.path: f for f in parse_unified_diff(GIT_DIFF)}
    assert list(files) == [
        "src/app.py",
        "new name.txt",
        "logo.png",
        "gone.js",
        "run.sh",
        "café.txt",
        "mod",
    ]
    app = files["src/app.py"]
    assert (app.status, app.additions, app.deletions) == ("modified", 1, 1)
    renamed = files["new name.txt"]
    assert (renamed.status, renamed.previous_path) == ("renamed", "old name.txt")
    assert files["logo.png"].status == "added" and files["logo.png"].patch is None
    assert files["gone.js"].status == "removed" and files["gone.js"].deletions == 2
    assert files["run.sh"].status == "changed" and files["run.sh"].patch == ""
    cafe = files["café.txt"]
    assert (cafe.status, cafe.additions) == ("added", 2)
    assert files["mod"].additions == 1


def test_crlf_and_invalid_utf8_survive_into_hunks() -> None:
    cafe = next(f for f in parse_unified_diff(GIT_DIFF) if f.path == "café.txt")
    diff = parse_patch(cafe.path, cafe.patch)
    texts = [ln.text for ln in diff.hunks[0].lines]
    assert texts == ["line one", "bad byte \ufffd here"]
    assert diff.added == {1, 2}


def test_str_with_surrogates_is_accepted() -> None:
    text = GIT_DIFF.decode("utf-8", errors="surrogateescape")
    assert len(parse_unified_diff(text)) == 7


def test_plain_diff_u_output() -> None:
    text = "--- a.txt\t2024-01-01\n+++ b.txt\t2024-01-02\n@@ -1 +1,2 @@\n a\n+b\n"
    (f,) = parse_unified_diff(text)
    assert (f.path, f.additions) == ("b.txt", 1)


def test_garbage_does_not_crash() -> None:
    assert parse_unified_diff("hello\nworld\n@@ nonsense @@\n") == []
    assert parse_unified_diff("") == []
