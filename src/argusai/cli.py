"""The ``argus`` command: serve, worker, review, db, jobs (and the ci/scout/tenant groups).

Failures a user can fix (a bad setting, a database that does not answer, a data dir that
cannot be made, a file that is not a diff) end every command the same way: one line on
stderr, ``argus: error: …``, and exit code 2; see ``_ArgusGroup.invoke``. A traceback means
a bug.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from argusai.ciapi.cli import apikey_app, tenant_app, usage_command
from argusai.cilog.cli import ci_app
from argusai.errors import ArgusError, ConfigError, InputError
from argusai.github.manifest_cli import github_app_cli
from argusai.notify.cli import notify_app
from argusai.retention.cli import prune_command
from argusai.review.action.cli import action_app
from argusai.review.config_cli import config_app
from argusai.review.conversation.cli import suppressions_app
from argusai.review.fallback_cli import fallback_app
from argusai.review.models import Severity
from argusai.runtime import CommandStartup, Runtime
from argusai.scout.cli import scout_app
from argusai.settings import Settings
from argusai.stats.cli import stats_app
from argusai.stats.experiments_cli import experiments_app
from argusai.store import audit
from argusai.web.dashboard.cli import dashboard_token_command

if TYPE_CHECKING:
    from typer._click import Context as ClickContext  # typer ships its own click

    from argusai.review.engine import CodeContext, ReviewPlan


#: results go to stdout, plain: no rich markup, emoji codes (``:100:``) or highlighting
out = Console(soft_wrap=True, markup=False, emoji=False, highlight=False)
err = Console(stderr=True, soft_wrap=True, markup=False, emoji=False, highlight=False)


def fail(message: str, code: int = 2) -> NoReturn:
    """End the command with ``argus: error: <message>`` (one line) on stderr."""
    typer.echo(f"argus: error: {' '.join(message.split())}", err=True)
    raise typer.Exit(code)


def _explain(exc: Exception) -> tuple[str, int] | None:
    """The line and exit code for a failure the user can fix; None for a bug (traceback)."""
    if isinstance(exc, InputError):
        return str(exc), exc.exit_code
    if isinstance(exc, ArgusError):
        return str(exc), 2
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, OperationalError):  # the database failed mid-command
        from argusai.store.db import DATABASE_VAR, failure_reason

        return f"{DATABASE_VAR}: {failure_reason(exc)}", 2
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}", 2
    return None


class _ArgusGroup(TyperGroup):
    """A group whose bare name shows its help (exit 0), and whose known failures are one line."""

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            typer.echo(ctx.get_help(), color=ctx.color)
            ctx.exit(0)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            explained = _explain(exc)
            if explained is None:
                raise
            fail(*explained)


def _use_group_class(parent: typer.Typer) -> None:
    for group in parent.registered_groups:
        group.cls = _ArgusGroup
        if group.typer_instance is not None:
            _use_group_class(group.typer_instance)


def _webhook_events() -> list[str]:
    """The events the App subscribes to: those some feature's handler listens to."""
    from argusai.app import build_router

    return build_router(Settings.model_construct(rate_limit_url="memory://")).events()


app = typer.Typer(
    help="ArgusAI: LLM reviews for GitHub pull requests.",
    cls=_ArgusGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
jobs_app = typer.Typer(help="Work items and dead letters.", no_args_is_help=True)
# `argus --help` lists the commands in panels, the ones a new user starts with first
RUN, OPERATE, CI_API, SCOUT = "Run ArgusAI", "Operate", "CI analysis API", "Scout"
app.add_typer(github_app_cli(_webhook_events), name="app", rich_help_panel=RUN)  # manifest
app.add_typer(action_app, name="action", rich_help_panel=RUN)  # the GitHub Action: run, init
app.add_typer(config_app, name="config", rich_help_panel=OPERATE)
app.add_typer(suppressions_app, name="suppressions", rich_help_panel=OPERATE)
app.add_typer(stats_app, name="stats", rich_help_panel=OPERATE)
app.add_typer(jobs_app, name="jobs", rich_help_panel=OPERATE)
app.add_typer(fallback_app, name="fallback", rich_help_panel=OPERATE)  # status, on, off
app.add_typer(notify_app, name="notify", rich_help_panel=OPERATE)
app.add_typer(experiments_app, name="experiments", rich_help_panel=OPERATE)
app.add_typer(db_app, name="db", rich_help_panel=OPERATE)
db_app.command("prune")(prune_command)  # retention: what the hourly cleanup removes
app.add_typer(ci_app, name="ci", rich_help_panel=CI_API)
app.add_typer(tenant_app, name="tenant", rich_help_panel=CI_API)
app.add_typer(apikey_app, name="apikey", rich_help_panel=CI_API)
app.add_typer(scout_app, name="scout", rich_help_panel=SCOUT)
_use_group_class(app)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("argusai")
    except PackageNotFoundError:  # a source tree that is not installed
        from argusai import __version__

        return __version__


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"argus {_version()}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    _version_flag: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print the version and exit.",
        ),
    ] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            help="Log more on stderr: -v info, -vv debug (as ARGUS_LOG_LEVEL does).",
        ),
    ] = 0,
) -> None:
    """ArgusAI: LLM reviews for GitHub pull requests."""
    from argusai.app import register_tasks

    # the features' commands open their runtime through this, not by importing the CLI
    ctx.obj = CommandStartup(open_runtime=open_runtime, register_tasks=register_tasks)
    if verbose:
        # the same as ARGUS_LOG_LEVEL, for this process and the worker that serve starts
        os.environ["ARGUS_LOG_LEVEL"] = "DEBUG" if verbose > 1 else "INFO"


