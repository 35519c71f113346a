"""Suppression rules and finding outcomes, pure (``review.conversation.suppress`` and
``.outcomes``)."""

from __future__ import annotations

import pytest

from argusai.review.conversation.outcomes import (
    Outcome,
    Signals,
    decide,
    lines_changed,
    suggestion_applied,
    suggestion_of,
)
from argusai.review.conversation.suppress import Rule, Rules, path_matches, title_key
from argusai.review.fingerprint import fingerprint
from argusai.review.models import Category, Finding, Severity


def finding(title: str = "SQL built from user input", path: str = "app/db.py") -> Finding:
    return Finding(path, 12, Severity.HIGH, Category.SECURITY, title, "Use parameters.")


def test_a_rule_matches_by_fingerprint() -> None:
    f = finding()
    rule = Rule(1, fingerprint=fingerprint(f))
    assert rule.matches(f, fingerprint(f))
    other = finding("Something else")
    assert not rule.matches(other, fingerprint(other))


def test_a_rule_matches_the_same_title_on_its_path_whatever_the_numbers() -> None:
    rule = Rule(2, title_key=title_key("Loop on line 12 is quadratic"), path_glob="app/db.py")
    moved = finding("Loop on line 40 is quadratic!")
    assert rule.matches(moved, fingerprint(moved))
    elsewhere = finding("Loop on line 40 is quadratic", path="app/other.py")
    assert not rule.matches(elsewhere, fingerprint(elsewhere))


@pytest.mark.parametrize(
    ("path", "glob", "expected"),
    [
        ("app/db.py", "app/db.py", True),
        ("lib/app/db.py", "app/db.py", False),  # a plain path is that file only
        ("app/db.py", "app/**/*.py", True),
        ("app/x/y.py", "app/**/*.py", True),
        ("app/db.js", "app/**/*.py", False),
        ("src/a.ts", "**/*.{js,ts}", True),
    ],
)
def test_path_globs(path: str, glob: str, expected: bool) -> None:
    assert path_matches(path, glob) is expected


def test_rules_give_the_first_match() -> None:
    f = finding()
    rules = Rules.of([Rule(1, title_key="nothing like it"), Rule(7, fingerprint=fingerprint(f))])
    match = rules.first_match(f, fingerprint(f))
    assert match is not None and match.id == 7
    assert not Rules.of([])


@pytest.mark.parametrize(
    ("signals", "outcome"),
    [
        (Signals(), Outcome.OPEN),
        (Signals(ignored=True, thumbs_up=3), Outcome.DISMISSED),
        (Signals(thumbs_down=1), Outcome.DISMISSED),
        (Signals(thumbs_up=2, thumbs_down=1), Outcome.ACCEPTED),
        (Signals(suggestion_applied=True, thumbs_down=2), Outcome.ACCEPTED),
        (Signals(thread_state="resolved", lines_changed=True), Outcome.RESOLVED),
        (Signals(thread_state="resolved", lines_changed=False), Outcome.DISMISSED),
        (Signals(thread_state="resolved", lines_changed=None), Outcome.RESOLVED),
        (Signals(thread_state="unresolved", lines_changed=False), Outcome.OPEN),
    ],
)
def test_outcomes(signals: Signals, outcome: Outcome) -> None:
    assert decide(signals)[0] is outcome


PATCH = "@@ -10,4 +10,4 @@ def f():\n a = 1\n-b = 2\n+b = 3\n c = 4\n d = 5"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [(11, 11, True), (10, 12, True), (12, 13, False), (1, 5, False), (13, 13, False)],
)
def test_lines_changed(start: int, end: int, expected: bool) -> None:
    assert lines_changed(PATCH, start, end) is expected


def test_an_insertion_between_commented_lines_is_a_change() -> None:
    patch = "@@ -5,2 +5,3 @@\n x = 1\n+y = 2\n z = 3"
    assert lines_changed(patch, 5, 6)
    assert not lines_changed(patch, 6, 6)
    assert not lines_changed(None, 1, 1)


def test_an_applied_suggestion() -> None:
    body = "title\n\n````suggestion\n    return a + b\n````\n\n<!-- argus:fp:0123456789abcdef -->"
    code = suggestion_of(body)
    assert code == "    return a + b"
    before = "def f(a, b):\n    return a - b\n"
    after = "def f(a, b):\n  return a + b\n"
    assert suggestion_applied(code, before, after)
    assert not suggestion_applied(code, after, after)  # it was there already
    assert not suggestion_applied(code, before, before)
    assert suggestion_of("no suggestion here") is None
