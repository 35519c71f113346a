"""``argus stats``: what ArgusAI did over a period, as tables (or JSON); ``argus stats
rollup`` rebuilds the daily rollup for a range; ``argus stats audit`` lists operator actions."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from argusai.errors import InputError
from argusai.runtime import CommandStartup, Runtime
from argusai.stats import render
from argusai.stats.period import Period, parse_period, parse_when
from argusai.stats.report import StatsReport, build_report, plain
from argusai.stats.rollup import ROLLUP_WINDOW_DAYS, rollup
from argusai.store.models import utcnow

stats_app = typer.Typer(
    help="History and analytics: reviews, CI explanations, the scout; the audit log.",
    invoke_without_command=True,
)
#: repository names, categories and audit details are printed as written: no markup
out = Console(soft_wrap=True, markup=False, emoji=False, highlight=False)

SinceOption = Annotated[
    str, typer.Option("--since", help="A span back from now (7d, 24h, 2w) or a date YYYY-MM-DD.")
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        "--until", help="Last day included (YYYY-MM-DD); default now.", show_default=False
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object instead of tables.")]


def _runtime(ctx: typer.Context) -> Runtime:
    from argusai.logs import command_settings

    startup = ctx.obj
    if not isinstance(startup, CommandStartup):  # only run inside the argus group
        raise TypeError("argus stats runs as a sub-command of argus")
    return startup.open_runtime(command_settings(), migrate=True)


def _repo(value: str | None) -> str | None:
    if value is None:
        return None
    owner, _, name = value.strip().partition("/")
    if not owner or not name or "/" in name:
        raise InputError(f"--repo must be owner/name, not {value!r}")
    return f"{owner}/{name}"


def _refresh(rt: Runtime, period: Period) -> None:
    """Roll up again the days of ``period`` the hourly job keeps fresh (the last few), so
    the daily table is current even when no worker ran this hour."""
    today = utcnow().date()
    first = max(period.first_day, today - timedelta(days=ROLLUP_WINDOW_DAYS - 1))
    last = min(period.last_day, today)
    if first <= last:
        rollup(rt.db, first, last)


@stats_app.callback()
def stats_command(
    ctx: typer.Context,
    repo: Annotated[
        str | None,
        typer.Option("--repo", help="One repository, as OWNER/NAME.", show_default=False),
    ] = None,
    since: SinceOption = "7d",
    until: UntilOption = None,
    as_json: JsonOption = False,
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh/--no-refresh",
            help=f"First roll up again the period's days among the last {ROLLUP_WINDOW_DAYS} "
            "(as the hourly job does); --no-refresh only reads.",
        ),
    ] = True,
) -> None:
    """Reviews (volume, speed, cost, cache hits, where findings went, acceptance), CI
    explanations and the scout over a period (default: the last 7 days)."""
    if ctx.invoked_subcommand is not None:
        return
    name = _repo(repo)
    period = parse_period(since, until)
    rt = _runtime(ctx)
    if refresh:
        _refresh(rt, period)
    report = build_report(rt.db, period, repo=name)
    if as_json:
        typer.echo(json.dumps(plain(report), indent=2, ensure_ascii=False))
        return
    _print(report)


def _print(report: StatsReport) -> None:
    p = report.period
    scope = report.repo or "all repositories"
    out.print(f"ArgusAI — {scope}, {p.since:%Y-%m-%d %H:%M} to {p.until:%Y-%m-%d %H:%M} UTC")
    out.print()
    out.print(render.review_overview(report.reviews, "Reviews"))
    accepted = {a.key: a for a in report.acceptance_by_repository}
    tables: list[Table] = []
    if report.daily:
        tables.append(render.daily(report.daily))
    if report.repositories:
        tables.append(render.repositories(report.repositories, accepted))
    if report.triggers:
        tables.append(render.triggers(report.triggers))
    if report.categories:
        tables.append(render.categories(report.categories))
    for rows, by in (
        (report.acceptance_by_model, "model"),
        (report.acceptance_by_prompt_version, "prompt version"),
        (report.acceptance_by_experiment_arm, "experiment arm"),
    ):
        if rows:
            tables.append(render.acceptance(rows, by))
    if report.ci_repositories:
        tables.append(render.ci(report.ci_repositories))
    if report.ci_failure_categories:
        tables.append(render.failure_categories(report.ci_failure_categories))
    for table in tables:
        out.print()
        out.print(table)
    if not report.ci_repositories:
        out.print()
        out.print("CI: no failed workflow run finished in this period")
    if report.scout is not None:
        out.print()
        out.print(render.scout(report.scout))


@stats_app.command("rollup")
def rollup_command(
    ctx: typer.Context,
    since: Annotated[str, typer.Option("--since", help="First day (YYYY-MM-DD) or a span (30d).")],
    until: UntilOption = None,
) -> None:
    """Compute the daily rollup (review_metrics) again for a range of days: idempotent.

    Days older than the reviews still kept (ARGUS_RETENTION_REVIEWS_DAYS) are left as
    they are: their reviews may be partly pruned, and the rollup is their history."""
    period = parse_period(since, until)
    rt = _runtime(ctx)
    today = utcnow().date()
    last = min(period.last_day, today)
    keep_days = int(getattr(rt.settings, "retention_reviews_days", 0) or 0)
    retention_on = bool(getattr(rt.settings, "retention_enabled", True))
    oldest = today - timedelta(days=keep_days - 1) if retention_on and keep_days > 0 else None
    report = rollup(rt.db, period.first_day, last, oldest=oldest)
    if report.days:
        first_day, last_day = report.days[0], report.days[-1]
        count = len(report.days)
        typer.echo(
            f"rolled up {count} day{'s' * (count != 1)} ({first_day} to {last_day}): "
            f"{report.rows} repository-day row{'s' * (report.rows != 1)} written"
        )
    if report.kept:
        typer.echo(
            f"left {len(report.kept)} day(s) before {oldest} as they are: their reviews are "
            "older than ARGUS_RETENTION_REVIEWS_DAYS and may be pruned"
        )
    if not report.days and not report.kept:
        typer.echo("nothing to roll up")


@stats_app.command("audit")
def audit_command(
    ctx: typer.Context,
    since: SinceOption = "30d",
    action: Annotated[
        str | None,
        typer.Option("--action", help="An action or its prefix: jobs, config, config.set …"),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many rows.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """The operator audit log (retries, config changes, suppressions, tenants), newest first."""
    from argusai.store.audit import recent

    entries = recent(_runtime(ctx).db, since=parse_when(since), action=action, limit=limit)
    if as_json:
        rows = [
            {
                "id": e.id,
                "created_at": e.created_at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "details": e.details,
            }
            for e in entries
        ]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not entries:
        out.print("no operator actions recorded in this period")
        return
    out.print(render.audit(entries))
