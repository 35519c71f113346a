"""Fit ranked windows and the log's tail into a token budget, collapsing near-duplicates."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from argusai.cilog.blocks import is_named
from argusai.cilog.patterns import is_pass
from argusai.cilog.scan import Window

# Runs are folded on a key that masks only numbers and hex ids: lines that differ in a path or
# a name (a list of broken links, of lint findings per file) are kept, progress and retry
# lines that differ only in counters are folded.
_NUMBERS = re.compile(r"\b0x[0-9a-fA-F]+\b|\b[0-9a-f]{7,64}\b|\d+")
RUN_KEEP_HEAD = 3  # a run of similar lines keeps its first three …
RUN_KEEP_TAIL = 1  # … and its last one
GAP_COST = 8  # tokens of an "… N lines omitted …" marker
RUN_MIN = 10  # shorter runs are kept whole: stack frames differ only in a name and a number
# A window's body, when it does not all fit: the hit and its nearest lines, then the lines that
# name a failing test or command, then the block's last lines, then the rest nearest first.
NEAR_BEFORE = 2
NEAR_AFTER = 8
BLOCK_TAIL = 6
_PASSING_ROW = "\x00passed"  # passing tests' rows fold like near-duplicates, whatever their names


@dataclass(slots=True)
class Selection:
    """Chosen lines (0-based number → text), lines folded as near-duplicates, tokens used."""

    budget: int
    count: Callable[[str], int]
    lines: dict[int, str] = field(default_factory=dict)
    collapsed: set[int] = field(default_factory=set)
    used: int = 0

    def cost(self, text: str) -> int:
        """Tokens of one excerpt line including its newline."""
        return self.count(text) + 1

    def add(self, numbered: list[tuple[int, str]], reserve: int = 0) -> bool:
        """Add lines (all or as many as fit, in the given order); False once the budget is full."""
        for number, text in numbered:
            if number in self.lines or number in self.collapsed:
                continue
            # A line next to a chosen one extends a run; any other may open a new gap marker.
            joined = number - 1 in self.lines or number + 1 in self.lines
            cost = self.cost(text) + (0 if joined else GAP_COST)
            if self.used + cost > self.budget - reserve:
                return False
            self.lines[number] = text
            self.used += cost
        return True


def collapse_runs(numbered: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], set[int]]:
    """Drop the middle of runs of consecutive near-duplicate lines; return kept and folded."""
    kept: list[tuple[int, str]] = []
    folded: set[int] = set()
    # Words joined by single spaces: columns padded to a width move with the numbers in them.
    keys = [
        _PASSING_ROW if is_pass(text) else " ".join(_NUMBERS.sub("#", text).split())
        for _, text in numbered
    ]
    i = 0
    while i < len(numbered):
        key = keys[i]
        j = i + 1
        while j < len(numbered) and numbered[j][0] == numbered[j - 1][0] + 1 and keys[j] == key:
            j += 1
        run = numbered[i:j]
        if len(run) > max(RUN_MIN, RUN_KEEP_HEAD + RUN_KEEP_TAIL + 1) and key:
            kept.extend(run[:RUN_KEEP_HEAD])
            kept.extend(run[-RUN_KEEP_TAIL:])
            folded.update(n for n, _ in run[RUN_KEEP_HEAD:-RUN_KEEP_TAIL])
        else:
            kept.extend(run)
        i = j
    return kept, folded


def window_lines(window: Window) -> list[tuple[int, str]]:
    """A window's lines numbered in the order they are worth adding (see NEAR_BEFORE)."""
    numbered = [(window.start + i, text) for i, text in enumerate(window.lines)]
    numbered += window.more
    hit = window.hit
    near, named, body = [], [], []
    for item in numbered:
        delta = item[0] - hit
        if -NEAR_BEFORE <= delta <= NEAR_AFTER:
            near.append(item)
        elif delta > 0 and is_named(item[1]):
            named.append(item)
        else:
            body.append(item)
    after = [item for item in body if item[0] > hit]
    tail = after[-BLOCK_TAIL:] if len(after) > BLOCK_TAIL else []
    rest = [item for item in body if item not in tail]
    near.sort(key=lambda item: _distance(item[0], window))
    rest.sort(key=lambda item: _distance(item[0], window))
    named[:0] = window.opener  # where the failed test's output began, before its report
    return near + named + tail + rest


def _distance(number: int, window: Window) -> float:
    # After-context (stack frames, assertion detail) is worth a little more than before-context.
    delta = number - window.hit
    return delta * 0.8 if delta > 0 else -delta
