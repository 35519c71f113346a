"""``argus fallback status|on|off``: the Actions fallback as an operator sees and drives it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.console import Console

from argusai.runtime import CommandStartup, Runtime

fallback_app = typer.Typer(
    help="The Actions fallback: reviews the server cannot make in time go to each "
    "repository's ArgusAI workflow (argus action init) as a repository_dispatch.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True, markup=False, emoji=False, highlight=False)


def _runtime(ctx: typer.Context) -> Runtime:
    from argusai.logs import command_settings

    startup = ctx.obj
    if not isinstance(startup, CommandStartup):  # only run inside the argus group
        raise TypeError("argus fallback runs as a sub-command of argus")
    return startup.open_runtime(command_settings(), migrate=True)


@fallback_app.command("on")
def on_command(ctx: typer.Context) -> None:
    """Hand every review to GitHub Actions from now on (where the workflow is)."""
    from argusai.review import fallback
    from argusai.store import audit

    rt = _runtime(ctx)
    changed = fallback.set_switch(rt.db, True)
    if changed:
        audit.write(rt.db, "fallback.on", "reviews")
    out.print(
        "fallback on: reviews go to each repository's ArgusAI workflow "
        f"({rt.settings.fallback_workflow_path}); repositories without it are still "
        "reviewed here" + ("" if changed else " (it was on already)")
    )


@fallback_app.command("off")
def off_command(ctx: typer.Context) -> None:
    """Review here again (the automatic thresholds still apply)."""
    from argusai.review import fallback
    from argusai.store import audit

    rt = _runtime(ctx)
    changed = fallback.set_switch(rt.db, False)
    if changed:
        audit.write(rt.db, "fallback.off", "reviews")
    out.print("fallback off: the server reviews" + ("" if changed else " (it was off already)"))


@fallback_app.command("status")
def status_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Whether reviews go to GitHub Actions now, why, and what was handed over lately."""
    rt = _runtime(ctx)
    report = status_report(rt)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    s = rt.settings
    switch = report["switch"]
    out.print(f"now: {report['now']}")
    since = f" (since {switch['changed_at']})" if switch["changed_at"] else ""
    out.print(f"switch: {'on' if switch['on'] else 'off'}{since} — argus fallback on|off")
    if s.fallback_auto:
        out.print(
            f"automatic: on — LLM unavailable for {s.fallback_llm_down_seconds} s, or a review "
            f"waiting {s.fallback_queue_wait_seconds} s (ARGUS_FALLBACK_*)"
        )
    else:
        out.print("automatic: off (ARGUS_FALLBACK_AUTO=false)")
    wait = report["oldest_wait_seconds"]
    out.print(f"oldest queued review: {'none' if wait is None else f'{wait:.0f} s'}")
    tripped = report["breakers_not_closed"]
    out.print(f"LLM breakers not closed in live workers: {', '.join(tripped) or 'none'}")
    out.print(f"workflow looked for: {s.fallback_workflow_path} (on the default branch)")
    out.print(f"handed off in the last 24 h: {report['handed_off_24h']}")
    for item in report["recent"]:
        out.print(f"  {item['at']}  {item['review']}  {item['reason']}")


def status_report(rt: Runtime) -> dict[str, Any]:
    """What ``status`` shows, as JSON-ready data."""
    from sqlalchemy import func, select

    from argusai.review import fallback
    from argusai.review.items import HANDED_OFF
    from argusai.store.heartbeats import seen_since
    from argusai.store.models import Review, utcnow

    s = rt.settings
    switch = fallback.read_switch(rt.db)
    wait = fallback.oldest_wait_seconds(rt.db)
    workers, _ = seen_since(rt.db, s.worker_stale_seconds)
    names = set(fallback.review_breakers(s))
    tripped = sorted(
        {n for w in workers for n, state in w.breakers.items() if n in names and state != "closed"}
    )
    # the CLI sees no breaker's duration (each worker times its own): the queue and switch
    pressure = fallback.Pressure(switch, None, wait)
    now = utcnow()
    with rt.db.session() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Review)
            .where(Review.status == HANDED_OFF, Review.completed_at >= now - timedelta(days=1))
        )
        rows = session.scalars(
            select(Review)
            .where(Review.status == HANDED_OFF)
            .order_by(Review.completed_at.desc(), Review.id.desc())
            .limit(5)
        ).all()
        recent = [
            {
                "review": f"{r.repo_name}#{r.pr_number} @ {r.sha[:10]}",
                "at": r.completed_at.isoformat(timespec="seconds") if r.completed_at else "",
                "reason": (r.error_message or "").removeprefix("handed to GitHub Actions: "),
            }
            for r in rows
        ]
    reason = pressure.reason(s)
    return {
        "now": f"reviews go to GitHub Actions: {reason}" if reason else "the server reviews",
        "switch": {
            "on": switch.on,
            "changed_at": switch.changed_at.isoformat(timespec="seconds")
            if switch.changed_at
            else None,
        },
        "automatic": s.fallback_auto,
        "llm_down_seconds": s.fallback_llm_down_seconds,
        "queue_wait_seconds": s.fallback_queue_wait_seconds,
        "oldest_wait_seconds": wait,
        "breakers_not_closed": tripped,
        "workflow_path": s.fallback_workflow_path,
        "handed_off_24h": int(count or 0),
        "recent": recent,
    }
