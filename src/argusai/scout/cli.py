"""``argus scout``: run a crawl by hand, add and list sources."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from argusai.errors import ArgusError

scout_app = typer.Typer(
    help="Scout: the catalogue of beginner-friendly issues.", no_args_is_help=True
)
source_app = typer.Typer(help="Sources the crawl reads.", no_args_is_help=True)
scout_app.add_typer(source_app, name="source")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _runtime() -> Any:
    from argusai.jobs.runtime import build_runtime
    from argusai.logs import configure_logging
    from argusai.settings import load_settings
    from argusai.store.migrate import upgrade

    try:
        settings = load_settings()
        configure_logging(settings)
        rt = build_runtime(settings)
        upgrade(rt.db.engine)
    except ArgusError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    return rt


@scout_app.command("run")
def run(
    source: Annotated[str | None, typer.Option(help="Crawl only this source.")] = None,
    budget: Annotated[int | None, typer.Option(min=1, help="Request budget of this run.")] = None,
    resume: Annotated[int | None, typer.Option(help="Continue this run's cursor.")] = None,
) -> None:
    """Crawl now, with a progress bar; a spent budget queues the continuation."""
    from argusai.jobs.tasks import register_tasks
    from argusai.scout.process import make_enqueue
    from argusai.scout.tasks import crawl_now, register_scout_tasks

    rt = _runtime()
    register_tasks(rt.huey, lambda: rt)  # processing + crawl tasks, as a worker declares them
    tasks = register_scout_tasks(rt.huey, lambda: rt)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        bars: dict[str, Any] = {}

        def progress(name: str, done: int, total: int) -> None:
            if name not in bars:
                bars[name] = bar.add_task(name, total=total)
            bar.update(bars[name], completed=done, total=total)

        try:
            report = crawl_now(
                rt,
                tasks,
                make_enqueue(rt.huey),
                parent_run_id=resume,
                source=source,
                budget=budget,
                progress=progress,
            )
        except ArgusError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from None
    out.print(
        f"run {report.run_id}: {report.outcome}; {report.requests} requests "
        f"({report.not_modified} answered 304), {report.queued} items queued"
    )
    if report.continued:
        out.print(f"budget spent at {report.cursor}; continuation queued")
    out.print(f"log: {report.log_path}")


@source_app.command("add")
def source_add(
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
            err.print(f"[red]error:[/red] --option wants k=v, got {item!r}")
            raise typer.Exit(2)
        options[key.strip()] = value.strip()
    rt = _runtime()
    try:
        spec = add_source(rt.db, kind, name, options)
    except ArgusError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    out.print(f"source {spec.name} ({spec.kind}) {spec.options}")


@source_app.command("list")
def source_list() -> None:
    """List the sources the crawl reads."""
    from argusai.scout.configured import list_sources

    rt = _runtime()
    table = Table("name", "kind", "options", "from")
    for spec, origin in list_sources(rt.db, rt.settings.scout_sources):
        table.add_row(
            spec.name, spec.kind, ", ".join(f"{k}={v}" for k, v in spec.options.items()), origin
        )
    out.print(table)


@scout_app.command("list")
def list_catalogue(
    kind: Annotated[str, typer.Option(help="issues or repositories.")] = "issues",
    language: Annotated[str | None, typer.Option(help="Filter by language.")] = None,
    difficulty: Annotated[
        str | None, typer.Option(help="beginner | intermediate | advanced.")
    ] = None,
    label: Annotated[str | None, typer.Option(help="Filter by label.")] = None,
    q: Annotated[str | None, typer.Option("--search", "-q", help="Text search.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """List the catalogue in the terminal."""
    from argusai.scout.catalogue_cli import scout_list

    if kind not in {"issues", "repositories"}:
        err.print("[red]error:[/red] --kind must be issues or repositories")
        raise typer.Exit(2)
    rt = _runtime()
    chosen: Literal["issues", "repositories"] = "issues" if kind == "issues" else "repositories"
    scout_list(
        rt.db,
        kind=chosen,
        language=language,
        difficulty=difficulty,
        label=label,
        q=q,
        limit=limit,
        offset=offset,
        console=out,
    )
