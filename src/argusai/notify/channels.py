"""Channels: what a URL means (Slack, Discord, email, a signed JSON webhook), and whether
ArgusAI may call it.

=================================================  =========================================
URL                                                channel
=================================================  =========================================
``slack://T…/B…/…``, ``https://hooks.slack.com/…``  Slack incoming webhook (apprise)
``discord://ID/TOKEN``, ``https://discord.com/…``   Discord webhook (apprise)
``mailto://`` / ``mailtos://user:pass@host?to=…``   email over SMTP (apprise)
any other ``https://`` (or ``http://``) URL         JSON webhook signed like the callbacks
=================================================  =========================================

Every host a channel reaches (Slack's or Discord's endpoint, the SMTP server, the
webhook) must pass the callbacks' SSRF rules (:mod:`argusai.egress.ssrf`) unless
``ARGUS_NOTIFY_ALLOWLIST`` admits it. Apprise resolves the name again when it connects;
the signed webhook connects to the checked address itself.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from argusai.egress.ssrf import Resolver, UnsafeURL, check_host, check_url, system_resolver
from argusai.errors import InputError


class ChannelKind(StrEnum):
    SLACK = "slack"
    DISCORD = "discord"
    EMAIL = "email"
    WEBHOOK = "webhook"


SUPPORTED = "slack://, discord://, mailto:// or mailtos:// (SMTP), or an https:// webhook"
_APPRISE_SCHEMES = {"slack", "discord", "mailto", "mailtos"}
_PLUGINS = {"NotifySlack": ChannelKind.SLACK, "NotifyDiscord": ChannelKind.DISCORD}


@dataclass(frozen=True)
class Channel:
    """A destination: its kind, URL (a secret), masked form, key, and signing secret.

    ``key`` names the channel in the tables without its secret: a hash of the URL in
    apprise's canonical form, so ``slack://T/B/C`` and ``https://hooks.slack.com/services/
    T/B/C`` (or two routes naming one webhook) are one channel, deduplicated and limited
    together.
    """

    kind: ChannelKind
    url: str = field(repr=False)
    display: str
    key: str
    secret: str | None = field(default=None, repr=False)


def channel_key(canonical: str) -> str:
    """The key of a channel from its canonical URL."""
    return hashlib.sha256(canonical.strip().encode()).hexdigest()[:32]


_load_lock = threading.Lock()
_loaded = False


def apprise_module() -> Any:
    """apprise, its plugins loaded once (apprise 2.x imports the deprecated ``imghdr``
    while loading them: that one warning is not ours to fail on)."""
    global _loaded
    import apprise

    with _load_lock:
        if not _loaded:
            with warnings.catch_warnings():
                warnings.filterwarnings(
                    "ignore", message="'imghdr' is deprecated", category=DeprecationWarning
                )
                plugins: Any = apprise.manager_plugins  # its manager is untyped
                plugins.NotificationManager().load_modules()
            _loaded = True
    return apprise


def apprise_plugin(url: str) -> Any:
    """apprise's plugin instance for ``url``, or None when apprise does not know it."""
    apprise = apprise_module()
    return apprise.Apprise.instantiate(url, suppress_exceptions=True) or None


def parse_channel(url: str, secret: str | None = None) -> Channel:
    """The channel a URL names; InputError when it is not one ArgusAI sends to."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
    except ValueError:
        raise InputError(f"not a URL: use {SUPPORTED}") from None
    if scheme in _APPRISE_SCHEMES or scheme in ("http", "https"):
        plugin = apprise_plugin(url) if scheme not in ("http",) else None
        kind = _kind_of(plugin, scheme)
        if plugin is not None and kind is not None:
            return Channel(kind, url, _masked(plugin), channel_key(str(plugin.url())))
        if scheme in _APPRISE_SCHEMES:
            raise InputError(f"not a valid {scheme}:// URL (see apprise's documentation)")
        if not parts.hostname:
            raise InputError("the webhook URL has no host")
        return Channel(ChannelKind.WEBHOOK, url, _masked_webhook(url), channel_key(url), secret)
    raise InputError(f"unsupported channel {scheme or '(no scheme)'}://: use {SUPPORTED}")


def _kind_of(plugin: Any, scheme: str) -> ChannelKind | None:
    if plugin is None:
        return None
    name = type(plugin).__name__
    if name in _PLUGINS:
        return _PLUGINS[name]
    if name == "NotifyEmail" and scheme in ("mailto", "mailtos"):
        return ChannelKind.EMAIL
    return None


def _masked(plugin: Any) -> str:
    """apprise's privacy form (tokens cut to first…last character), without its options."""
    return str(plugin.url(privacy=True)).split("?", 1)[0].rstrip("/")


def _masked_webhook(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return f"{parts.scheme}://{netloc}/…" if parts.path.strip("/") else f"{parts.scheme}://{netloc}"


def targets(channel: Channel) -> list[tuple[str, int]]:
    """Every (host, port) the channel's messages go to (apprise's endpoints as it builds them)."""
    if channel.kind is ChannelKind.WEBHOOK:
        parts = urlsplit(channel.url)
        return [(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))]
    plugin = apprise_plugin(channel.url)
    if plugin is None:
        raise InputError(f"not a valid channel URL: {channel.display}")
    if channel.kind is ChannelKind.EMAIL:
        return [(str(plugin.smtp_host), int(plugin.port or (465 if plugin.secure else 25)))]
    return [_host_port(_endpoint(plugin, channel.kind))]


def _endpoint(plugin: Any, kind: ChannelKind) -> str:
    """The base URL apprise posts to (a class attribute: tests point it at a local fake)."""
    if kind is ChannelKind.DISCORD:
        return str(plugin.notify_url)
    mode = str(getattr(plugin, "mode", "hook"))
    attribute = {
        "hook": "webhook_url",
        "gov-hook": "webhook_gov_url",
        "workflow": "workflow_url",
        "workflow-trigger": "workflow_trigger_url",
    }.get(mode, "api_url")
    return str(getattr(plugin, attribute))


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def check_channel(
    channel: Channel, allowlist: tuple[str, ...], resolver: Resolver = system_resolver
) -> None:
    """UnsafeURL (``detail`` says why) unless every host the channel reaches may be called."""
    if channel.kind is ChannelKind.WEBHOOK:
        check_url(channel.url, allowlist, resolver)
        return
    for host, port in targets(channel):
        if not host:
            raise UnsafeURL(detail="the channel has no host")
        check_host(host, port, allowlist, resolver)