def command_settings(*, server: bool = False) -> Settings:
    """Settings and logging for a command (logging is loaded only by commands that run)."""
    from argusai.logs import command_settings as settings_and_logging

    return settings_and_logging(server=server)


def open_runtime(settings: Settings, *, migrate: bool = False) -> Runtime:
    """The data dir, a database that answers (migrated if asked), and the queue.

    Every command that needs them starts here (``argus scout`` too, through ``ctx.obj``), so
    each failure is a ConfigError naming its variable, which ``_ArgusGroup`` prints as one line.
    """
    import sqlite3

    import psycopg

    from argusai.app import build_runtime
    from argusai.store.db import ensure_data_dir
    from argusai.store.migrate import upgrade

    ensure_data_dir(settings.data_dir)
    try:
        runtime = build_runtime(settings)
    except (OSError, sqlite3.Error, psycopg.Error) as exc:  # the queue's file or its tables
        raise ConfigError(f"ARGUS_QUEUE_URL: cannot open the queue: {exc}") from None
    runtime.db.ping()
    if migrate:
        upgrade(runtime.db.engine)
    return runtime


@app.command(rich_help_panel=RUN)
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Also run the worker as a child process.")
    ] = True,
) -> None:
    """Serve the webhook endpoint and API (and, by default, run the worker)."""
    from argusai.serve import announce_missing, prepare, run_server

    settings = command_settings(server=True)
    runtime = open_runtime(settings)
    prepare(runtime)
    announce_missing(settings)
    run_server(runtime, host=host, port=port, with_worker=worker)


@app.command(rich_help_panel=RUN)
def worker() -> None:
    """Run the job worker (Huey consumer) in the foreground."""
    from argusai.serve import prepare, run_worker

    settings = command_settings(server=True)
    runtime = open_runtime(settings)
    prepare(runtime)
    run_worker(runtime)


class OutputFormat(StrEnum):
    """How ``argus review`` prints its result."""

    text = "text"
    json = "json"


