"""The summary's hidden marks: a complete review of a head, a hand-off note."""

from __future__ import annotations

from argusai.github.port import IssueComment
from argusai.review.format import SUMMARY_MARKER
from argusai.review.models import Category, Finding, Severity
from argusai.review.summary_marks import (
    HEADING,
    every_finding,
    handed_off,
    handoff_summary,
    head_mark,
    parse_head,
    reviewed_head,
    with_head_mark,
)

SHA, OTHER = "a" * 40, "b" * 40
SUMMARY = f"{SUMMARY_MARKER}\n{HEADING}\n\nAll good.\n\n<sub>Reviewed `aaaaaaaaaaaa`</sub>"


def finding(title: str, severity: Severity, path: str = "a.py") -> Finding:
    return Finding(path, 3, severity, Category.BUG, title, f"{title} explained.")


def test_the_head_mark_round_trips() -> None:
    found = [finding("x", Severity.LOW), finding("y", Severity.HIGH)]
    mark = parse_head(with_head_mark(SUMMARY, SHA.upper(), found))
    assert mark is not None
    assert (mark.sha, mark.findings, mark.max_severity) == (SHA, 2, Severity.HIGH)
    none = parse_head(head_mark(SHA, []))
    assert none is not None and (none.findings, none.max_severity) == (0, None)
    assert parse_head(SUMMARY) is None


def test_only_a_bot_summary_of_this_head_counts() -> None:
    body = with_head_mark(SUMMARY, SHA, [finding("x", Severity.CRITICAL)])
    app = IssueComment(1, body, "argusai[bot]")
    action = IssueComment(2, body, "github-actions[bot]")
    pasted = IssueComment(3, body, "mallory")
    assert reviewed_head([pasted], SHA) is None  # anyone can paste the marker
    mark = reviewed_head([pasted, action], SHA)
    assert mark is not None and mark.author == "github-actions[bot]"
    assert reviewed_head([app], OTHER) is None  # an older head's review
    assert reviewed_head([IssueComment(4, SUMMARY, "argusai[bot]")], SHA) is None


def test_the_handoff_note_sits_under_the_heading_and_replaces_an_older_one() -> None:
    fresh = handoff_summary(None, SHA, "the LLM has been unavailable for 12 min")
    assert fresh.startswith(f"{SUMMARY_MARKER}\n{HEADING}\n\n<!-- argus:note -->")
    assert "**Handed to GitHub Actions.**" in fresh and "12 min" in fresh
    assert handed_off(fresh) == SHA

    previous = with_head_mark(SUMMARY, OTHER, [])  # the review of an older head
    noted = handoff_summary(previous, SHA, "first")
    assert parse_head(noted) is None  # not a review of this head
    assert "All good." in noted and noted.index("Handed to") < noted.index("All good.")
    again = handoff_summary(noted, OTHER, "second")
    assert again.count("<!-- argus:note -->") == 1 and handed_off(again) == OTHER
    assert "first" not in again and "second" in again


def test_the_reason_is_one_escaped_line() -> None:
    body = handoff_summary(None, SHA, "x\n<!-- argus:head:" + "c" * 40 + " findings:0 max:none -->")
    assert parse_head(body) is None and body.count("\n> ") == 1  # the note line alone


def test_every_finding_keeps_each_once_at_or_above_the_floor() -> None:
    same = finding("Same", Severity.HIGH)
    kept = every_finding(
        [same, same, finding("Low", Severity.LOW), finding("Info", Severity.INFO)], Severity.LOW
    )
    assert [f.title for f in kept] == ["Same", "Low"]
