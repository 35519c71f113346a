"""The figures a review records: what the code context added, files and lines reviewed
and skipped, the LLM's wall time, queue wait and total time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from argusai.core.diff import ChangedFile
from argusai.core.tokens import count_tokens
from argusai.errors import LLMTransientError
from argusai.review import figures as figures_module
from argusai.review.context.symbols import SymbolIndex
from argusai.review.engine import CodeContext, PRContext, ReviewOutcome, plan_review, run_review
from argusai.review.figures import LLMTimer, ReviewFigures, apply_figures, figures_of
from argusai.review.repo_config import RepoConfig
from argusai.store.models import Review
from tests.fakes.llm_scripted import ScriptedLLM, review_json

CONFIG = RepoConfig()
CALLER = ChangedFile(
    "pkg/mod1.py",
    "modified",
    1,
    0,
    "@@ -3,2 +3,3 @@\n \n def total(x):\n+    v = price(x) + 0\n     return x",
)
HEADS = {
    "pkg/mod0.py": 'def price(x):\n    """Work out the price."""\n    return x\n',
    "pkg/mod1.py": "from pkg.mod0 import price\n\ndef total(x):\n    v = price(x) + 0\n"
    "    return x\n",
}
LOCK = ChangedFile("poetry.lock", "modified", 40, 2, "@@ -1 +1,2 @@\n a\n+b")


def test_context_tokens_count_what_the_code_context_added() -> None:
    plan = plan_review([CALLER], CONFIG, token_budget=8_000)
    ctx = PRContext(repo="o/r", number=1)
    with_llm, without_llm = ScriptedLLM.of(review_json()), ScriptedLLM.of(review_json())
    index = SymbolIndex.build(HEADS)
    with_context = run_review(with_llm, plan, ctx, CONFIG, context=CodeContext(index=index))
    without = run_review(without_llm, plan, ctx, CONFIG)
    assert without.context_tokens == 0
    (quoted,), (bare,) = with_llm.calls, without_llm.calls
    grown = count_tokens(quoted.user) - count_tokens(bare.user)
    # the quoted code itself; the prompt also grew by the block's heading and delimiters
    assert 0 < with_context.context_tokens <= grown


def test_files_and_lines_reviewed_and_skipped() -> None:
    plan = plan_review([CALLER, LOCK], CONFIG)
    got = figures_of(
        plan, [CALLER, LOCK], ReviewOutcome(ctx=PRContext("o/r", 1)), cache_hit=False, llm_ms=120
    )
    assert got == ReviewFigures(
        files_reviewed=1,
        files_skipped=1,
        lines_reviewed=1,
        lines_skipped=40,  # GitHub's count of the lock file's added lines
        context_tokens=0,
        cache_hit=False,
        llm_ms=120,
    )
    cached = figures_of(
        plan, [CALLER, LOCK], ReviewOutcome(ctx=PRContext("o/r", 1)), cache_hit=True, llm_ms=0
    )
    assert (cached.cache_hit, cached.llm_ms) == (True, None)  # no LLM call was made


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    ticks = [0.0]

    def now() -> float:
        return ticks[0]

    monkeypatch.setattr(figures_module.time, "perf_counter", now)
    yield ticks


class _Slow:
    """An LLM whose calls take ``seconds`` on the fake clock; ``fail`` raises instead."""

    def __init__(self, ticks: list[float], seconds: float, fail: bool = False) -> None:
        self.ticks, self.seconds, self.fail = ticks, seconds, fail
        self.inner = ScriptedLLM.of(review_json())

    def complete_json(self, **kw: object) -> object:
        self.ticks[0] += self.seconds
        if self.fail:
            raise LLMTransientError("429")
        return self.inner.complete_json(**kw)  # type: ignore[arg-type]


def test_the_llm_timer_adds_up_every_wrapped_client_failures_included(clock: list[float]) -> None:
    timer = LLMTimer()
    review = timer.wrap(_Slow(clock, 1.25))  # type: ignore[arg-type]
    verify = timer.wrap(_Slow(clock, 0.5, fail=True))  # type: ignore[arg-type]
    review.complete_json(system="s", user="u", schema={}, schema_name="n")
    with pytest.raises(LLMTransientError):
        verify.complete_json(system="s", user="u", schema={}, schema_name="n")
    assert timer.ms == 1750


def test_queue_wait_and_total_time_from_the_claimed_row() -> None:
    created = datetime(2026, 3, 2, 10, tzinfo=UTC)
    item = Review(created_at=created, started_at=created + timedelta(seconds=4))
    row = Review()
    plan = plan_review([CALLER], CONFIG)
    from argusai.core.secrets import EMPTY_REDACTOR
    from argusai.review.engine import finalize

    result = finalize(ReviewOutcome(ctx=PRContext("o/r", 1)), plan, CONFIG, redactor=EMPTY_REDACTOR)
    apply_figures(row, ReviewFigures(), result, item, created + timedelta(seconds=9.5))
    assert (row.queue_wait_ms, row.total_ms) == (4000, 9500)
    assert (row.findings_llm, row.findings_check, row.summarised_count) == (0, 0, 0)
    unclaimed = Review(created_at=created, started_at=None)
    apply_figures(row, ReviewFigures(), result, unclaimed, created)
    assert (row.queue_wait_ms, row.total_ms) == (None, 0)