@app.command(rich_help_panel=RUN)
def review(
    diff: Annotated[
        Path | None, typer.Option("--diff", help="A unified diff file ('-' = stdin).")
    ] = None,
    base: Annotated[
        str | None, typer.Option("--base", help="Review REF...HEAD of the git checkout.")
    ] = None,
    repo_dir: Annotated[
        Path | None,
        typer.Option(
            "--repo",
            "--repo-dir",
            help="The git checkout (default: the current directory); with --diff, the diff's "
            "paths are relative to it.",
        ),
    ] = None,
    with_context: Annotated[
        bool | None,
        typer.Option(
            "--context/--no-context",
            help="Quote code from the checkout after the diff: the scopes the hunks sit in and "
            "definitions the added lines use, found in every code file of the repository. "
            "Default: on with --base (the files as committed at HEAD); with --diff only when "
            "--repo is given (the files of its working tree).",
            show_default=False,
        ),
    ] = None,
    config_file: Annotated[
        Path | None, typer.Option("--config", help="Config file (default .argus.yml).")
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="text or json.")
    ] = OutputFormat.text,
    fail_on: Annotated[
        Severity | None,
        typer.Option(
            "--fail-on", case_sensitive=False, help="Exit 1 when a finding is at least this severe."
        ),
    ] = None,
    title: Annotated[str, typer.Option(help="Title given to the LLM as the change's title.")] = "",
) -> None:
    """Review a local diff with the same engine (prints findings; for CI and GitHub Actions)."""
    from argusai.core.secrets import Redactor
    from argusai.llm.factory import build_llm
    from argusai.logs import settings_secrets
    from argusai.review.engine import PRContext, finalize, plan_review, run_review
    from argusai.review.gitdiff import parse_unified_diff
    from argusai.review.local import (
        ContextReport,
        exit_code,
        git_diff,
        parse_diff_file,
        progress_bar,
        read_config_file,
        read_diff_file,
        render_findings_text,
        result_to_json,
    )
    from argusai.review.repo_config import parse_repo_config

    if (diff is None) == (base is None):
        raise InputError("give exactly one of --diff FILE or --base REF")
    if with_context is None:
        with_context = base is not None or repo_dir is not None
    repo_dir = repo_dir or Path()
    settings = command_settings()
    if diff is not None:
        files = parse_diff_file(read_diff_file(diff), "stdin" if str(diff) == "-" else str(diff))
    else:
        files = parse_unified_diff(git_diff(base or "", repo_dir))
        if not files:
            err.print(f"nothing to review: {base}...HEAD has no changes")
    cfg_text, cfg_path = read_config_file(config_file, repo_dir)
    config, config_error = parse_repo_config(cfg_text)
    if config_error:
        err.print(f"warning: {cfg_path}: {config_error} (defaults used)")
    llm = build_llm(settings)
    verify = config.verify if config.verify is not None else settings.llm_verify
    verifier = build_llm(settings, model=settings.llm_verify_model) if verify else None
    plan = plan_review(
        files,
        config,
        max_files=settings.max_files_per_review,
        token_budget=settings.llm_context_tokens,
    )
    ctx = PRContext(repo=str(repo_dir.resolve().name), number=0, title=title)
    code = _local_code_context(repo_dir, plan, at_head=base is not None) if with_context else None
    try:
        with progress_bar(err) as progress:
            outcome = run_review(
                llm, plan, ctx, config, progress=progress, context=code, verifier=verifier
            )
    except ArgusError as exc:
        fail(f"the LLM could not be reached: {exc}")
    result = finalize(
        outcome,
        plan,
        config,
        max_comments=settings.max_comments_per_review,
        config_error=config_error,
        redactor=Redactor.of(settings_secrets(settings)),
    )
    report = ContextReport.of(outcome, enabled=with_context)
    if output is OutputFormat.json:
        import json

        typer.echo(json.dumps(result_to_json(result, report), indent=2))
    else:
        typer.echo(render_findings_text(result, report))
    raise typer.Exit(exit_code(result.findings, fail_on))


def _local_code_context(repo_dir: Path, plan: ReviewPlan, *, at_head: bool) -> CodeContext | None:
    """The checkout's files for ``argus review``'s prompts (None when nothing is reviewed)."""
    from argusai.review.local_context import head_context, worktree_context

    if not plan.chunks:
        return None
    read = head_context if at_head else worktree_context
    return read(repo_dir, plan.files)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
    from argusai.store.db import open_database
    from argusai.store.migrate import upgrade

    database = open_database(command_settings(), migrate=False)
    done = upgrade(database.engine)
    if done.applied:
        count = len(done.applied)
        typer.echo(f"applied {count} migration{'s' * (count != 1)} (now at {done.after})")
    else:
        typer.echo(f"already up to date (at {done.after})")


@jobs_app.command("dead")
def jobs_dead() -> None:
    """List dead letters (work items whose retries ran out), of every kind."""
    items = open_runtime(command_settings(), migrate=True).queue.dead()
    if not items:
        out.print("no dead letters")
        return
    table = Table("kind", "id", "item", "attempts", "reason", "failed at")
    for item in items:
        table.add_row(
            item.kind,
            item.item_id,
            item.what,
            str(item.attempts),
            item.reason[:80],
            item.created_at.isoformat(timespec="seconds"),
        )
    out.print(table)


@jobs_app.command("retry")
def jobs_retry(
    item_id: Annotated[str, typer.Argument(help="Id from 'argus jobs dead'.")],
    kind: Annotated[
        str,
        typer.Option(help="The kind 'argus jobs dead' shows (review, command, ci_run, …)."),
    ] = "review",
) -> None:
    """Queue a dead or failed item again with a fresh retry budget."""
    queue = open_runtime(command_settings(), migrate=True).queue
    if kind not in queue.registry.names():
        raise InputError(f"--kind must be one of {', '.join(queue.registry.names())}, not {kind!r}")
    if not queue.retry_dead(kind, item_id):
        status = queue.status(kind, item_id)
        if status is None:
            raise InputError(f"{kind} {item_id} does not exist (see 'argus jobs dead')")
        raise InputError(f"{kind} {item_id} is {status}, not failed: nothing to retry", exit_code=1)
    audit.write(queue.db, "jobs.retry", f"{kind} {item_id}")
    typer.echo(f"{kind} {item_id} re-queued")


def main() -> None:
    """Console entry point."""
    app()


# after serve, worker and review: panels are listed in the order their first command came
app.command("dashboard-token", rich_help_panel=OPERATE)(dashboard_token_command)
app.command("usage", rich_help_panel=CI_API)(usage_command)
