"""``argus app create`` (the GitHub App in one step) and ``argus app manifest``.

The events come from the caller (the composition's router: every event some feature
handles), so the edge stays free of features; see ``argusai/cli.py``.
"""

from __future__ import annotations

import json
import os
import sys
import webbrowser
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated

import typer

from argusai.errors import InputError
from argusai.github.app_files import Destination
from argusai.github.manifest import DEFAULT_NAME, GitHubSite, app_manifest
from argusai.github.manifest_flow import Created, ManifestFlow

DEFAULT_TIMEOUT = 900.0


def _can_open_browser() -> bool:
    """A graphical browser is likely: never start a text browser in this terminal."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _open_browser(url: str) -> bool:
    if not _can_open_browser():
        return False
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


def _report(created: Created) -> None:
    app = created.app
    owner = f" for {app.owner}" if app.owner else ""
    typer.echo(f"Created the GitHub App {app.name!r} (id {app.app_id}){owner}.")
    typer.echo(f"Wrote {created.dest.env_file.resolve()}: {', '.join(created.written)}")
    typer.echo(f"Wrote the private key to {created.dest.key_file.resolve()} (mode 0600)")
    if app.webhook_secret is None:
        typer.echo(
            "warning: GitHub sent no webhook secret: set one in the App's settings and in "
            "ARGUS_GITHUB_WEBHOOK_SECRET",
            err=True,
        )
    shadowed = [name for name in created.written if os.environ.get(name)]
    if shadowed:
        typer.echo(
            f"note: {', '.join(shadowed)} set in this environment win over the .env file",
            err=True,
        )
    typer.echo(f"Install it on your repositories: {app.installation_url}")


def github_app_cli(events: Callable[[], Iterable[str]]) -> typer.Typer:
    """The ``argus app`` commands; ``events`` lists the webhook events ArgusAI handles."""
    group = typer.Typer(help="The GitHub App: create it in one step.", no_args_is_help=True)

    @group.command("create")
    def create(
        url: Annotated[
            str,
            typer.Option(
                "--url",
                prompt="Public address of this ArgusAI server (https://…)",
                help="Where GitHub reaches 'argus serve' (webhooks go to URL/webhooks/github).",
            ),
        ],
        org: Annotated[
            str | None,
            typer.Option(help="Create the App for this organisation (default: your account)."),
        ] = None,
        name: Annotated[str, typer.Option(help="The App's name (editable on GitHub).")] = (
            DEFAULT_NAME
        ),
        github_url: Annotated[
            str, typer.Option(help="github.com, or your GitHub Enterprise server.")
        ] = "https://github.com",
        api_url: Annotated[
            str | None,
            typer.Option(help="The REST API (default: from --github-url, as GitHub lays it out)."),
        ] = None,
        env_file: Annotated[
            Path, typer.Option(help="The .env file to write; the key goes beside it.")
        ] = Path(".env"),
        force: Annotated[
            bool, typer.Option(help="Replace GitHub App credentials already there.")
        ] = False,
        port: Annotated[
            int, typer.Option(min=0, max=65535, help="Local port of the form (0: any free one).")
        ] = 0,
        timeout: Annotated[
            float, typer.Option(min=1, help="Seconds to wait for the App to be created.")
        ] = DEFAULT_TIMEOUT,
        browser: Annotated[
            bool, typer.Option(help="Open the form in a browser when one can be opened.")
        ] = True,
    ) -> None:
        """Create ArgusAI's GitHub App from a manifest and write its credentials to .env."""
        site = GitHubSite.of(github_url, api_url)
        flow = ManifestFlow(
            site=site,
            org=org,
            name=name,
            public_url=url,
            events=events(),
            dest=Destination(env_file),
            force=force,
            port=port,
            say=lambda line: typer.echo(f"argus: {line}", err=True),
        )
        with flow:
            page = flow.start()
            where = f"the organisation {org}" if org else "your account"
            typer.echo(f"Creating a GitHub App for {where} on {site.web_url}.")
            if browser and _open_browser(page):
                typer.echo(f"Opened {page} in your browser.")
            else:
                typer.echo(f"Open {page} in a browser on this machine.")
            typer.echo(f"Waiting up to {timeout:g} s for GitHub (Ctrl-C to stop).", err=True)
            try:
                created = flow.wait(timeout)
            except KeyboardInterrupt:
                raise InputError(
                    "stopped: no App credentials were written", exit_code=130
                ) from None
        _report(created)

    @group.command("manifest")
    def manifest(
        url: Annotated[str, typer.Option("--url", help="The server's public address.")],
        name: Annotated[str, typer.Option(help="The App's name.")] = DEFAULT_NAME,
    ) -> None:
        """Print the App's manifest (permissions, events, URLs) as JSON."""
        data = app_manifest(name=name, public_url=url, redirect_url=None, events=events())
        typer.echo(json.dumps(data, indent=2))

    return group
