"""Anchoring: inline only on right-side lines in the diff, ranges inside one hunk."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from argusai.core.secrets import EMPTY_REDACTOR
from argusai.review.anchor import NOT_IN_DIFF_FILE, NOT_IN_DIFF_LINE, Unanchored, anchor_finding
from argusai.review.diff import parse_patch
from argusai.review.engine import PRContext, ReviewOutcome, ReviewPlan, finalize
from argusai.review.models import Category, Finding, Severity
from argusai.review.repo_config import RepoConfig

PATCH = "@@ -1,3 +1,4 @@\n a\n+b\n c\n d\n@@ -20,2 +21,3 @@\n x\n+y\n z"
DIFFS = {"src/app.py": parse_patch("src/app.py", PATCH)}
F = Finding("src/app.py", 2, Severity.HIGH, Category.BUG, "t", "m", suggestion="b2")


def test_exact_line_is_kept() -> None:
    assert anchor_finding(F, DIFFS) == F


def test_prefixed_paths_match() -> None:
    for path in ("a/src/app.py", "b/src/app.py", "./src/app.py", "/src/app.py"):
        placed = anchor_finding(replace(F, path=path), DIFFS)
        assert isinstance(placed, Finding) and placed.path == "src/app.py"


def test_unknown_path_or_line_goes_to_summary() -> None:
    assert anchor_finding(replace(F, path="other.py"), DIFFS) == Unanchored(
        replace(F, path="other.py"), NOT_IN_DIFF_FILE
    )
    placed = anchor_finding(replace(F, line=10), DIFFS)
    assert isinstance(placed, Unanchored) and placed.reason == NOT_IN_DIFF_LINE


def test_range_in_one_hunk_kept_across_hunks_collapsed_without_suggestion() -> None:
    assert anchor_finding(replace(F, start_line=1, line=4), DIFFS) == replace(
        F, start_line=1, line=4
    )
    placed = anchor_finding(replace(F, start_line=3, line=22), DIFFS)
    assert isinstance(placed, Finding)
    assert (placed.start_line, placed.line, placed.suggestion) == (None, 22, None)


def test_range_end_outside_diff_falls_back_to_start() -> None:
    placed = anchor_finding(replace(F, start_line=22, line=30), DIFFS)
    assert isinstance(placed, Finding) and (placed.start_line, placed.line) == (None, 22)


hunk = st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 4))


@st.composite
def patches(draw: st.DrawFn) -> str:
    out = []
    old = new = 1
    for context, added, removed in draw(st.lists(hunk, min_size=1, max_size=5)):
        lines = [" c"] * context + ["+a"] * added + ["-r"] * removed
        if not lines:
            continue
        out.append(f"@@ -{old},{context + removed} +{new},{context + added} @@")
        out += lines
        skip = draw(st.integers(1, 30))
        old += context + removed + skip
        new += context + added + skip
    return "\n".join(out)


findings = st.builds(
    Finding,
    path=st.sampled_from(["src/app.py", "a/src/app.py", "./src/app.py", "lib.rs", "nope.py"]),
    line=st.integers(-3, 120),
    start_line=st.none() | st.integers(-3, 120),
    severity=st.sampled_from(list(Severity)),
    category=st.sampled_from(list(Category)),
    title=st.text(max_size=20),
    message=st.text(min_size=1, max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(patches(), patches(), st.lists(findings, max_size=25))
def test_every_inline_comment_is_on_a_diff_line_and_within_one_hunk(
    p1: str, p2: str, found: list[Finding]
) -> None:
    diffs = {"src/app.py": parse_patch("src/app.py", p1), "lib.rs": parse_patch("lib.rs", p2)}
    plan = ReviewPlan(chunks=[], skipped=[], diffs=diffs, files=[])
    outcome = ReviewOutcome(ctx=PRContext(repo="o/r", number=1), findings=found)
    result = finalize(
        outcome,
        plan,
        RepoConfig(severity_threshold=Severity.INFO),
        max_comments=100,
        redactor=EMPTY_REDACTOR,
    )
    for c in result.inline_comments:
        diff = diffs[c.path]
        assert diff.has_line(c.line)
        if c.start_line is not None:
            assert c.start_line < c.line
            assert diff.hunk_of(c.start_line) == diff.hunk_of(c.line)
    assert len(result.inline_comments) + len(result.not_posted) == len(result.findings)
