"""Token-budgeted chunks: cut at hunk boundaries, big hunks split, nothing lost."""

from __future__ import annotations

from argusai.core.diff import ChangedFile
from argusai.core.tokens import count_tokens
from argusai.review.chunk import MAX_LINE_CHARS, build_chunks, render_line
from argusai.review.diff import DiffLine, parse_patch


def big_patch(hunks: int, lines_per_hunk: int, start: int = 1) -> str:
    out = []
    new = start
    for h in range(hunks):
        out.append(f"@@ -{new},1 +{new},{lines_per_hunk + 1} @@")
        out.append(f" context {h}")
        out += [f"+value_{h}_{i} = compute({i}, 'some text')" for i in range(lines_per_hunk)]
        new += lines_per_hunk + 50
    return "\n".join(out)


def plan(files: list[ChangedFile], budget: int):  # type: ignore[no-untyped-def]
    diffs = {f.path: parse_patch(f.path, f.patch) for f in files}
    return diffs, build_chunks(files, diffs, budget)


def test_small_diff_is_one_chunk() -> None:
    f = ChangedFile("a.py", "modified", patch="@@ -1 +1 @@\n-x\n+y")
    _, chunks = plan([f], 2000)
    assert len(chunks) == 1
    text = chunks[0].render()
    assert text.startswith("### File: a.py (modified)")
    assert "     1 +y" in text and "       -x" in text


def test_many_hunks_are_cut_at_hunk_boundaries_within_budget() -> None:
    f = ChangedFile("big.py", "modified", patch=big_patch(40, 30))
    diffs, chunks = plan([f], 1500)
    assert len(chunks) > 1
    for chunk in chunks:
        assert count_tokens(chunk.render()) <= 1500
        assert not chunk.has_split_hunk
    shown = [ln for c in chunks for p in c.pieces for ln in p.added_lines]
    assert sorted(shown) == sorted(diffs["big.py"].added)


def test_one_huge_hunk_is_split_at_lines_and_says_so() -> None:
    f = ChangedFile("huge.py", "added", patch=big_patch(1, 2000))
    diffs, chunks = plan([f], 2000)
    assert len(chunks) > 5
    assert all(c.has_split_hunk for c in chunks)
    assert "(part 1/" in chunks[0].render()
    assert all(count_tokens(c.render()) <= 2000 for c in chunks)
    shown = [ln for c in chunks for p in c.pieces for ln in p.added_lines]
    assert shown == sorted(diffs["huge.py"].added)


def test_files_keep_their_order_and_renames_are_named() -> None:
    a = ChangedFile("a.py", "modified", patch=big_patch(3, 5))
    b = ChangedFile("b.py", "renamed", patch=big_patch(3, 5), previous_path="old_b.py")
    _, chunks = plan([a, b], 100_000)
    assert chunks[0].files == ["a.py", "b.py"]
    assert "### File: b.py (renamed, renamed from old_b.py)" in chunks[0].render()


def test_very_long_line_is_cut_visibly() -> None:
    text, cut = render_line(DiffLine("+", "x" * (MAX_LINE_CHARS + 10), None, 7))
    assert cut and text.endswith("[…10 chars cut]") and text.lstrip().startswith("7 +")
