"""The ``argus`` command: serve, worker, review, db, jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from argusai.ci.cli import ci_app
from argusai.ci.tenant_cli import apikey_app, explain_command, tenant_app, usage_command
from argusai.errors import ArgusError, ConfigError
from argusai.scout.cli import scout_app
from argusai.settings import Settings, load_settings

app = typer.Typer(
    help="ArgusAI: LLM reviews for GitHub pull requests.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
jobs_app = typer.Typer(help="Work items and dead letters.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(jobs_app, name="jobs")
app.add_typer(scout_app, name="scout")
app.add_typer(ci_app, name="ci")
app.add_typer(tenant_app, name="tenant")
app.add_typer(apikey_app, name="apikey")
app.command("usage")(usage_command)
ci_app.command("explain")(explain_command)

err = Console(stderr=True, soft_wrap=True)


def _settings() -> Settings:
    try:
        settings = load_settings()
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    from argusai.logs import configure_logging

    configure_logging(settings)
    return settings


def _runtime(settings: Settings):  # type: ignore[no-untyped-def]
    from argusai.jobs.runtime import build_runtime

    try:
        return build_runtime(settings)
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Also run the worker as a child process.")
    ] = True,
) -> None:
    """Serve the webhook endpoint and API (and, by default, run the worker)."""
    from argusai.serve import announce_missing, prepare, run_server

    settings = _settings()
    runtime = _runtime(settings)
    prepare(runtime)
    announce_missing(settings)
    run_server(runtime, host=host, port=port, with_worker=worker)


@app.command()
def worker() -> None:
    """Run the job worker (Huey consumer) in the foreground."""
    from argusai.serve import prepare, run_worker

    settings = _settings()
    runtime = _runtime(settings)
    prepare(runtime)
    run_worker(runtime)


@app.command()
def review(
    diff: Annotated[
        Path | None, typer.Option("--diff", help="A unified diff file ('-' = stdin).")
    ] = None,
    base: Annotated[
        str | None, typer.Option("--base", help="Review REF...HEAD of the git checkout.")
    ] = None,
    repo_dir: Annotated[Path, typer.Option("--repo", help="The git checkout.")] = Path(),
    config_file: Annotated[
        Path | None, typer.Option("--config", help="Config file (default .argus.yml).")
    ] = None,
    output: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    fail_on: Annotated[
        str | None, typer.Option("--fail-on", help="Exit 1 when a finding is at least this severe.")
    ] = None,
    title: Annotated[str, typer.Option(help="Title given to the LLM as the change's title.")] = "",
) -> None:
    """Review a local diff with the same engine (prints findings; for CI and GitHub Actions)."""
    from argusai.review.engine import PRContext, finalize, plan_review, run_review
    from argusai.review.local import (
        exit_code,
        git_diff,
        read_diff_file,
        render_findings_text,
        result_to_json,
    )
    from argusai.review.models import Severity
    from argusai.review.repo_config import parse_repo_config

    if (diff is None) == (base is None):
        err.print("[red]error:[/red] give exactly one of --diff FILE or --base REF")
        raise typer.Exit(2)
    if output not in {"text", "json"}:
        err.print("[red]error:[/red] --format must be text or json")
        raise typer.Exit(2)
    try:
        threshold = Severity(fail_on.lower()) if fail_on else None
    except ValueError:
        err.print(
            f"[red]error:[/red] --fail-on must be one of {', '.join(s.value for s in Severity)}"
        )
        raise typer.Exit(2) from None
    settings = _settings()
    from argusai.llm.factory import build_llm
    from argusai.review.gitdiff import parse_unified_diff

    try:
        text = read_diff_file(diff) if diff is not None else git_diff(base or "", repo_dir)
        llm = build_llm(settings)
    except ArgusError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    cfg_path = config_file or (repo_dir / ".argus.yml")
    cfg_text = cfg_path.read_text(encoding="utf-8") if cfg_path.is_file() else None
    config, config_error = parse_repo_config(cfg_text)
    if config_error:
        err.print(f"[yellow]warning:[/yellow] {cfg_path}: {config_error} (defaults used)")
    files = parse_unified_diff(text)
    plan = plan_review(
        files,
        config,
        max_files=settings.max_files_per_review,
        token_budget=settings.llm_context_tokens,
    )
    ctx = PRContext(repo=str(repo_dir.resolve().name), number=0, title=title)
    try:
        outcome = run_review(llm, plan, ctx, config)
    except ArgusError as exc:
        err.print(f"[red]error:[/red] the LLM could not be reached: {exc}")
        raise typer.Exit(2) from None
    result = finalize(
        outcome,
        plan,
        config,
        max_comments=settings.max_comments_per_review,
        config_error=config_error,
    )
    if output == "json":
        import json

        typer.echo(json.dumps(result_to_json(result), indent=2))
    else:
        Console().print(render_findings_text(result), markup=False, highlight=False)
    raise typer.Exit(exit_code(result.findings, threshold))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
    from argusai.store.db import Database
    from argusai.store.migrate import upgrade

    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url())
    upgrade(database.engine)
    typer.echo("database is up to date")


@jobs_app.command("dead")
def jobs_dead() -> None:
    """List dead letters (work items whose retries ran out), of every kind."""
    from argusai.jobs.dead_letters import list_dead
    from argusai.store.db import Database

    settings = _settings()
    items = list_dead(Database(settings.resolved_database_url()))
    table = Table("kind", "id", "item", "attempts", "reason", "failed at")
    for item in items:
        table.add_row(
            item.kind,
            str(item.item_id),
            item.what,
            str(item.attempts),
            item.reason[:80],
            item.created_at.isoformat(timespec="seconds"),
        )
    Console().print(table if items else "no dead letters")


@jobs_app.command("retry")
def jobs_retry(
    item_id: Annotated[int, typer.Argument(help="Id from 'argus jobs dead'.")],
    kind: Annotated[
        str, typer.Option(help="review, ci_run, scout_repository or scout_issue.")
    ] = "review",
) -> None:
    """Queue a dead or failed item again with a fresh retry budget."""
    from argusai.jobs.dead_letters import KINDS, retry

    if kind not in KINDS:
        err.print(f"[red]error:[/red] --kind must be one of {', '.join(KINDS)}")
        raise typer.Exit(2)
    settings = _settings()
    runtime = _runtime(settings)
    if not retry(runtime, kind, item_id):
        err.print(f"[red]error:[/red] {kind} {item_id} is not failed (nothing to retry)")
        raise typer.Exit(1)
    typer.echo(f"{kind} {item_id} re-queued")


def main() -> None:
    """Console entry point."""
    try:
        app()
    except ArgusError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise SystemExit(2) from None
