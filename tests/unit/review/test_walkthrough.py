"""The walkthrough gathered from chunk answers, and its round trip through the review cache."""

from __future__ import annotations

from argusai.review.engine import PRContext, ReviewOutcome
from argusai.review.outcome_json import outcome_from_json, outcome_to_json
from argusai.review.walkthrough import MAX_CHANGE_CHARS, Walkthrough

CTX = PRContext(repo="acme/shop", number=1)


def test_first_line_wins_only_shown_files_and_lines_are_cut() -> None:
    w = Walkthrough()
    w.add([("a.py", "First.  \n more"), ("ghost.py", "Invented.")], ["a.py"], "low", "Tiny.")
    w.add([("a.py", "Second."), ("b.py", "z" * 1000)], ["a.py", "b.py"], "medium", "Why.")
    w.add([], ["c.py"], "low", "Lower: ignored.")
    assert w.lines["a.py"] == "First. more" and "ghost.py" not in w.lines
    assert len(w.lines["b.py"]) == MAX_CHANGE_CHARS and w.lines["b.py"].endswith("…")
    assert (w.risk, w.risk_reason) == ("medium", "Why.")
    assert w.ordered(["c.py", "b.py", "a.py"])[1:] == [("a.py", "First. more")]


def test_the_cached_outcome_keeps_the_walkthrough_and_old_caches_still_load() -> None:
    outcome = ReviewOutcome(ctx=CTX)
    outcome.walkthrough.add([("a.py", "Adds a cart.")], ["a.py"], "high", "Money.")
    back = outcome_from_json(outcome_to_json(outcome), CTX)
    assert back.walkthrough == outcome.walkthrough
    old = outcome_to_json(ReviewOutcome(ctx=CTX))
    del old["walkthrough"]
    assert outcome_from_json(old, CTX).walkthrough == Walkthrough()
    odd = {**old, "walkthrough": {"lines": [["a.py"], 3, ["b.py", "ok"]], "risk": "extreme"}}
    assert outcome_from_json(odd, CTX).walkthrough == Walkthrough(lines={"b.py": "ok"})
