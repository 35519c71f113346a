"""``argus dashboard-token``: a one-time local sign-in link (admin) for a server without OAuth."""

from __future__ import annotations

from typing import Annotated

import typer

from argusai.errors import ConfigError
from argusai.logs import command_settings
from argusai.store.audit import cli_actor
from argusai.web.dashboard import local_link


def dashboard_token_command(
    url: Annotated[
        str, typer.Option(help="Where the server is reached (as 'argus serve' listens).")
    ] = "http://127.0.0.1:8000",
    minutes: Annotated[
        float, typer.Option(min=1, max=60, help="How long the link works (once).")
    ] = local_link.DEFAULT_MINUTES,
) -> None:
    """Print a one-time sign-in link to the dashboard (admin; only when OAuth is not set)."""
    settings = command_settings()
    if settings.dashboard_oauth():
        raise ConfigError(
            "sign-in with GitHub is configured (ARGUS_GITHUB_CLIENT_ID): local links are off; "
            "sign in at /dashboard"
        )
    from argusai.store.db import ensure_data_dir

    ensure_data_dir(settings.data_dir)
    link = local_link.create(settings.data_dir, cli_actor(), minutes=minutes)
    typer.echo(f"{url.rstrip('/')}/dashboard/local?token={link.token}")
    typer.echo(
        f"(one use, within {minutes:g} minutes, by a server using {settings.data_dir})", err=True
    )
