"""``argus config``: the operator's review settings (set, unset, show, no restart needed)
and a check of an ``.argus.yml`` or a prompt template before it is committed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console

from argusai.errors import InputError
from argusai.runtime import CommandStartup
from argusai.store import audit
from argusai.store.db import Database

config_app = typer.Typer(
    help="Review settings: the operator's layer (global, per installation, per repository) "
    "under each organisation's and repository's .argus.yml; read again by every review.",
    no_args_is_help=True,
)

#: values come from config files and the database: printed as written, no markup
out = Console(soft_wrap=True, markup=False, emoji=False, highlight=False)
err = Console(stderr=True, soft_wrap=True, markup=False, emoji=False, highlight=False)

RepoOption = Annotated[
    str | None, typer.Option("--repo", help="One repository, as OWNER/NAME.", show_default=False)
]
InstallationOption = Annotated[
    int | None,
    typer.Option(
        "--installation", help="Every repository of one installation (its id).", show_default=False
    ),
]
GlobalOption = Annotated[
    bool, typer.Option("--global", help="Every repository this server reviews.")
]


def _database(ctx: typer.Context) -> Database:
    """The database of the settings, migrated, opened as every argus command opens it."""
    from argusai.logs import command_settings

    startup = ctx.obj
    if not isinstance(startup, CommandStartup):  # only run inside the argus group
        raise TypeError("argus config runs as a sub-command of argus")
    return startup.open_runtime(command_settings(), migrate=True).db


def _parse_value(key: str, text: str) -> Any:
    """VALUE as YAML (``true``, ``5``, ``[a, b]``, ``high``); a text that YAML reads as
    something else (``Use x: y``) is kept as the text when the key takes text."""
    from argusai.review.operator_config import check_setting

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    try:
        check_setting(key, value)
    except InputError:
        try:
            check_setting(key, text)
        except InputError:
            return value  # the first reading's error is the one to show
        return text
    return value


@config_app.command("set")
def set_command(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="A key of .argus.yml (checks.NAME for a check).")],
    value: Annotated[str, typer.Argument(help="Its value, as YAML: high, 5, true, '[a, b]'.")],
    repo: RepoOption = None,
    installation: InstallationOption = None,
    is_global: GlobalOption = False,
) -> None:
    """Set a review setting for every repository, one installation or one repository."""
    from argusai.review.config_layers import value_text
    from argusai.review.operator_config import Scope, set_setting

    scope = Scope.of(repo=repo, installation=installation, is_global=is_global)
    db = _database(ctx)
    key, stored = set_setting(db, scope, key, _parse_value(key, value))
    audit.write(db, "config.set", scope.source, {"key": key, "value": stored})
    out.print(f"{key} = {value_text(stored)} — {scope.source}; used from the next review on")


@config_app.command("unset")
def unset_command(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The key to remove from that scope.")],
    repo: RepoOption = None,
    installation: InstallationOption = None,
    is_global: GlobalOption = False,
) -> None:
    """Remove a setting from a scope: the layers below it apply again."""
    from argusai.review.operator_config import Scope, canonical_key, unset_setting

    scope = Scope.of(repo=repo, installation=installation, is_global=is_global)
    db = _database(ctx)
    if unset_setting(db, scope, key):
        audit.write(db, "config.unset", scope.source, {"key": canonical_key(key)})
        out.print(f"{canonical_key(key)} unset — {scope.source}")
    else:
        out.print(f"{canonical_key(key)} was not set — {scope.source}: nothing to do")


def _print_rows(rows: list[tuple[str, str, str]]) -> None:
    key_w = max(len(k) for k, _, _ in rows)
    value_w = min(max(len(v) for _, v, _ in rows), 50)
    for key, value, source in rows:
        out.print(f"{key:<{key_w}}  {value:<{value_w}}  {source}")


@config_app.command("show")
def show_command(
    ctx: typer.Context,
    repo: RepoOption = None,
    installation: InstallationOption = None,
    is_global: GlobalOption = False,
) -> None:
    """Show the operator's settings for a scope (default --global), each with its source."""
    # the organisation's and the repository's .argus.yml apply on top, read by each review:
    # '@argus config' in a pull request shows the whole result
    from argusai.logs import command_settings
    from argusai.review.config_layers import config_rows, merge_layers, server_layer
    from argusai.review.operator_config import Scope, operator_layers

    if is_global and (repo is not None or installation is not None):
        raise InputError("--global shows the global layer alone: leave out --repo/--installation")
    if repo is not None:
        Scope.of(repo=repo, installation=None, is_global=False)  # validates OWNER/NAME
    layers, problems = operator_layers(_database(ctx), installation_id=installation, repo=repo)
    config, sources, more = merge_layers([server_layer(command_settings()), *layers])
    _print_rows(config_rows(config, sources, width=60))
    for problem in [*problems, *more]:
        err.print(f"warning: {problem}")
    if repo is not None:
        out.print(
            f"\nOn top of these: {repo.split('/')[0]}/.github's and {repo}'s .argus.yml, "
            "read by each review."
        )


def _check_template(path: Path, text: str) -> None:
    from argusai.review.prompt_template import TemplateError, check_template

    try:
        template = check_template(text, name=path.stem, origin=str(path))
    except TemplateError as exc:
        out.print(f"{path}: not usable: {exc}")
        raise typer.Exit(1) from None
    out.print(f"{path}: a usable prompt template (sha {template.sha})")


@config_app.command("check")
def check_command(
    file: Annotated[
        Path, typer.Argument(help="An .argus.yml to check, or a prompt template (*.j2).")
    ],
) -> None:
    """Validate an .argus.yml (or a *.j2 prompt template); exit 1 on problems."""
    from argusai.logs import command_settings
    from argusai.review.config_layers import Layer, config_rows, merge_layers, server_layer
    from argusai.review.repo_config import read_layer

    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{file}: not UTF-8 text") from None
    if file.suffix == ".j2":
        _check_template(file, text)
        return
    values, problems = read_layer(text)
    layers = [server_layer(command_settings()), Layer(str(file), values)]
    config, sources, more = merge_layers(layers)
    _print_rows(config_rows(config, sources, width=60))
    problems = [*problems, *more]
    if problems:
        err.print(f"{file}: {len(problems)} problem(s):")
        for problem in problems:
            err.print(f"- {problem}")
        raise typer.Exit(1)
    err.print(f"{file}: no problems")
