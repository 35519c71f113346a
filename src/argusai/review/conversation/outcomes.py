"""What became of a posted finding, from the signals seen: pure.

=============  ===============================================================
outcome        when
=============  ===============================================================
``dismissed``  ``ignore`` / ``ignore everywhere`` in its thread; more 👎 than 👍 on
               it; or its thread was resolved while its lines stayed as they were
``accepted``   its suggestion appears in a later commit; or more 👍 than 👎
``resolved``   its thread was resolved after a push changed the lines it is on (or
               when that cannot be told any more: the commit is gone)
``open``       none of the above (a thread unresolved again is open again)
=============  ===============================================================

The order of the table is the order of precedence: an explicit ``ignore`` outweighs a
thumbs-up, an applied suggestion outweighs a thumbs-down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from argusai.review.diff import ADDED, REMOVED, parse_hunks, split_lines


class Outcome(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"
    ACCEPTED = "accepted"


@dataclass(frozen=True)
class Signals:
    """What was seen of one finding's comment."""

    ignored: bool = False
    thread_state: str | None = None  # resolved | unresolved
    lines_changed: bool | None = None  # at resolution: a later push touched its lines
    thumbs_up: int = 0
    thumbs_down: int = 0
    suggestion_applied: bool = False


def decide(s: Signals) -> tuple[Outcome, str]:
    """The outcome the signals add up to, and why (one short phrase)."""
    if s.ignored:
        return Outcome.DISMISSED, "ignored by command"
    if s.suggestion_applied:
        return Outcome.ACCEPTED, "suggestion applied in a later commit"
    if s.thumbs_down > s.thumbs_up:
        return Outcome.DISMISSED, f"👎 {s.thumbs_down} vs 👍 {s.thumbs_up}"
    if s.thumbs_up > s.thumbs_down:
        return Outcome.ACCEPTED, f"👍 {s.thumbs_up} vs 👎 {s.thumbs_down}"
    if s.thread_state == "resolved":
        if s.lines_changed is None:  # the commented commit is gone (a force push)
            return Outcome.RESOLVED, "thread resolved; its lines could not be compared"
        if s.lines_changed:
            return Outcome.RESOLVED, "thread resolved after its lines changed"
        return Outcome.DISMISSED, "thread resolved without a change"
    return Outcome.OPEN, ""


def lines_changed(patch: str | None, start: int, end: int) -> bool:
    """True when ``patch`` (from the commented commit to a later one) removes one of the
    old lines ``start..end`` or inserts a line between two of them."""
    if not patch:
        return False
    low, high = min(start, end), max(start, end)
    for hunk in parse_hunks(patch):
        previous_old = hunk.old_start - 1  # the old line an insertion follows
        for line in hunk.lines:
            if line.kind == REMOVED and line.old_no is not None and low <= line.old_no <= high:
                return True
            if line.kind == ADDED and low <= previous_old < high:
                return True
            if line.old_no is not None:
                previous_old = line.old_no
    return False


_SUGGESTION = re.compile(
    r"^(?P<fence>`{3,})suggestion[ \t]*\n(?P<code>.*?)\n(?P=fence)[ \t]*$",
    re.DOTALL | re.MULTILINE,
)


def suggestion_of(body: str) -> str | None:
    """The code of the ``suggestion`` block in one of ArgusAI's comments, if it has one."""
    match = _SUGGESTION.search(body)
    return match.group("code") if match else None


def _normalised(lines: list[str]) -> list[str]:
    return [ln.strip() for ln in lines if ln.strip()]


def _contains(haystack: list[str], needle: list[str]) -> bool:
    if not needle:
        return False
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def suggestion_applied(suggestion: str, before: str | None, after: str | None) -> bool:
    """True when the suggested lines (indentation aside) are in the file ``after`` and were
    not in it ``before`` (the commit the suggestion was made on)."""
    needle = _normalised(split_lines(suggestion))
    if not needle or after is None:
        return False
    if before is not None and _contains(_normalised(split_lines(before)), needle):
        return False
    return _contains(_normalised(split_lines(after)), needle)
