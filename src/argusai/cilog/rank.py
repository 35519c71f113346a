"""Score candidate windows: line class, failing step, position, repetition."""

from __future__ import annotations

import math

from argusai.cilog.scan import FailedStep, ScanResult, Window


def failing_step(scan: ScanResult) -> FailedStep | None:
    """The step whose failure ended the job: the last one that exited non-zero."""
    return scan.failed_steps[-1] if scan.failed_steps else None


POSITION_WEIGHT = 1.0  # later is likelier; the tail pass already gives the end its share
FIRST_BONUS = 3.0  # the first strong error of the failing step: later ones are often its echo
FIRST_MIN_WEIGHT = 8.0


def first_strong(scan: ScanResult, failed: FailedStep | None) -> int | None:
    """Line of the first strong error window inside the failing step (or the log)."""
    lo, hi = (failed.line, failed.exit_line) if failed is not None else (0, scan.lines_in)
    hits = [
        w.hit
        for w in scan.windows
        if w.cls.weight >= FIRST_MIN_WEIGHT and lo <= w.hit < hi and w.cls.kind != "step-exit"
    ]
    return min(hits, default=None)


def score(
    window: Window, scan: ScanResult, failed: FailedStep | None, first: int | None = None
) -> float:
    """Higher is more likely to explain the failure."""
    value = window.cls.weight
    if window.hit == first:
        value += FIRST_BONUS
    value += POSITION_WEIGHT * window.hit / max(1, scan.lines_in)
    value -= min(2.0, math.log10(window.repeats)) if window.repeats > 1 else 0.0
    if failed is not None:
        inside = failed.line <= window.hit <= failed.exit_line
        if inside:
            value += 4.0
        elif any(s.line <= window.hit <= s.exit_line for s in scan.failed_steps[:-1]):
            value += 1.5  # an earlier failed step: maybe the cause, maybe a continue-on-error decoy
        elif window.hit > failed.exit_line and window.cls.kind not in ("timeout", "oom", "signal"):
            value -= 3.0 if window.step is not None and window.step.startswith("Run ") else 0.0
    return value


def ranked(scan: ScanResult) -> list[tuple[float, Window]]:
    """Windows best first (ties: later in the log first)."""
    failed = failing_step(scan)
    first = first_strong(scan, failed)
    scored = [(score(w, scan, failed, first), w) for w in scan.windows]
    scored.sort(key=lambda item: (-item[0], -item[1].hit))
    return scored
