"""githubkit exceptions → ArgusAI's error tree, with messages that carry no secrets."""

from __future__ import annotations

import json
import re
import time

import httpx
from githubkit.exception import (
    GitHubException,
    RateLimitExceeded,
    RequestError,
    RequestFailed,
    RequestTimeout,
)

from argusai.errors import (
    ArgusError,
    GitHubError,
    GitHubRateLimited,
    GitHubTransientError,
)

# Anything shaped like a credential is cut from messages, whatever echoed it.
_SECRET_RE = re.compile(
    r"(gh[opsur]_[A-Za-z0-9_]{8,}|github_pat_[A-Za-z0-9_]{8,}"
    r"|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
    r"|-----BEGIN[^-]*-----.*?(-----END[^-]*-----|$)"
    r"|(?i:(?:token|bearer)\s+)[A-Za-z0-9_.-]{8,})",
    re.DOTALL,
)
_MAX_DETAIL = 300


def redact(text: str) -> str:
    """``text`` with anything that looks like a token or key replaced by ``***``."""
    return _SECRET_RE.sub("***", text)


def _detail(response: httpx.Response) -> str:
    """GitHub's own explanation from an error body: message plus errors, short."""
    try:
        data = json.loads(response.content)
    except (ValueError, httpx.ResponseNotRead):
        return ""
    if not isinstance(data, dict):
        return ""
    parts = [str(data.get("message") or "")]
    errors = data.get("errors")
    if errors:
        parts.append(json.dumps(errors, ensure_ascii=False, default=str))
    return redact(": ".join(p for p in parts if p))[:_MAX_DETAIL]


def _header_float(response: httpx.Response, name: str) -> float | None:
    try:
        return float(response.headers[name])
    except (KeyError, ValueError):
        return None


def _rate_limited(response: httpx.Response, what: str) -> GitHubRateLimited:
    reset_at = _header_float(response, "x-ratelimit-reset")
    retry_after = _header_float(response, "retry-after")
    if retry_after is None and reset_at is not None:
        retry_after = max(0.0, reset_at - time.time())
    if retry_after is None:
        retry_after = 60.0  # GitHub's advice when it gives no hint
    kind = "secondary" if "retry-after" in response.headers else "primary"
    detail = _detail(response)
    return GitHubRateLimited(
        f"GitHub {kind} rate limit on {what} ({response.status_code}); "
        f"retry in {retry_after:.0f} s" + (f": {detail}" if detail else ""),
        retry_after=retry_after,
        reset_at=reset_at,
    )


def _looks_rate_limited(response: httpx.Response) -> bool:
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    return (
        "retry-after" in response.headers
        or response.headers.get("x-ratelimit-remaining") == "0"
        or "rate limit" in _detail(response).lower()
    )


def describe(request: httpx.Request) -> str:
    """``METHOD /path`` of a request, for messages and logs (never headers)."""
    return f"{request.method} {request.url.path}"


def from_response(response: httpx.Response) -> ArgusError:
    """The ArgusAI error for a GitHub error response."""
    what = describe(response.request)
    status = response.status_code
    if _looks_rate_limited(response):
        return _rate_limited(response, what)
    detail = _detail(response)
    suffix = f": {detail}" if detail else ""
    if status >= 500:
        return GitHubTransientError(f"GitHub {status} on {what}{suffix}")
    return GitHubError(f"GitHub refused {what} with {status}{suffix}", status=status)


def from_githubkit(exc: GitHubException, *, what: str) -> ArgusError:
    """Map a githubkit exception to ArgusAI's error tree; ``what`` names the call."""
    if isinstance(exc, RateLimitExceeded | RequestFailed):
        return from_response(exc.response.raw_response)
    if isinstance(exc, RequestTimeout):
        return GitHubTransientError(f"GitHub timed out on {what}")
    if isinstance(exc, RequestError):
        inner = exc.exc
        if isinstance(inner, ArgusError):  # raised by our auth flow (token minting)
            return inner
        if isinstance(inner, httpx.TransportError):
            return GitHubTransientError(f"cannot reach GitHub for {what}: {type(inner).__name__}")
        return GitHubError(f"GitHub request {what} failed: {type(inner).__name__}")
    return GitHubError(f"GitHub call {what} failed: {type(exc).__name__}")
