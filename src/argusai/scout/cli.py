"""``argus scout``: run a crawl by hand, add and list sources."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from argusai.errors import InputError
from argusai.runtime import CommandStartup, Runtime
from argusai.scout.summary_schema import Difficulty

scout_app = typer.Typer(
    help="Scout: the catalogue of beginner-friendly issues.", no_args_is_help=True
)
source_app = typer.Typer(help="Sources the crawl reads.", no_args_is_help=True)
scout_app.add_typer(source_app, name="source")

#: titles and summaries (from GitHub and the LLM) print as written: no markup, no emoji codes
out = Console(soft_wrap=True, markup=False, emoji=False, highlight=False)
err = Console(stderr=True, soft_wrap=True, markup=False, emoji=False, highlight=False)


def _startup(ctx: typer.Context) -> CommandStartup:
    """What the ``argus`` root handed over: how to open a runtime, how to declare tasks."""
    startup = ctx.obj
    if not isinstance(startup, CommandStartup):  # only run inside the argus group
        raise TypeError("argus scout runs as a sub-command of argus")
    return startup


def _runtime(ctx: typer.Context) -> Runtime:
    """Settings, a database that answers (migrated) and the queue, as every argus command."""
    from argusai.logs import command_settings

    return _startup(ctx).open_runtime(command_settings(), migrate=True)


def _check_run(rt: Runtime, run_id: int) -> None:
    from argusai.scout.models import ScoutRun

    with rt.db.session() as s:
        if s.get(ScoutRun, run_id) is None:
            raise InputError(f"--resume {run_id}: no such scout run")


@scout_app.command("run")
def run(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Option(help="Crawl only this source.")] = None,
    budget: Annotated[int | None, typer.Option(min=1, help="Request budget of this run.")] = None,
    resume: Annotated[int | None, typer.Option(help="Continue this run's cursor.")] = None,
) -> None:
    """Crawl now, with a progress bar; a spent budget queues the continuation."""
    from argusai.scout.process_kind import warn_if_anonymous
    from argusai.scout.tasks import crawl_now, register_scout_tasks

    rt = _runtime(ctx)
    if resume is not None:
        _check_run(rt, resume)
    _startup(ctx).register_tasks(rt)  # the work queue + crawl tasks, as a worker declares them
    warn_if_anonymous(rt.settings)
    tasks = register_scout_tasks(rt.huey, lambda: rt)
    columns = (
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False, disable=not err.is_terminal) as bar:
        bars: dict[str, Any] = {}

        def progress(name: str, done: int, total: int) -> None:
            if name not in bars:
                bars[name] = bar.add_task(name, total=total)
            bar.update(bars[name], completed=done, total=total)

        report = crawl_now(
            rt,
            tasks,
            parent_run_id=resume,
            source=source,
            budget=budget,
            progress=progress,
        )
    out.print(
        f"run {report.run_id}: {report.outcome}; {report.requests} requests "
        f"({report.not_modified} answered 304), {report.queued} items queued"
    )
    if report.continued:
        out.print(f"budget spent at {report.cursor}; continuation queued")
    out.print(f"log: {report.log_path}")


@source_app.command("add")
def source_add(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="awesome-for-beginners | markdown-list | installed")],
    name: Annotated[str, typer.Argument(help="A name for the source.")],
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="k=v (repo=owner/name, path=README.md, label=…)"),
    ] = None,
) -> None:
    """Add (or replace) a source."""
    from argusai.scout.configured import add_source

    options: dict[str, Any] = {}
    for item in option or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--option wants k=v, got {item!r}")
        options[key.strip()] = value.strip()
    rt = _runtime(ctx)
    spec = add_source(rt.db, kind, name, options)
    out.print(f"source {spec.name} ({spec.kind}) {spec.options}")


@source_app.command("list")
def source_list(ctx: typer.Context) -> None:
    """List the sources the crawl reads."""
    from argusai.scout.configured import list_sources

    rt = _runtime(ctx)
    table = Table("name", "kind", "options", "from")
    for spec, origin in list_sources(rt.db, rt.settings.scout_sources):
        table.add_row(
            spec.name, spec.kind, ", ".join(f"{k}={v}" for k, v in spec.options.items()), origin
        )
    out.print(table)


class CatalogueKind(StrEnum):
    """What ``argus scout list`` lists."""

    issues = "issues"
    repositories = "repositories"


@scout_app.command("list")
def list_catalogue(
    ctx: typer.Context,
    kind: Annotated[CatalogueKind, typer.Option(help="What to list.")] = CatalogueKind.issues,
    language: Annotated[str | None, typer.Option(help="Filter by language.")] = None,
    difficulty: Annotated[
        Difficulty | None, typer.Option(case_sensitive=False, help="Filter issues by difficulty.")
    ] = None,
    label: Annotated[str | None, typer.Option(help="Filter by label.")] = None,
    q: Annotated[str | None, typer.Option("--search", "-q", help="Text search.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """List the catalogue in the terminal."""
    from argusai.scout.catalogue_cli import scout_list

    rt = _runtime(ctx)
    scout_list(
        rt.db,
        kind="issues" if kind is CatalogueKind.issues else "repositories",
        language=language,
        difficulty=difficulty.value if difficulty else None,
        label=label,
        q=q,
        limit=limit,
        offset=offset,
        console=out,
    )
