"""Send one message to one channel: apprise for Slack, Discord and email, the callbacks'
signed POST (:func:`argusai.egress.signed.post_signed`) for the JSON webhook.

Failures map onto the work queue's errors: a refused URL (SSRF rules) or a 4xx from a
webhook is a :class:`ChannelRefused` (the notification fails, no retry); anything else is
a :class:`ChannelFailed` (retried with backoff, then a dead letter). The channel's
secrets never reach a log line or a stored error: apprise's own log records are scrubbed
while this thread sends, and its error text is redacted before it is kept.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpx

from argusai.core.secrets import all_forms, redact
from argusai.core.url_secrets import url_secret_parts
from argusai.egress.signed import CallbackFailed, post_signed
from argusai.egress.ssrf import Resolver, UnsafeURL, system_resolver
from argusai.errors import PermanentError, TransientError
from argusai.notify.channels import Channel, ChannelKind, apprise_module, check_channel
from argusai.notify.render import Message

USER_AGENT = "ArgusAI-Notify/1"
MASK = "[REDACTED]"
#: webhook answers that retrying will not change (the others: retried, then a dead letter)
_REFUSALS = range(400, 500)
_RETRIED_4XX = {408, 409, 425, 429}


class ChannelRefused(PermanentError):
    """The channel may not be called (SSRF rules) or refused the message for good."""


class ChannelFailed(TransientError):
    """The channel could not be reached or failed; worth another try."""


#: the secrets of the channel being sent to, in this context (apprise sends from its own
#: thread pool, but copies the caller's context into it)
_sending: ContextVar[tuple[str, ...]] = ContextVar("argus_notify_secrets", default=())


class _Scrubber(logging.Filter):
    """Scrubs the records of apprise's logger of the secrets of what this context sends."""

    @contextmanager
    def secrets(self, forms: list[str]) -> Iterator[None]:
        token = _sending.set(tuple(forms))
        try:
            yield
        finally:
            _sending.reset(token)

    def filter(self, record: logging.LogRecord) -> bool:
        forms = _sending.get()
        if forms:
            record.msg, record.args = redact(record.getMessage(), forms, MASK), ()
        return True


_scrubber = _Scrubber()
_install_lock = threading.Lock()


#: loggers that see a channel's URL: apprise's, and urllib3's (requests' connection pool
#: logs each request line, path and all, at DEBUG)
SCRUBBED_LOGGERS = ("apprise", "urllib3.connectionpool", "urllib3.connection", "urllib3.util")


def _scrubbing(forms: list[str]) -> Any:
    with _install_lock:
        for name in SCRUBBED_LOGGERS:
            logger = logging.getLogger(name)
            if _scrubber not in logger.filters:
                logger.addFilter(_scrubber)
    return _scrubber.secrets(forms)


def deliver(
    channel: Channel,
    message: Message,
    *,
    allowlist: tuple[str, ...],
    resolver: Resolver = system_resolver,
    transport: httpx.BaseTransport | None = None,
) -> None:
    """Send ``message``; ChannelRefused or ChannelFailed (texts free of the channel's secrets)."""
    forms = all_forms([*url_secret_parts(channel.url), channel.secret])
    try:
        check_channel(channel, allowlist, resolver)
    except UnsafeURL as exc:
        raise ChannelRefused(
            f"{channel.display} refused: {redact(exc.detail, forms, MASK)} "
            "(ARGUS_NOTIFY_ALLOWLIST admits a host or CIDR)"
        ) from None
    if channel.kind is ChannelKind.WEBHOOK:
        _post_webhook(channel, message, allowlist, resolver, transport, forms)
    else:
        _apprise(channel, message, forms)


def _post_webhook(
    channel: Channel,
    message: Message,
    allowlist: tuple[str, ...],
    resolver: Resolver,
    transport: httpx.BaseTransport | None,
    forms: list[str],
) -> None:
    if not channel.secret:
        raise ChannelRefused(f"{channel.display}: no signing secret for this webhook")
    body = json.dumps(
        {**message.payload, "sent_at": int(time.time())}, separators=(",", ":"), ensure_ascii=False
    ).encode()
    try:
        post_signed(
            channel.url,
            body,
            channel.secret,
            allowlist=allowlist,
            resolver=resolver,
            transport=transport,
            user_agent=USER_AGENT,
        )
    except UnsafeURL as exc:  # a redirect hop, or DNS changed since the check
        raise ChannelRefused(
            f"{channel.display} refused: {redact(exc.detail, forms, MASK)}"
        ) from None
    except CallbackFailed as exc:
        text = f"{channel.display}: {redact(str(exc), forms, MASK)}"
        if exc.status in _REFUSALS and exc.status not in _RETRIED_4XX:
            raise ChannelRefused(text) from None
        raise ChannelFailed(text) from None


def _apprise(channel: Channel, message: Message, forms: list[str]) -> None:
    apprise = apprise_module()
    sender = apprise.Apprise(
        asset=apprise.AppriseAsset(app_id="ArgusAI", app_desc="ArgusAI notifications")
    )
    with _scrubbing(forms):
        if not sender.add(channel.url):
            raise ChannelRefused(f"{channel.display}: apprise cannot use this URL")
        result = sender.notify(
            body=message.body or message.title,
            title=message.title,
            notify_type=apprise.NotifyType(message.level),
            body_format=apprise.NotifyFormat.TEXT,
        )
    if result:
        return
    said = "; ".join(dict.fromkeys(entry.message for entry in result.logs()))
    raise ChannelFailed(f"{channel.display}: {redact(said, forms, MASK)[:400] or 'not delivered'}")
