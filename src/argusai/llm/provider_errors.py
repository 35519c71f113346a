"""Turn a provider's HTTP failure into ArgusAI's error tree, with secrets scrubbed.

Shared by the OpenAI-compatible and Anthropic adapters: both SDKs expose a status
code, the response headers and the decoded body of a failed call.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterable, Mapping
from typing import Any

from argusai.core.secrets import all_forms
from argusai.core.secrets import redact as redact_forms
from argusai.errors import LLMError, LLMRateLimited, LLMTransientError

# 408 request timeout, 409 conflict (OpenAI's lock contention), 425 too early;
# 429 is handled apart; 5xx (incl. Anthropic's 529 "overloaded") is transient too.
TRANSIENT_STATUSES = frozenset({408, 409, 425})
_DETAIL_LIMIT = 300


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret (6+ characters; also URL-encoded or base64) as ``***``."""
    return redact_forms(text, all_forms(secrets))


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms:
        try:
            return max(float(raw_ms) / 1000.0, 0.0)
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if not raw:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


def error_detail(body: Any) -> str:
    """The human-readable message in an error body (``{"error": {"message": …}}``)."""
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            message = err.get("message")
            if isinstance(message, str):
                return message
        elif isinstance(err, str):
            return err
    if isinstance(body, str):
        return body
    return ""


def error_for_status(
    *,
    status: int,
    headers: Mapping[str, str],
    body: Any,
    provider: str,
    model: str,
    secrets: Iterable[str | None],
) -> LLMError | LLMTransientError:
    """The ArgusAI error for an HTTP failure; its message never holds a secret."""
    detail = redact(error_detail(body), secrets).strip().replace("\n", " ")
    if len(detail) > _DETAIL_LIMIT:
        detail = detail[:_DETAIL_LIMIT] + "…"
    message = f"{provider} model {model!r}: HTTP {status}" + (f": {detail}" if detail else "")
    retry_after = parse_retry_after(headers)
    if status == 429:
        return LLMRateLimited(f"rate limited by {message}", retry_after=retry_after)
    if status >= 500 or status in TRANSIENT_STATUSES:
        return LLMTransientError(f"server error from {message}", retry_after=retry_after)
    hint = {
        401: " (check ARGUS_LLM_API_KEY)",
        403: " (the key may lack access to this model)",
        404: " (unknown model or wrong ARGUS_LLM_BASE_URL)",
    }.get(status, "")
    return LLMError(f"request refused by {message}{hint}")


def mentions_structured_output(status: int, body: Any) -> bool:
    """Whether a 400/422 complains about ``response_format`` / JSON schema support."""
    if status not in (400, 422):
        return False
    text = (error_detail(body) or str(body)).lower()
    return any(
        word in text
        for word in ("response_format", "json_schema", "json schema", "structured output")
    )


def connection_error(
    exc: BaseException, timed_out: bool, provider: str, model: str, secrets: Iterable[str | None]
) -> LLMTransientError:
    """The transient error for a timeout or a failed connection, naming its low-level cause."""
    kind = "timeout" if timed_out else "connection"
    cause = redact(repr(exc.__cause__), secrets)[:200] if exc.__cause__ else kind
    return LLMTransientError(f"{provider} model {model!r}: {kind} error ({cause})")


def unusable_response(exc: BaseException, provider: str, model: str) -> LLMError:
    """The permanent error for any other SDK failure (e.g. a body it could not decode)."""
    return LLMError(f"{provider} model {model!r}: unusable response ({type(exc).__name__})")
