"""The answers of ``argusai.stats`` as rich tables (pure: data in, tables out)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich import box
from rich.table import Table
from rich.text import Text

from argusai.stats.acceptance import Acceptance
from argusai.stats.ci import CIStats, FailureCategory
from argusai.stats.reviews import CategoryCount, DailyMetrics, ReviewSummary, TriggerCount
from argusai.stats.scout import ScoutStats
from argusai.store.audit import AuditEntry

NONE = "-"


def duration(ms: int | float | None) -> str:
    """``850 ms``, ``12.4 s``, ``3 min 05 s``, ``2 h 10 min``."""
    if ms is None:
        return NONE
    if ms < 1000:
        return f"{round(ms)} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def percent(value: float | None) -> str:
    """``83 %`` (one decimal under 10 %), ``-`` for no value."""
    if value is None:
        return NONE
    shown = value * 100
    return f"{shown:.1f} %" if 0 < shown < 10 else f"{shown:.0f} %"


def usd(value: float) -> str:
    """Dollars with the precision small LLM costs need."""
    return f"${value:,.4f}" if value < 100 else f"${value:,.2f}"


def number(value: int) -> str:
    """``12,345``."""
    return f"{value:,}"


def compact(value: int) -> str:
    """``950``, ``12.3k``, ``4.1M``: token counts in a narrow column."""
    if value < 1000:
        return str(value)
    if value < 1_000_000:
        return f"{value / 1000:.1f}k"
    return f"{value / 1_000_000:.1f}M"


def _table(*columns: str, title: str | None = None, show_header: bool = True) -> Table:
    """A table in the house style: a light box that leaves the width to the figures."""
    return Table(
        *columns,
        title=title,
        title_justify="left",
        show_header=show_header,
        box=box.SIMPLE_HEAD if show_header else box.SIMPLE,
        padding=(0, 2, 0, 0),  # two spaces between columns, none at the edges
        pad_edge=False,
        show_edge=False,
    )


def _right(table: Table, *names: str) -> None:
    for name in names:
        table.add_column(name, justify="right")


def review_overview(summary: ReviewSummary, title: str) -> Table:
    """The period's reviews as figure / value rows."""
    s = summary
    table = _table("figure", "value", title=title, show_header=False)
    rows = [
        ("reviews done", number(s.reviews)),
        ("failed (retries ran out)", f"{number(s.failed)} ({percent(s.error_rate)})"),
        ("handed to GitHub Actions", number(s.handed_off)),
        ("answered from the cache", f"{number(s.cache_hits)} ({percent(s.cache_hit_rate)})"),
        ("time to review p50 / p95", f"{duration(s.p50_ms)} / {duration(s.p95_ms)}"),
        (
            "queue wait p50 / p95",
            f"{duration(s.queue_wait_p50_ms)} / {duration(s.queue_wait_p95_ms)}",
        ),
        ("LLM time per review (avg)", duration(s.avg_llm_ms)),
        ("files reviewed / skipped", f"{number(s.files_reviewed)} / {number(s.files_skipped)}"),
        (
            "added lines reviewed / skipped",
            f"{number(s.lines_reviewed)} / {number(s.lines_skipped)}",
        ),
        ("findings: LLM / checks", f"{number(s.findings_llm)} / {number(s.findings_check)}"),
        (
            "posted inline / in summary / not confirmed",
            f"{number(s.comments)} / {number(s.summarised)} / {number(s.rejected)}",
        ),
        (
            "tokens: prompt / completion / of it context",
            f"{number(s.prompt_tokens)} / {number(s.completion_tokens)} / "
            f"{number(s.context_tokens)}",
        ),
        ("LLM cost", usd(s.cost_usd)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def daily(rows: Sequence[DailyMetrics]) -> Table:
    """Seed 002's daily review metrics."""
    table = _table(title="Reviews per day")
    table.add_column("day", no_wrap=True)
    # c/h/m/l: findings critical/high/medium/low; acc/dis: their outcomes accepted/dismissed
    _right(table, "reviews", "failed", "to Actions", "inline", "c/h/m/l", "tokens", "cost")
    _right(table, "avg time")
    _right(table, "cached", "acc/dis")
    for d in rows:
        table.add_row(
            d.date.isoformat(),
            number(d.reviews),
            number(d.failed),
            number(d.handed_off),
            number(d.comments),
            f"{d.critical}/{d.high}/{d.medium}/{d.low}",
            compact(d.prompt_tokens + d.completion_tokens),
            usd(d.cost_usd),
            duration(d.avg_review_time_ms),
            percent(d.cache_hit_rate),
            f"{d.accepted}/{d.dismissed}",
        )
    return table


def repositories(rows: Sequence[ReviewSummary], accepted: dict[str | None, Acceptance]) -> Table:
    """The most active repositories, with their speed, cost and acceptance."""
    table = _table("repository", title="Repositories (most reviews first)")
    _right(table, "reviews", "avg comments", "cache hits", "p50", "p95", "cost", "accepted")
    for r in rows:
        acceptance = accepted.get(r.repo_name)
        table.add_row(
            Text(r.repo_name or NONE),
            number(r.reviews),
            f"{r.comments / r.reviews:.1f}" if r.reviews else NONE,
            percent(r.cache_hit_rate),
            duration(r.p50_ms),
            duration(r.p95_ms),
            usd(r.cost_usd),
            percent(acceptance.rate) if acceptance else NONE,
        )
    return table


def triggers(rows: Sequence[TriggerCount]) -> Table:
    """Why reviews ran."""
    table = _table("trigger", title="Why reviews ran")
    _right(table, "reviews", "cache hits", "cost")
    for t in rows:
        table.add_row(t.trigger, number(t.reviews), number(t.cache_hits), usd(t.cost_usd))
    return table


def categories(rows: Sequence[CategoryCount]) -> Table:
    """The most common finding categories per repository."""
    table = _table("repository", "category", title="Finding categories")
    _right(table, "findings", "inline")
    for c in rows:
        table.add_row(Text(c.repo_name), Text(c.category), number(c.findings), number(c.inline))
    return table


def acceptance(rows: Sequence[Acceptance], by: str) -> Table:
    """Acceptance rate per ``by`` (model, prompt version …)."""
    table = _table(by, title=f"Acceptance by {by}")
    _right(table, "posted", "accepted", "dismissed", "resolved", "open", "rate")
    for a in rows:
        table.add_row(
            Text(a.key or "(none)"),
            number(a.posted),
            number(a.accepted),
            number(a.dismissed),
            number(a.resolved),
            number(a.open),
            percent(a.rate),
        )
    return table


def ci(rows: Sequence[CIStats]) -> Table:
    """Failed workflow runs explained, per repository."""
    table = _table("repository", title="CI runs explained")
    _right(table, "explained", "failed", "re-runs passed", "jobs", "p50", "p95", "cost")
    for c in rows:
        table.add_row(
            Text(c.repo_name or "all"),
            number(c.explained),
            number(c.failed),
            number(c.passed_reruns),
            f"{c.jobs_explained}/{c.jobs_explained + c.jobs_not_explained}",
            duration(c.p50_ms),
            duration(c.p95_ms),
            usd(c.cost_usd),
        )
    return table


def failure_categories(rows: Sequence[FailureCategory]) -> Table:
    """Failed jobs per failure category."""
    table = _table("category", title="CI failure categories")
    _right(table, "jobs", "repositories")
    for f in rows:
        table.add_row(f.category, number(f.jobs), number(f.repositories))
    return table


def scout(stats: ScoutStats) -> Table:
    """The scout's crawls and processing."""
    table = _table("figure", "value", title="Scout", show_header=False)
    outcomes = ", ".join(f"{k} {v}" for k, v in stats.outcomes.items()) or NONE
    rows = [
        ("crawl runs", f"{number(stats.runs)} ({outcomes})"),
        ("GitHub requests", number(stats.requests)),
        (
            "answered 304 (not modified)",
            f"{number(stats.not_modified)} ({percent(stats.not_modified_share)})",
        ),
        ("items queued", number(stats.items_queued)),
        (
            "processed: repositories / issues / failed",
            f"{number(stats.repositories_processed)} / {number(stats.issues_processed)} / "
            f"{number(stats.processing_failed)}",
        ),
        ("LLM cost", usd(stats.llm_cost_usd)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def audit(entries: Sequence[AuditEntry]) -> Table:
    """The operator audit log, newest first."""
    table = _table("when (UTC)", "actor", "action", "target", "details")
    for e in entries:
        details = json.dumps(e.details, ensure_ascii=False, sort_keys=True) if e.details else ""
        table.add_row(
            f"{e.created_at:%Y-%m-%d %H:%M:%S}",
            Text(e.actor),
            e.action,
            Text(e.target),
            Text(details[:200]),
        )
    return table
