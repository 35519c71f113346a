"""``argus db prune [--dry-run]``: what the hourly cleanup removes, by kind, now."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from argusai.runtime import CommandStartup

out = Console(soft_wrap=True, markup=False, emoji=False, highlight=False)


def prune_command(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would go; change nothing.")
    ] = False,
) -> None:
    """Delete data older than its retention (ARGUS_RETENTION_*), in small batches."""
    from argusai.logs import command_settings
    from argusai.retention.prune import count, prune
    from argusai.retention.rules import rules

    startup = ctx.obj
    if not isinstance(startup, CommandStartup):  # only run inside the argus group
        raise TypeError("argus db prune runs as a sub-command of argus")
    settings = command_settings()
    # a dry run changes nothing, not even the schema
    rt = startup.open_runtime(settings, migrate=not dry_run)
    kinds = rules(settings)
    if dry_run:
        found = count(rt.db, kinds)
    else:
        found = prune(
            rt.db, kinds, batch_size=settings.retention_batch_size, files_root=settings.data_dir
        )
    table = Table(
        "kind",
        "kept for",
        "older than",
        "would go" if dry_run else "deleted",
        "what",
        title="dry run: nothing deleted" if dry_run else None,
    )
    for kind in found:
        table.add_row(
            kind.kind,
            f"{kind.days} day{'s' * (kind.days != 1)}" if kind.days > 0 else "forever",
            f"{kind.cutoff:%Y-%m-%d %H:%M} UTC" if kind.cutoff else "-",
            str(kind.rows) + (f" (+{kind.files} files)" if kind.files else ""),
            kind.what,
        )
    out.print(table)
    total = sum(k.rows for k in found)
    verb = "would be removed" if dry_run else "removed"
    out.print(f"{total} row{'s' * (total != 1)} {verb}")
