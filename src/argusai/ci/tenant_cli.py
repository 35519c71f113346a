"""``argus tenant`` / ``argus apikey`` / ``argus usage`` / ``argus ci explain``: the API's CLI."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from argusai.ci.tiers import DEFAULT_TIER, TIERS
from argusai.settings import Settings, load_settings
from argusai.store.db import Database

tenant_app = typer.Typer(help="Tenants (organisations) of the analysis API.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys of the analysis API.", no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _open() -> tuple[Settings, Database]:
    from argusai.errors import ConfigError
    from argusai.store.migrate import upgrade

    try:
        settings = load_settings()
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    _logging(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url())
    upgrade(db.engine)
    return settings, db


def _logging(settings: Settings) -> None:
    from argusai.logs import configure_logging

    configure_logging(settings)  # logs go to stderr: stdout carries keys and JSON


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}")
    return typer.Exit(1)


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Argument(help="Organisation name (unique).")],
    tier: Annotated[str, typer.Option(help=f"One of {', '.join(TIERS)}.")] = DEFAULT_TIER,
    callback_url: Annotated[str | None, typer.Option(help="Default callback URL.")] = None,
) -> None:
    """Create a tenant; prints its callback signing secret ONCE."""
    from argusai.ci.tenants import TenantError, create_tenant

    settings, db = _open()
    try:
        created = create_tenant(db, settings, name, tier, url=callback_url)
    except (TenantError, ValueError) as exc:
        raise _fail(exc) from None
    out.print(f"tenant [bold]{created.name}[/bold] ({created.tier}) id={created.id}")
    out.print("callback signing secret (shown once, store it now):")
    typer.echo(created.webhook_secret)


@tenant_app.command("webhook")
def tenant_webhook(
    tenant: Annotated[str, typer.Argument(help="Tenant name or id.")],
    url: Annotated[str | None, typer.Option(help="Default callback URL ('' clears).")] = None,
    enable: Annotated[bool, typer.Option(help="Re-enable after failures.")] = False,
    rotate_secret: Annotated[bool, typer.Option(help="New signing secret (shown once).")] = False,
) -> None:
    """Change a tenant's callback endpoint."""
    from argusai.ci.tenants import TenantError, configure_webhook

    settings, db = _open()
    try:
        secret = configure_webhook(
            db, settings, tenant, url=url, enable=enable, rotate_secret=rotate_secret
        )
    except TenantError as exc:
        raise _fail(exc) from None
    out.print("updated")
    if secret:
        out.print("new callback signing secret (shown once):")
        typer.echo(secret)


@apikey_app.command("create")
def apikey_create(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant name or id.")],
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
) -> None:
    """Create an API key; prints it ONCE (only its hash is stored)."""
    from argusai.ci.apikeys import create_key
    from argusai.ci.tenants import TenantError

    _settings, db = _open()
    try:
        new = create_key(db, tenant, name)
    except TenantError as exc:
        raise _fail(exc) from None
    out.print(f"key id={new.id} prefix={new.prefix} (shown once, store it now):")
    typer.echo(new.key)


@apikey_app.command("list")
def apikey_list(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant name or id.")],
) -> None:
    """List a tenant's keys (prefixes, never the keys)."""
    from argusai.ci.apikeys import list_keys
    from argusai.ci.tenants import TenantError

    _settings, db = _open()
    try:
        keys = list_keys(db, tenant)
    except TenantError as exc:
        raise _fail(exc) from None
    table = Table("prefix", "id", "name", "created", "last used", "revoked")
    for k in keys:
        table.add_row(
            k.prefix,
            k.id,
            k.name,
            f"{k.created_at:%Y-%m-%d %H:%M}",
            f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "-",
            f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "-",
        )
    out.print(table)


@apikey_app.command("revoke")
def apikey_revoke(prefix_or_id: Annotated[str, typer.Argument(help="Key prefix or id.")]) -> None:
    """Revoke a key at once."""
    from argusai.ci.apikeys import revoke_key
    from argusai.ci.tenants import TenantError

    _settings, db = _open()
    try:
        key = revoke_key(db, prefix_or_id)
    except TenantError as exc:
        raise _fail(exc) from None
    out.print(f"revoked {key.prefix}")


