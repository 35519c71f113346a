"""GitHub's redirects, followed on the same host only: a token never goes anywhere else.

GitHub answers ``301 Moved Permanently`` for a renamed or transferred repository
(``Location: …/repositories/{id}/…``, body ``{"message", "url"}``). The scout's two
HTTP clients follow such a redirect themselves, at most ``MAX_HOPS`` times, and only to
the origin the request went to (same scheme, host and port) — with the same token. A
redirect anywhere else, or one without a ``Location``, is an error, never an answer.
"""

from __future__ import annotations

import httpx

from argusai.errors import GitHubError
from argusai.github.failures import describe

REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_HOPS = 3


def is_redirect(response: httpx.Response) -> bool:
    """True for the statuses that ask to repeat the request elsewhere."""
    return response.status_code in REDIRECTS


def same_origin_target(response: httpx.Response) -> httpx.URL:
    """Where a redirect points; GitHubError without a Location or to another origin."""
    status, what = response.status_code, describe(response.request)
    location = response.headers.get("location")
    if not location:
        raise GitHubError(f"GitHub answered {status} without a Location on {what}", status=status)
    origin = response.request.url
    try:
        target = origin.join(location)
    except httpx.InvalidURL:
        raise GitHubError(
            f"GitHub answered {status} with a bad Location on {what}", status=status
        ) from None
    if (target.scheme, target.host, target.port) != (origin.scheme, origin.host, origin.port):
        raise GitHubError(
            f"GitHub redirected {what} ({status}) to another host ({target.host}): not followed",
            status=status,
        )
    return target


def too_many(response: httpx.Response) -> GitHubError:
    """The error for a chain of redirects longer than MAX_HOPS."""
    return GitHubError(
        f"more than {MAX_HOPS} redirects from {describe(response.request)}",
        status=response.status_code,
    )
