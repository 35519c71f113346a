"""Structured logging (structlog): JSON when not on a TTY, secrets scrubbed from every event."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import Any

import structlog
from pydantic import SecretStr
from structlog.typing import EventDict, WrappedLogger

from argusai.core.secrets import all_forms, redact
from argusai.core.url_secrets import url_secret_parts
from argusai.settings import LogFormat, Settings, load_settings

REDACTED = "[REDACTED]"


class SecretScrubber:
    """A processor that replaces any known secret value in an event with ``[REDACTED]``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # as written and URL-encoded / JSON-escaped / base64: a key echoed in a URL is a key
        self.secrets = all_forms(secrets)

    def scrub(self, value: Any) -> Any:
        """Scrub strings, recursing into containers."""
        if isinstance(value, str):
            return redact(value, self.secrets, REDACTED)
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.scrub(v) for v in value)
        return value

    def __call__(self, _logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
        if not self.secrets:
            return event
        return {k: self.scrub(v) for k, v in event.items()}


def settings_secrets(settings: Settings) -> list[str]:
    """Every secret value the settings hold (and each line of the private key)."""
    found: list[str] = []
    # every SecretStr setting, present and future (webhook secret, API keys, OAuth client
    # secret, secret key, tokens, …)
    for name in type(settings).model_fields:
        secret = getattr(settings, name, None)
        if isinstance(secret, SecretStr) and secret.get_secret_value():
            found.append(secret.get_secret_value())
    llm_key = settings.llm_api_key_value()
    if llm_key:
        found.append(llm_key)
    # notification channels: a Slack/Discord URL is a token, an SMTP URL holds a password
    for url in settings.notify_url_list():
        found.extend(url_secret_parts(url))
    if settings.notify_webhook_secret is not None:
        found.append(settings.notify_webhook_secret.get_secret_value())
    try:
        pem = settings.private_key_pem()
    except OSError:
        pem = None
    if pem:
        found.append(pem)
        found.extend(line for line in pem.splitlines() if len(line) > 20 and "-----" not in line)
    return found


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    # resolved per logger, not once: whoever swaps sys.stderr (a test runner) and closes
    # the old stream must not break later log lines
    return structlog.PrintLogger(sys.stderr)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stdlib handler writing to the current ``sys.stderr`` (see ``_stderr_logger``)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(
    settings: Settings, *, extra_secrets: Iterable[str] = (), default_level: str | None = None
) -> None:
    """Set up structlog and stdlib logging once per process.

    ``default_level`` replaces ``ARGUS_LOG_LEVEL``'s default when that variable is not set:
    one-shot commands pass ``WARNING`` (their output is the result, not a log), servers
    and workers keep ``INFO``.
    """
    explicit = "log_level" in settings.model_fields_set
    level = getattr(logging, settings.log_level if explicit or not default_level else default_level)
    fmt = settings.log_format
    if fmt is LogFormat.AUTO:
        fmt = LogFormat.CONSOLE if sys.stderr.isatty() else LogFormat.JSON
    scrubber = SecretScrubber([*settings_secrets(settings), *extra_secrets])
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        scrubber,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt is LogFormat.JSON
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    # stdlib loggers (uvicorn, huey, alembic) go through the same scrubbing renderer
    handler = _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared[1:],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "httpx2", "httpcore2"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def command_settings(*, server: bool = False) -> Settings:
    """Settings and logging for a command: servers log at INFO, one-shot commands warnings."""
    settings = load_settings()
    configure_logging(settings, default_level=None if server else "WARNING")
    return settings
