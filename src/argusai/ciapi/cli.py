"""``argus tenant`` / ``argus apikey`` / ``argus usage``: the analysis API's CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Column, Table

from argusai.ciapi.tiers import DEFAULT_TIER, TIERS
from argusai.settings import Settings
from argusai.store import audit as operator_audit
from argusai.store.db import Database

T = TypeVar("T")

tenant_app = typer.Typer(help="Tenants (organisations) of the analysis API.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys of the analysis API.", no_args_is_help=True)
#: names, labels and LLM text are printed as written: no rich markup or emoji codes
out = Console(soft_wrap=True, markup=False, emoji=False, highlight=False)


def _settings() -> Settings:
    from argusai.logs import command_settings

    return command_settings()  # logs on stderr, warnings only: stdout carries keys and JSON


def _open() -> tuple[Settings, Database]:
    """Settings and the migrated database; failures are one line (the argus group says it)."""
    from argusai.store.db import open_database

    settings = _settings()
    return settings, open_database(settings)


def _fail(exc: Exception, code: int = 1) -> typer.Exit:
    typer.echo(f"argus: error: {' '.join(str(exc).split())}", err=True)
    return typer.Exit(code)


def _run(
    call: Callable[[Settings, Database], T],
    *errors: type[Exception],
    audited: tuple[str, str, dict[str, object]] | None = None,
) -> T:
    """``call`` on the opened database; a TenantError (or one of ``errors``) is one error line.
    ``audited``: the operator action it is (action, target, details), for the audit log."""
    from argusai.ciapi.tenants import TenantError

    caught: tuple[type[Exception], ...] = (TenantError, *errors)
    settings, db = _open()
    try:
        result = call(settings, db)
    except caught as exc:
        raise _fail(exc) from None
    if audited is not None:
        operator_audit.write(db, *audited)
    return result


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Argument(help="Organisation name (unique).")],
    tier: Annotated[str, typer.Option(help=f"One of {', '.join(TIERS)}.")] = DEFAULT_TIER,
    callback_url: Annotated[str | None, typer.Option(help="Default callback URL.")] = None,
) -> None:
    """Create a tenant; prints its callback signing secret ONCE."""
    from argusai.ciapi.tenants import create_tenant

    created = _run(
        lambda settings, db: create_tenant(db, settings, name, tier, url=callback_url),
        ValueError,
        audited=("tenant.create", name, {"tier": tier, "callback_url": callback_url is not None}),
    )
    out.print(f"tenant {created.name} ({created.tier}) id={created.id}")
    out.print("callback signing secret (shown once, store it now):")
    typer.echo(created.webhook_secret)


@tenant_app.command("webhook")
def tenant_webhook(
    tenant: Annotated[str, typer.Argument(help="Tenant name or id.")],
    url: Annotated[str | None, typer.Option(help="Default callback URL ('' clears).")] = None,
    enable: Annotated[bool, typer.Option(help="Re-enable after failures.")] = False,
    rotate_secret: Annotated[bool, typer.Option(help="New signing secret (shown once).")] = False,
    events: Annotated[
        str | None,
        typer.Option(
            help="Events called back, comma-separated: analysis.completed, analysis.failed "
            "('' or 'all': every event)."
        ),
    ] = None,
) -> None:
    """Change a tenant's callback endpoint."""
    from argusai.ciapi.tenants import configure_webhook

    chosen = _events(events)
    change = _webhook_change(url, enable, rotate_secret)
    if chosen is not None:
        change["events"] = chosen or "all"
    secret = _run(
        lambda settings, db: configure_webhook(
            db,
            settings,
            tenant,
            url=url,
            enable=enable,
            rotate_secret=rotate_secret,
            events=chosen,
        ),
        audited=("tenant.webhook", tenant, change),
    )
    out.print("updated")
    if secret:
        out.print("new callback signing secret (shown once):")
        typer.echo(secret)


def _events(value: str | None) -> list[str] | None:
    """``--events``: None (unchanged), [] (every event) or the names given."""
    if value is None:
        return None
    names = [e.strip() for e in value.split(",") if e.strip()]
    return [] if names in ([], ["all"]) else names


def _webhook_change(url: str | None, enable: bool, rotate_secret: bool) -> dict[str, object]:
    """What ``tenant webhook`` changed, for the audit log (never the URL: it may hold a token)."""
    change: dict[str, object] = {"enable": enable, "rotate_secret": rotate_secret}
    if url is not None:
        change["url"] = "set" if url else "cleared"
    return change


