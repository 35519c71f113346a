"""The figures a finished review keeps on its row (issue 12's history): what it covered,
what its LLM calls took, where its findings went, how long it waited and ran.

``record_done`` writes them; ``argusai.stats`` reads them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argusai.core.diff import ChangedFile
from argusai.llm.port import Completion, LLMClient
from argusai.review.engine import ReviewOutcome, ReviewPlan, ReviewResult
from argusai.store.models import Review


class LLMTimer:
    """Adds up the wall time spent waiting for LLM answers, over every client it wraps."""

    def __init__(self) -> None:
        self.seconds = 0.0

    @property
    def ms(self) -> int:
        """The time so far, in whole milliseconds."""
        return round(self.seconds * 1000)

    def wrap(self, inner: LLMClient) -> LLMClient:
        """``inner``, timed by this timer."""
        return _TimedLLM(inner, self)


class _TimedLLM:
    def __init__(self, inner: LLMClient, timer: LLMTimer) -> None:
        self.inner, self.timer = inner, timer

    def complete_json(
        self, *, system: str, user: str, schema: dict[str, Any], schema_name: str
    ) -> Completion:
        started = time.perf_counter()
        try:
            return self.inner.complete_json(
                system=system, user=user, schema=schema, schema_name=schema_name
            )
        finally:  # a failed call kept the review waiting too
            self.timer.seconds += time.perf_counter() - started


@dataclass(frozen=True)
class ReviewFigures:
    """What the job knows about a review besides its result."""

    files_reviewed: int = 0
    files_skipped: int = 0
    lines_reviewed: int = 0  # added lines of the files sent to the LLM
    lines_skipped: int = 0  # added lines of the files not sent (GitHub's counts)
    context_tokens: int = 0  # what the code context added to the prompts (0 on a cache hit)
    cache_hit: bool = False
    llm_ms: int | None = None  # None: no LLM call was made


def figures_of(
    plan: ReviewPlan,
    files: list[ChangedFile],
    outcome: ReviewOutcome,
    *,
    cache_hit: bool,
    llm_ms: int | None,
) -> ReviewFigures:
    """The figures of a review planned as ``plan`` over ``files`` (the PR's changed files)."""
    skipped = {s.path for s in plan.skipped}
    return ReviewFigures(
        files_reviewed=len(plan.files),
        files_skipped=len(plan.skipped),
        lines_reviewed=plan.added_lines,
        lines_skipped=sum(f.additions for f in files if f.path in skipped),
        context_tokens=outcome.context_tokens,
        cache_hit=cache_hit,
        llm_ms=None if cache_hit else llm_ms,
    )


def _ms(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds() * 1000))


def apply_figures(
    row: Review, figures: ReviewFigures, result: ReviewResult, item: Review, now: datetime
) -> None:
    """Write ``figures`` and what ``result`` says about the findings onto ``row``.

    ``item`` is the row as claimed: its ``started_at`` is when this attempt was claimed, so
    the queue wait of a retried review includes its backoff (the wait its author saw)."""
    row.files_reviewed = figures.files_reviewed
    row.files_skipped = figures.files_skipped
    row.lines_reviewed = figures.lines_reviewed
    row.lines_skipped = figures.lines_skipped
    row.context_tokens = figures.context_tokens
    row.cache_hit = figures.cache_hit
    row.llm_ms = figures.llm_ms
    row.findings_check = sum(1 for f in result.findings if f.source == "check")
    row.findings_llm = len(result.findings) - row.findings_check
    row.summarised_count = len(result.not_posted)
    row.rejected_count = len(result.rejected)
    row.queue_wait_ms = _ms(item.created_at, item.started_at)
    row.total_ms = _ms(item.created_at, now)