@apikey_app.command("rotate")
def apikey_rotate(prefix_or_id: Annotated[str, typer.Argument(help="Key prefix or id.")]) -> None:
    """Revoke a key and print its replacement ONCE."""
    from argusai.ci.apikeys import rotate_key
    from argusai.ci.tenants import TenantError

    _settings, db = _open()
    try:
        new = rotate_key(db, prefix_or_id)
    except TenantError as exc:
        raise _fail(exc) from None
    out.print(f"new key prefix={new.prefix} (shown once):")
    typer.echo(new.key)


def usage_command(
    tenant: Annotated[str | None, typer.Option(help="Tenant name or id (default: all).")] = None,
) -> None:
    """Requests, bytes, tokens and cost per tenant and month."""
    from sqlalchemy import select

    from argusai.ci.models import Organization
    from argusai.ci.tenants import TenantError, find_tenant
    from argusai.ci.usage import usage_rows

    _settings, db = _open()
    with db.session() as s:
        try:
            tenant_id = find_tenant(s, tenant).id if tenant else None
        except TenantError as exc:
            raise _fail(exc) from None
        names = {i: n for i, n in s.execute(select(Organization.id, Organization.name))}
    table = Table("tenant", "month", "requests", "bytes", "prompt tok", "completion tok", "cost $")
    for row in usage_rows(db, tenant_id):
        table.add_row(
            names.get(row.tenant_id, row.tenant_id),
            row.period,
            str(row.request_count),
            str(row.bytes_processed),
            str(row.prompt_tokens),
            str(row.completion_tokens),
            f"{row.cost_usd:.4f}",
        )
    out.print(table)


class ExplainFormat(StrEnum):
    """How ``argus ci explain`` prints."""

    text = "text"
    json = "json"


def explain_command(
    logfile: Annotated[str, typer.Argument(help="Log file (plain or gzip); '-' reads stdin.")],
    workflow: Annotated[str | None, typer.Option(help="Workflow name, for context.")] = None,
    output: Annotated[ExplainFormat, typer.Option("--format")] = ExplainFormat.text,
) -> None:
    """Reduce LOGFILE and ask the LLM why it failed (root cause, step, evidence, fix)."""
    from argusai.ci.explain import explain
    from argusai.ci.reduce import reduce_stream
    from argusai.errors import ArgusError, ConfigError
    from argusai.llm.factory import build_llm

    try:
        settings = load_settings()
    except ConfigError as exc:
        raise _fail(exc) from None
    _logging(settings)
    if logfile == "-":
        reduction = reduce_stream(sys.stdin.buffer, settings.ci_token_budget)
    else:
        path = Path(logfile)
        if not path.is_file():
            raise typer.BadParameter(f"{logfile}: no such file", param_hint="LOGFILE")
        with path.open("rb") as stream:
            reduction = reduce_stream(stream, settings.ci_token_budget)
    try:
        result = explain(build_llm(settings), reduction, workflow_name=workflow)
    except ArgusError as exc:
        raise _fail(exc) from None
    if output is ExplainFormat.json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    out.print(f"[bold]Root cause[/bold] ({result.confidence} confidence)", markup=True)
    out.print(result.root_cause, markup=False)
    out.print(f"\n[bold]Failing step:[/bold] {escape(result.failing_step or '-')}", markup=True)
    if result.evidence:
        out.print("\n[bold]Evidence[/bold]", markup=True)
        for line in result.evidence:
            out.print(f"  {line}", markup=False, highlight=False)
    out.print("\n[bold]Suggested fix[/bold]", markup=True)
    out.print(result.suggested_fix, markup=False)
    u = result.usage
    out.print(
        f"\n[dim]{escape(u.model)}: {u.prompt_tokens}+{u.completion_tokens} tokens, "
        f"${u.cost_usd:.5f}[/dim]"
    )
