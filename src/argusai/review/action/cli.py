"""``argus action run`` (the step ``action.yml`` runs) and ``argus action init`` (the
workflow that runs it).

``run`` takes its inputs as options or ``ARGUS_ACTION_*`` variables (``action.yml`` passes
them through ``env:``, never pasted into a script); an empty input is no input. It reads no
``.env`` file — the workspace may hold a pull request's files — and keeps its database in a
temporary folder (the operator's config of a server does not exist here).
"""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer

from argusai.errors import ConfigError, GitHubError, InputError
from argusai.review.action.outputs import annotate, parse_fail_on, write_outputs
from argusai.review.action.workflow import (
    ACTION_REPOSITORY,
    DEFAULT_PATH,
    WorkflowOptions,
    render_workflow,
)
from argusai.runtime import CommandStartup

action_app = typer.Typer(
    help="The GitHub Action: review the pull request of a workflow's event with its "
    "GITHUB_TOKEN (argus action run); write a workflow that does (argus action init).",
    no_args_is_help=True,
)


def _input(name: str, help_text: str) -> Any:
    return typer.Option(
        f"--{name}",
        envvar=f"ARGUS_ACTION_{name.upper().replace('-', '_')}",
        help=help_text,
        show_default=False,
    )


@action_app.command("run")
def run_command(
    ctx: typer.Context,
    fail_on: Annotated[
        str,
        _input(
            "fail-on",
            "Exit 1 on a finding this severe (critical … info; none: never; "
            "empty: .argus.yml's fail_on).",
        ),
    ] = "",
    config: Annotated[
        str, _input("config", "The repository's config file, read on its default branch.")
    ] = "",
    sarif_file: Annotated[
        str, _input("sarif-file", "Also write the findings as SARIF 2.1.0.")
    ] = "",
    model: Annotated[str, _input("model", "The LLM model (ARGUS_LLM_MODEL).")] = "",
    provider: Annotated[
        str, _input("provider", "github-models (default), openai, anthropic, openai-compatible.")
    ] = "",
    api_key: Annotated[
        str, _input("api-key", "The provider's key (GitHub Models: GITHUB_TOKEN).")
    ] = "",
    base_url: Annotated[
        str, _input("base-url", "The provider's endpoint (openai-compatible).")
    ] = "",
    max_comments: Annotated[str, _input("max-comments", "At most this many inline comments.")] = "",
) -> None:
    """Review the pull request of this workflow run and post it as the App does."""
    from argusai.logs import configure_logging
    from argusai.review.action.event import read_event
    from argusai.review.action.run import ActionInputs, run_action
    from argusai.settings import load_settings

    env = dict(os.environ)
    event = read_event(env)
    parse_fail_on(fail_on)  # a typo fails before anything is asked
    token = env.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise ConfigError("GITHUB_TOKEN is not set: give the step env GITHUB_TOKEN")
    startup = ctx.obj
    if not isinstance(startup, CommandStartup):
        raise TypeError("argus action runs as a sub-command of argus")
    with ExitStack() as stack:
        folder = stack.enter_context(
            tempfile.TemporaryDirectory(prefix="argusai-", dir=env.get("RUNNER_TEMP") or None)
        )
        overrides = _overrides(env, Path(folder), model, provider, api_key, base_url, max_comments)
        settings = load_settings(_env_file=None, **overrides)
        configure_logging(settings, default_level="WARNING")
        rt = startup.open_runtime(settings, migrate=True)
        stack.callback(rt.db.dispose)
        from argusai.github.token_client import token_client

        gh = token_client(
            token, base_url=settings.github_api_url, api_version=settings.github_api_version
        )
        inputs = ActionInputs(
            fail_on=fail_on,
            config=config.strip() or ".argus.yml",
            sarif_file=Path(sarif_file.strip()) if sarif_file.strip() else None,
        )
        try:
            outcome = run_action(rt, gh, event, inputs, env)
        except GitHubError as exc:
            if exc.status == 403:
                message = (
                    f"GitHub refused the workflow's token ({exc}). A pull request from a fork "
                    "gets a read-only token under `pull_request`: use `pull_request_target` "
                    "(argus action init --target; safe, nothing of the PR is checked out), "
                    "and grant pull-requests: write and checks: write"
                )
                annotate("error", message)
                raise InputError(message) from None
            raise
    write_outputs(env, outcome.outputs())
    worst = outcome.max_severity.value if outcome.max_severity else "none"
    gate = (
        f"; fail-on {outcome.fail_on.value}: {'failed' if outcome.failed else 'passed'}"
        if outcome.fail_on
        else ""
    )
    typer.echo(f"ArgusAI: {outcome.state}, {outcome.findings} finding(s), worst {worst}{gate}")
    raise typer.Exit(outcome.exit_code)


def _overrides(
    env: dict[str, str],
    folder: Path,
    model: str,
    provider: str,
    api_key: str,
    base_url: str,
    max_comments: str,
) -> dict[str, Any]:
    """Settings for one review in a workflow: a throwaway database, the workflow's API."""
    values: dict[str, Any] = {
        "data_dir": folder / "data",
        "database_url": None,
        "queue_url": None,
        "rate_limit_url": None,
        "github_api_url": env.get("GITHUB_API_URL") or "https://api.github.com",
    }
    given = {
        "llm_model": model,
        "llm_provider": provider,
        "llm_api_key": api_key,
        "llm_base_url": base_url,
        "max_comments_per_review": max_comments,
    }
    values.update({k: v.strip() for k, v in given.items() if v.strip()})
    return values


@action_app.command("init")
def init_command(
    path: Annotated[Path, typer.Option(help="Where to write the workflow.")] = Path(DEFAULT_PATH),
    force: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
    uses: Annotated[
        str,
        typer.Option(help="The Action to run, as OWNER/REPO@REF (where you host ArgusAI)."),
    ] = "",
    pull_requests: Annotated[
        bool,
        typer.Option(
            "--pull-requests/--dispatch-only",
            help="Review every pull request here, or only what an ArgusAI server hands over.",
        ),
    ] = True,
    target: Annotated[
        bool,
        typer.Option(
            "--target",
            help="Use pull_request_target: fork pull requests get reviewed too (safe: the "
            "workflow never checks the pull request out).",
        ),
    ] = False,
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="Fail the job on findings this severe.")
    ] = "",
    sarif: Annotated[
        bool, typer.Option("--sarif", help="Also upload the findings to code scanning.")
    ] = False,
) -> None:
    """Write a ready workflow: the review on pull requests and on the server's hand-offs."""
    from argusai import __version__

    given, severity = parse_fail_on(fail_on)
    if path.exists() and not force:
        raise InputError(f"{path} exists: keep it, or replace it with --force")
    options = WorkflowOptions(
        uses=uses.strip() or f"{ACTION_REPOSITORY}@v{__version__}",
        pull_requests=pull_requests,
        target=target,
        fail_on=(severity.value if severity else "none") if given else "",
        sarif=sarif,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_workflow(options), encoding="utf-8")
    typer.echo(f"wrote {path}: commit it to the default branch")
    typer.echo(
        "the workflow needs no secret with GitHub Models (permissions: models: read); "
        "another provider: add `api-key: ${{ secrets.… }}` and `provider:` under `with:`"
    )
