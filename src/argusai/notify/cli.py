"""``argus notify add|list|remove|test``: the routes of notifications to channels."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from argusai.errors import InputError
from argusai.notify.render import Message, StoredEvent, render
from argusai.settings import Settings
from argusai.store.db import Database

notify_app = typer.Typer(
    help="Notifications: routes of events to Slack, Discord, email or a signed webhook.",
    no_args_is_help=True,
)
#: URLs are printed masked; names as written (no rich markup)
out = Console(soft_wrap=True, markup=False, emoji=False, highlight=False)


def _open() -> tuple[Settings, Database]:
    from argusai.logs import command_settings
    from argusai.store.db import open_database

    settings = command_settings()
    return settings, open_database(settings)


def _scope(repo: str | None, installation: int | None, tenant: str | None) -> tuple[str, str]:
    given = [(s, k) for s, k in (("repository", repo), ("tenant", tenant)) if k]
    if installation is not None:
        given.append(("installation", str(installation)))
    if len(given) > 1:
        raise InputError("one of --repo, --installation or --tenant, not several")
    return given[0] if given else ("global", "")


@notify_app.command("add")
def add(
    url: Annotated[
        str,
        typer.Argument(
            help="slack://…, discord://…, mailtos://user:pass@host?to=…, or an https:// webhook "
            "(the native Slack and Discord webhook URLs work too).",
            show_default=False,
        ),
    ],
    repo: Annotated[
        str | None, typer.Option("--repo", help="Only events of this owner/name.")
    ] = None,
    installation: Annotated[
        int | None, typer.Option("--installation", help="Only events of this installation id.")
    ] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="Only events of this API tenant (its id).")
    ] = None,
    events: Annotated[
        str,
        typer.Option(
            help="Comma-separated: dead_letter, review_failed, critical_findings, ci_explained, "
            "scout_finished, quota; '*' for all."
        ),
    ] = "*",
    secret: Annotated[
        str | None,
        typer.Option(help="Signing secret of an https:// webhook (default: one is made)."),
    ] = None,
) -> None:
    """Route events to a channel (its hosts must pass the SSRF rules)."""
    from argusai.egress.ssrf import UnsafeURL
    from argusai.notify.routes import add_route

    scope, key = _scope(repo, installation, tenant)
    settings, db = _open()
    try:
        added = add_route(
            db, settings, url, scope=scope, key=key or None, events=events, secret=secret
        )
    except UnsafeURL as exc:
        raise InputError(
            f"notification URL refused: {exc.detail}; a private or loopback host must be "
            "allowed with ARGUS_NOTIFY_ALLOWLIST (host names or CIDRs)"
        ) from None
    route = added.route
    where = route.scope if not route.scope_key else f"{route.scope} {route.scope_key}"
    out.print(f"route {route.id}: {route.channel} {route.display} ({where}, events {route.events})")
    if added.generated_secret is not None:
        out.print("webhook signing secret (shown once, store it now):")
        typer.echo(added.generated_secret)


@notify_app.command("list")
def list_routes() -> None:
    """Every route: ARGUS_NOTIFY_URLS's channels (id 'env'), then the stored ones."""
    from argusai.notify.routes import list_routes as routes

    settings, db = _open()
    found = routes(db, settings)
    if not found:
        out.print("no notification routes (argus notify add, or ARGUS_NOTIFY_URLS)")
        return
    table = Table("id", "scope", "channel", "events", "url (masked)")
    for route in found:
        scope = route.scope if not route.scope_key else f"{route.scope} {route.scope_key}"
        ident = "env" if route.id is None else str(route.id)
        table.add_row(ident, scope, route.channel, route.events, route.display)
    out.print(table)


@notify_app.command("remove")
def remove(
    route_id: Annotated[int, typer.Argument(help="The route's id (argus notify list).")],
) -> None:
    """Remove a route (its queued messages are dropped when nothing else names the channel)."""
    from argusai.notify.routes import remove_route

    _settings, db = _open()
    if not remove_route(db, route_id):
        raise InputError(f"no notification route {route_id}")
    out.print(f"route {route_id} removed")


@notify_app.command("test")
def test(
    route_id: Annotated[
        int | None, typer.Argument(help="A route's id; default: every channel.")
    ] = None,
) -> None:
    """Send a test message now (not queued), and say what each channel answered."""
    from argusai.notify.channels import Channel
    from argusai.notify.routes import env_channels, list_routes, route_channel
    from argusai.notify.send import ChannelFailed, ChannelRefused, deliver

    settings, db = _open()
    channels: list[Channel] = []
    if route_id is not None:
        channels.append(route_channel(db, settings, route_id))
    else:
        channels.extend(env_channels(settings))
        channels.extend(
            route_channel(db, settings, r.id) for r in list_routes(db, settings) if r.id is not None
        )
    if not channels:
        raise InputError("no notification channel to test (argus notify add, ARGUS_NOTIFY_URLS)")
    failed = 0
    for channel in dict((c.key, c) for c in channels).values():
        try:
            deliver(channel, test_message(), allowlist=settings.notify_allowlist)
        except (ChannelRefused, ChannelFailed) as exc:
            failed += 1
            out.print(f"failed  {exc}")
        else:
            out.print(f"sent    {channel.display}")
    if failed:
        raise typer.Exit(1)


def test_message() -> Message:
    """A test message, as the channels would get a real one."""
    from datetime import UTC, datetime

    event = StoredEvent(
        kind="scout_finished",
        key="test",
        title="ArgusAI test notification",
        text="If you can read this, notifications reach this channel.",
        link=None,
        installation_id=None,
        repo=None,
        tenant_id=None,
        data={"test": True},
        at=datetime.now(UTC),
    )
    return render(event.kind, [event], notification_id=0)
