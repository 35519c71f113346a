"""A GitHubRepoClient from a plain token: a workflow's ``GITHUB_TOKEN`` (the GitHub Action).

The same client as an App installation's (:class:`InstallationClient`: retries, error
mapping, pagination), authenticated with the token instead of the App's JWT. What the token
may do is what the workflow's ``permissions:`` grant; what it posts is authored by
``github-actions[bot]``.
"""

from __future__ import annotations

from typing import Any

import httpx
from githubkit import GitHub, TokenAuthStrategy

from argusai.errors import ConfigError
from argusai.github.client import InstallationClient
from argusai.github.rest import EVENT_HOOKS, GitHubRest
from argusai.github.retry import InlineRetry

USER_AGENT = "ArgusAI Action (githubkit)"
#: the slug of the App behind a workflow's ``GITHUB_TOKEN`` (its check runs, its comments'
#: author ``github-actions[bot]``)
ACTIONS_APP_SLUG = "github-actions"


def token_client(
    token: str,
    *,
    base_url: str = "https://api.github.com",
    api_version: str = "2022-11-28",
    timeout: float = 30.0,
    max_inline_wait: float = 20.0,
    transport: httpx.BaseTransport | None = None,
) -> InstallationClient:
    """The repository client acting with ``token`` against ``base_url`` (``GITHUB_API_URL``
    on GitHub Enterprise Server)."""
    if not token.strip():
        raise ConfigError("GITHUB_TOKEN is empty: pass it to the step (env: GITHUB_TOKEN)")
    options: dict[str, Any] = {
        "base_url": base_url,
        "user_agent": USER_AGENT,
        "timeout": timeout,
        "event_hooks": EVENT_HOOKS,
        "http_cache": False,
        # a workflow step may wait a little longer inline than a shared worker thread
        "auto_retry": InlineRetry(max_inline_wait=max_inline_wait, server_retries=2),
    }
    if transport is not None:
        options["transport"] = transport
    github: GitHub[Any] = GitHub(TokenAuthStrategy(token.strip()), **options)
    # id 0: no installation; the token's own repository is all it sees
    return InstallationClient(GitHubRest(github, api_version=api_version), 0)