@tenant_app.command("list")
def tenant_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per tenant.")] = False,
) -> None:
    """List tenants: id, name, tier, when created, and how many keys are active ("keys")."""
    from sqlalchemy import func, select

    from argusai.ciapi.models import ApiKey, Organization

    _, db = _open()
    active = (
        select(ApiKey.organization_id, func.count().label("active_keys"))
        .where(ApiKey.revoked_at.is_(None))
        .group_by(ApiKey.organization_id)
        .subquery()
    )
    with db.session() as s:
        rows = s.execute(
            select(Organization, func.coalesce(active.c.active_keys, 0))
            .outerjoin(active, active.c.organization_id == Organization.id)
            .order_by(Organization.created_at, Organization.name)
        ).all()
    tenants = [
        {
            "id": org.id,
            "name": org.name,
            "tier": org.subscription_tier,
            "created_at": org.created_at.isoformat(timespec="seconds"),
            "active_keys": int(keys),
        }
        for org, keys in rows
    ]
    if as_json:
        typer.echo(json.dumps(tenants, ensure_ascii=False, indent=2))
        return
    if not tenants:
        out.print("no tenants (argus tenant create NAME)")
        return
    table = Table(Column("id", no_wrap=True, min_width=36), "name", "tier", "created", "keys")
    for org, keys in rows:
        table.add_row(
            org.id, org.name, org.subscription_tier, f"{org.created_at:%Y-%m-%d %H:%M}", str(keys)
        )
    out.print(table)


@tenant_app.command("set-tier")
def tenant_set_tier(
    tenant: Annotated[str, typer.Argument(help="Tenant name or id.")],
    tier: Annotated[str, typer.Argument(help=f"One of {', '.join(TIERS)}.")],
    quota: Annotated[
        int | None, typer.Option(help="Its own monthly quota of analyses (instead of the tier's).")
    ] = None,
    tier_quota: Annotated[
        bool, typer.Option("--tier-quota", help="Back to the tier's monthly quota.")
    ] = False,
) -> None:
    """Move a tenant to another tier: its rate, quota and log size apply from the next request."""
    from argusai.ciapi.tenants import set_tier

    if quota is not None and tier_quota:
        raise _fail(ValueError("--quota and --tier-quota exclude each other"), 2)
    old, new = _run(
        lambda _, db: set_tier(db, tenant, tier, quota=quota, tier_quota=tier_quota),
        ValueError,
        audited=(
            "tenant.set_tier",
            tenant,
            {"tier": tier, "quota": quota, "tier_quota": tier_quota},
        ),
    )
    out.print(f"tenant {tenant}: tier {old} → {new}")


@apikey_app.command("create")
def apikey_create(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant name or id.")],
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
    read_only: Annotated[
        bool, typer.Option("--read-only", help="May read analyses, not create them.")
    ] = False,
) -> None:
    """Create an API key; prints it ONCE (only its hash is stored)."""
    from argusai.ciapi.apikeys import READ_ONLY, SCOPES, create_key

    scopes = READ_ONLY if read_only else SCOPES
    new = _run(
        lambda _, db: create_key(db, tenant, name, scopes=scopes),
        audited=("apikey.create", tenant, {"scopes": list(scopes)}),
    )
    out.print(
        f"key id={new.id} prefix={new.prefix} {'read-only ' if read_only else ''}"
        "(shown once, store it now):"
    )
    typer.echo(new.key)


@apikey_app.command("list")
def apikey_list(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant name or id.")],
) -> None:
    """List a tenant's keys (prefixes, never the keys) and what each may do."""
    from argusai.ciapi.apikeys import list_keys, scopes_of

    keys = _run(lambda _, db: list_keys(db, tenant))
    table = Table("prefix", "id", "name", "permissions", "created", "last used", "revoked")
    for k in keys:
        table.add_row(
            k.prefix,
            k.id,
            k.name,
            ", ".join(sorted(scopes_of(k.permissions))) or "none",
            f"{k.created_at:%Y-%m-%d %H:%M}",
            f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "-",
            f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "-",
        )
    out.print(table)


@apikey_app.command("revoke")
def apikey_revoke(prefix_or_id: Annotated[str, typer.Argument(help="Key prefix or id.")]) -> None:
    """Revoke a key at once."""
    from argusai.ciapi.apikeys import revoke_key

    key = _run(
        lambda _, db: revoke_key(db, prefix_or_id), audited=("apikey.revoke", prefix_or_id, {})
    )
    out.print(f"revoked {key.prefix}")


@apikey_app.command("rotate")
def apikey_rotate(prefix_or_id: Annotated[str, typer.Argument(help="Key prefix or id.")]) -> None:
    """Revoke a key and print its replacement ONCE."""
    from argusai.ciapi.apikeys import rotate_key

    new = _run(
        lambda _, db: rotate_key(db, prefix_or_id), audited=("apikey.rotate", prefix_or_id, {})
    )
    out.print(f"new key prefix={new.prefix} (shown once):")
    typer.echo(new.key)


def usage_command(
    tenant: Annotated[str | None, typer.Option(help="Tenant name or id (default: all).")] = None,
) -> None:
    """Requests, bytes, tokens and cost per tenant and month."""
    from sqlalchemy import select

    from argusai.ciapi.models import Organization
    from argusai.ciapi.tenants import TenantError, find_tenant
    from argusai.ciapi.usage import usage_rows

    _, db = _open()
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
