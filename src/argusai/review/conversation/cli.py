"""``argus suppressions list|remove --repo o/r``: the rules ``ignore`` and ``ignore
everywhere`` made, as a table, and their removal."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from argusai.errors import InputError
from argusai.runtime import CommandStartup, Runtime
from argusai.store import audit

suppressions_app = typer.Typer(
    help="Suppression rules: findings ArgusAI no longer posts (made by 'ignore' in a PR).",
    no_args_is_help=True,
)
#: titles come from the LLM and globs from users: printed as written, no markup
out = Console(soft_wrap=True, markup=False, emoji=False, highlight=False)

RepoOption = Annotated[str, typer.Option("--repo", help="The repository, as owner/name.")]


def _runtime(ctx: typer.Context) -> Runtime:
    from argusai.logs import command_settings

    startup = ctx.obj
    if not isinstance(startup, CommandStartup):  # only run inside the argus group
        raise TypeError("argus suppressions runs as a sub-command of argus")
    return startup.open_runtime(command_settings(), migrate=True)


def _repo(value: str) -> str:
    owner, _, name = value.strip().partition("/")
    if not owner or not name or "/" in name:
        raise InputError(f"--repo must be owner/name, not {value!r}")
    return f"{owner}/{name}"


@suppressions_app.command("list")
def list_command(
    ctx: typer.Context,
    repo: RepoOption,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False,
) -> None:
    """The repository's rules (and its pull requests' ones), oldest first."""
    from argusai.review.conversation.suppressions import list_rules

    rules = list_rules(_runtime(ctx).db, _repo(repo))
    if as_json:
        rows = [
            {
                "id": r.id,
                "scope": r.scope,
                "pr": r.pr_number,
                "title": r.title,
                "path_glob": r.path_glob,
                "fingerprint": r.fingerprint,
                "hits": r.hits,
                "created_by": r.created_by,
                "created_at": r.created_at.isoformat(timespec="seconds"),
            }
            for r in rules
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rules:
        out.print(f"no suppression rules for {_repo(repo)}")
        return
    table = Table("id", "scope", "title", "paths", "fingerprint", "hits", "by", "created")
    for r in rules:
        table.add_row(
            str(r.id),
            r.scope,
            Text(r.title[:80] or "-"),
            Text(r.path_glob or "any"),
            r.fingerprint or "-",
            str(r.hits),
            Text(r.created_by or "-"),
            r.created_at.isoformat(timespec="seconds"),
        )
    out.print(table)


@suppressions_app.command("remove")
def remove_command(
    ctx: typer.Context,
    repo: RepoOption,
    rule_id: Annotated[int, typer.Argument(help="The rule's id from 'argus suppressions list'.")],
) -> None:
    """Delete one rule: its findings are posted again from the next review on."""
    from argusai.review.conversation.suppressions import remove_rule

    name = _repo(repo)
    db = _runtime(ctx).db
    if not remove_rule(db, name, rule_id):
        raise InputError(f"{name} has no suppression rule {rule_id}", exit_code=1)
    audit.write(db, "suppressions.remove", name, {"rule": rule_id})
    typer.echo(f"removed suppression rule {rule_id} of {name}")
