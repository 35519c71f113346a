"""Optional error tracking with Sentry: off unless ``ARGUS_SENTRY_DSN`` (or ``SENTRY_DSN``) is set.

Nothing that users sent us or the LLM said leaves the process, and no secret does:

* no request bodies, cookies or query strings; secret-looking headers filtered;
* no local variables (``include_local_variables=False``; any left in a frame are dropped);
* values under payload-like keys (webhook payloads, prompts, LLM answers, diffs, logs)
  replaced by ``[Filtered]``;
* every remaining string goes through the :class:`~argusai.core.secrets.Redactor` (the
  settings' secrets in every encoding, token shapes, the environment's secret variables)
  and is cut to :data:`MAX_TEXT` characters.

``argus serve`` and ``argus worker`` call :func:`init_sentry`; :func:`capture` reports a
crash of a work item (the worker catches those, so no integration sees them). Of the SDK's
integrations only the defaults (logging, uncaught exceptions, threads) and the web
framework's run: the LLM SDKs' integrations would record prompts and answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from argusai import __version__
from argusai.core.secrets import Redactor
from argusai.settings import Settings

FILTERED = "[Filtered]"
MAX_TEXT = 2000
MAX_DEPTH = 12
#: keys whose values are what someone sent us or the LLM said: never sent to Sentry
PAYLOAD_KEYS = frozenset(
    {
        "payload",
        "body",
        "prompt",
        "prompts",
        "system",
        "user_prompt",
        "messages",
        "completion",
        "answer",
        "raw",
        "text",
        "content",
        "diff",
        "patch",
        "log",
        "logs",
        "result",
        "request_body",
        "response_body",
        "vars",  # a frame's local variables
    }
)
_SECRET_HEADER = re.compile(r"auth|cookie|token|secret|key|signature|session", re.IGNORECASE)
_REQUEST_DROPPED = ("data", "cookies", "query_string", "env")

_active = False


def _text(value: str, redactor: Redactor) -> str:
    value = redactor.redact(value)
    return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + "…[cut]"


def scrub(value: Any, redactor: Redactor, depth: int = 0) -> Any:
    """``value`` with payload-like keys filtered and every string redacted and cut."""
    if depth > MAX_DEPTH:
        return FILTERED
    if isinstance(value, str):
        return _text(value, redactor)
    if isinstance(value, Mapping):
        return {
            key: FILTERED if str(key).lower() in PAYLOAD_KEYS else scrub(item, redactor, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(item, redactor, depth + 1) for item in value]
    return value


def _request(request: Mapping[str, Any], redactor: Redactor) -> dict[str, Any]:
    kept = {k: v for k, v in request.items() if k not in _REQUEST_DROPPED}
    headers = kept.get("headers")
    if isinstance(headers, Mapping):
        kept["headers"] = {
            name: FILTERED if _SECRET_HEADER.search(str(name)) else value
            for name, value in headers.items()
        }
    url = kept.get("url")
    if isinstance(url, str):
        kept["url"] = url.split("?", 1)[0]
    scrubbed: dict[str, Any] = scrub(kept, redactor)
    return scrubbed


def scrub_event(event: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """The event as it may leave the process (the ``before_send`` of :func:`init_sentry`)."""
    event = dict(event)
    request = event.pop("request", None)
    event.pop("user", None)  # no user data: the only "users" we see are in payloads
    scrubbed: dict[str, Any] = scrub(event, redactor)
    if isinstance(request, Mapping):
        scrubbed["request"] = _request(request, redactor)
    return scrubbed


def settings_secret_values(settings: Settings) -> list[str]:
    """Every secret the settings hold: each ``SecretStr`` field, the App's key, the LLM key."""
    found = [
        value.get_secret_value()
        for name in type(settings).model_fields
        if isinstance(value := getattr(settings, name), SecretStr)
    ]
    try:
        pem = settings.private_key_pem()
    except OSError:
        pem = None
    return [*found, *(v for v in (pem, settings.llm_api_key_value()) if v)]


def init_sentry(settings: Settings, *, role: str) -> bool:
    """Start reporting errors when a DSN is set; True if it did."""
    global _active
    dsn = settings.sentry_dsn.get_secret_value() if settings.sentry_dsn else ""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.fastapi import FastApiIntegration
    from sentry_sdk.integrations.starlette import StarletteIntegration

    redactor = Redactor.of(settings_secret_values(settings))

    def before_send(event: Any, _hint: Any) -> Any:
        return scrub_event(event, redactor)

    def before_breadcrumb(crumb: Any, _hint: Any) -> Any:
        return scrub(crumb, redactor)

    sentry_sdk.init(
        dsn=dsn,
        release=f"argusai@{__version__}",
        environment=settings.sentry_environment,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=settings.sentry_traces_sample_rate,
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
        # only the web framework's: the SDK would otherwise import (seconds) and hook every
        # library it knows, the LLM SDKs among them, which record prompts and answers
        auto_enabling_integrations=False,
        integrations=[StarletteIntegration(), FastApiIntegration()],
    )
    sentry_sdk.set_tag("argus.process", role)
    _active = True
    return True


def capture(exc: BaseException) -> None:
    """Report ``exc`` when Sentry is on (a crashed work item); nothing otherwise."""
    if not _active:
        return
    import sentry_sdk

    sentry_sdk.capture_exception(exc)
