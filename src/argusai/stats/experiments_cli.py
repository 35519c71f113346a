"""``argus experiments``: A/B tests of models and prompt templates (create, list, show,
stop, promote)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from argusai.review import experiments
from argusai.runtime import CommandStartup
from argusai.stats.experiments import (
    MIN_DECIDED,
    ArmFigures,
    ExperimentReport,
    arm_text,
    interval,
    pct,
    report,
)
from argusai.store import audit
from argusai.store.db import Database

experiments_app = typer.Typer(
    help="A/B experiments: each pull request's reviews use one arm (model, prompt template, "
    "verification), chosen by a stable hash; compare the arms and promote the winner.",
    no_args_is_help=True,
)

#: names and models come from the operator: printed as written, no markup
out = Console(soft_wrap=True, markup=False, emoji=False, highlight=False)


def _database(ctx: typer.Context) -> Database:
    from argusai.logs import command_settings

    startup = ctx.obj
    if not isinstance(startup, CommandStartup):  # only run inside the argus group
        raise TypeError("argus experiments runs as a sub-command of argus")
    return startup.open_runtime(command_settings(), migrate=True).db


def arm_lines(a: ArmFigures) -> list[str]:
    """The figures of one arm, a line each."""
    fpr = "–" if a.findings_per_review is None else f"{a.findings_per_review:.2f}"
    cost = "–" if a.cost_per_review is None else f"${a.cost_per_review:.4f}"
    latency = "–" if a.avg_ms is None else f"{a.avg_ms / 1000:.1f} s"
    return [
        f"{a.arm.name} ({a.share} %): {arm_text(a.arm)}",
        f"  reviews {a.reviews}, LLM failures {a.failed}, findings/review {fpr}",
        f"  cost/review {cost}, latency/review {latency}",
        f"  acceptance {pct(a.acceptance)} of {a.decided} decided; "
        f"vs first {interval(a.acceptance_vs_first)}",
        f"  dismissal {pct(a.dismissal)} of {a.posted} posted; "
        f"vs first {interval(a.dismissal_vs_first)}",
    ]


def _print(rep: ExperimentReport) -> None:
    row = rep.experiment
    out.print(f"{row.name}: {row.status}, scope {', '.join(row.scope) or 'all'}")
    if row.winner:
        out.print(f"promoted: {row.winner}")
    out.print(f"minimum sample: {MIN_DECIDED} decided findings per arm before a winner")
    for figures in rep.arms:
        for line in arm_lines(figures):
            out.print(line)
    out.print(f"verdict: {rep.verdict}")


@experiments_app.command("create")
def create_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The experiment's name.")],
    arm: Annotated[
        list[str],
        typer.Option(
            "--arm", help="NAME:model=…,fallback=…,template=…,verify=on|off (two or more)."
        ),
    ],
    split: Annotated[
        str | None, typer.Option("--split", help="Percentages, e.g. 50,50 (even if not given).")
    ] = None,
    repo: Annotated[
        list[str] | None, typer.Option("--repo", help="Only this OWNER/NAME (repeatable).")
    ] = None,
    installation: Annotated[
        list[int] | None,
        typer.Option("--installation", help="Only this installation id (repeatable)."),
    ] = None,
) -> None:
    """Start an experiment (the first running one in scope applies to a review)."""
    arms = [experiments.parse_arm(a) for a in arm]
    shares = experiments.parse_split(split, len(arms))
    scope = [r.lower() for r in repo or []] + [str(i) for i in installation or []]
    db = _database(ctx)
    experiments.create(db, name, arms, shares, scope)
    audit.write(db, "experiment.create", name, {"arms": arm, "split": shares, "scope": scope})
    out.print(
        f"experiment {name} running: "
        + ", ".join(f"{a.name} {s} %" for a, s in zip(arms, shares, strict=True))
    )


@experiments_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Every experiment, newest first."""
    rows = experiments.every(_database(ctx))
    if not rows:
        out.print("no experiments")
    for row in rows:
        arms = ", ".join(a.name for a in experiments.arms_of(row))
        won = f", winner {row.winner}" if row.winner else ""
        out.print(f"{row.name}  {row.status}  arms {arms}{won}  since {row.created_at:%Y-%m-%d}")


@experiments_app.command("show")
def show_command(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The experiment.")]
) -> None:
    """Compare the arms: acceptance and dismissal with 95 % intervals, cost, latency."""
    db = _database(ctx)
    _print(report(db, experiments.get(db, name)))


@experiments_app.command("stop")
def stop_command(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The experiment.")]
) -> None:
    """Stop assigning arms: new reviews use the defaults again."""
    db = _database(ctx)
    experiments.stop(db, name)
    audit.write(db, "experiment.stop", name)
    out.print(f"experiment {name} stopped")


@experiments_app.command("promote")
def promote_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The experiment.")],
    arm: Annotated[str, typer.Argument(help="The winning arm.")],
) -> None:
    """Make ARM the default of the experiment's scope (its model, template, switches)."""
    db = _database(ctx)
    row = experiments.stop(db, name, winner=arm)
    audit.write(db, "experiment.promote", name, {"arm": arm, "scope": row.scope})
    out.print(f"experiment {name} stopped; {arm} is now the default")
