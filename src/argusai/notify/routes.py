"""Routes: which channels get which events, for everything, an installation, a repository
or a tenant. The channels of ``ARGUS_NOTIFY_URLS`` are global routes that live in the
settings; the others are rows (``argus notify add``), their URL and webhook secret
encrypted with the server's key (:mod:`argusai.egress.secretbox`).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import structlog
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.exc import IntegrityError

from argusai.egress import secretbox
from argusai.egress.ssrf import Resolver, system_resolver
from argusai.errors import ConfigError, InputError
from argusai.notify.channels import Channel, ChannelKind, check_channel, parse_channel
from argusai.notify.events import EVENT_KINDS, Event
from argusai.notify.models import NotifyRoute
from argusai.settings import Settings
from argusai.store.db import Database

log = structlog.get_logger(__name__)

SCOPES = ("global", "installation", "repository", "tenant")
ALL = "*"


@dataclass(frozen=True)
class Route:
    """A route as listed: ``id`` None for a channel of ``ARGUS_NOTIFY_URLS``."""

    id: int | None
    scope: str
    scope_key: str
    events: str
    channel: str
    channel_key: str
    display: str

    def wants(self, kind: str) -> bool:
        """True when the route takes events of ``kind``."""
        return self.events == ALL or kind in self.events.split(",")


@dataclass(frozen=True)
class Added:
    """A new route, and the webhook signing secret when ArgusAI made it (shown once)."""

    route: Route
    generated_secret: str | None


def parse_events(value: str | Iterable[str] | None) -> str:
    """``*`` or a sorted comma-separated list of known kinds; InputError naming the known ones."""
    names = value.split(",") if isinstance(value, str) else list(value or [])
    names = [n.strip() for n in names if n.strip()]
    if not names or ALL in names:
        return ALL
    unknown = sorted(set(names) - set(EVENT_KINDS))
    if unknown:
        raise InputError(f"unknown event(s) {', '.join(unknown)}: one of {', '.join(EVENT_KINDS)}")
    return ",".join(sorted(set(names)))


def _scope_key(scope: str, key: str | None) -> str:
    if scope not in SCOPES:
        raise InputError(f"unknown scope {scope!r}: one of {', '.join(SCOPES)}")
    if scope == "global":
        return ""
    if not key or not key.strip():
        raise InputError(f"a {scope} route needs its {scope}")
    key = key.strip()
    if scope == "installation" and not key.isdigit():
        raise InputError(f"an installation id is a number, not {key!r}")
    if scope == "repository":
        if key.count("/") != 1 or not all(key.split("/")):
            raise InputError(f"a repository is owner/name, not {key!r}")
        return key.lower()
    return key


def add_route(
    db: Database,
    settings: Settings,
    url: str,
    *,
    scope: str = "global",
    key: str | None = None,
    events: str | None = None,
    secret: str | None = None,
    resolver: Resolver = system_resolver,
) -> Added:
    """Check the channel (kind, SSRF rules: UnsafeURL) and store a route to it."""
    scope_key = _scope_key(scope, key)
    wanted = parse_events(events)
    channel = parse_channel(url, secret)
    generated = None
    if channel.kind is ChannelKind.WEBHOOK and not secret:
        generated = secrets.token_urlsafe(32)
        channel = parse_channel(url, generated)
    check_channel(channel, settings.notify_allowlist, resolver)
    row = NotifyRoute(
        scope=scope,
        scope_key=scope_key,
        channel=channel.kind.value,
        channel_key=channel.key,
        url_encrypted=secretbox.encrypt(settings, channel.url),
        url_display=channel.display[:512],
        secret_encrypted=secretbox.encrypt(settings, channel.secret) if channel.secret else None,
        events=wanted,
    )
    try:
        with db.session() as s:
            s.add(row)
            s.flush()
            route = _route(row)
    except IntegrityError:
        raise InputError(f"{channel.display} is already routed for this {scope}") from None
    return Added(route, generated)


def remove_route(db: Database, route_id: int) -> bool:
    """Delete a route; False when there is none with that id."""
    with db.session() as s:
        result = s.execute(delete(NotifyRoute).where(NotifyRoute.id == route_id))
        return bool(getattr(result, "rowcount", 0))


def list_routes(db: Database, settings: Settings) -> list[Route]:
    """The settings' channels, then the stored routes by id."""
    found = [_env_route(c, settings) for c in env_channels(settings)]
    with db.session() as s:
        found.extend(_route(r) for r in s.scalars(select(NotifyRoute).order_by(NotifyRoute.id)))
    return found


def env_channels(settings: Settings, *, strict: bool = True) -> list[Channel]:
    """The channels of ``ARGUS_NOTIFY_URLS``; ConfigError on one ArgusAI cannot use (or, not
    ``strict``, a warning and the others)."""
    secret = settings.notify_webhook_secret
    return list(
        _env_channels(
            tuple(settings.notify_url_list()),
            secret.get_secret_value() if secret is not None else None,
            strict,
        )
    )


@functools.lru_cache(maxsize=8)
def _env_channels(urls: tuple[str, ...], secret: str | None, strict: bool) -> tuple[Channel, ...]:
    found = []
    for index, url in enumerate(urls, 1):
        try:
            channel = parse_channel(url, secret)
            if channel.kind is ChannelKind.WEBHOOK and not secret:
                raise InputError("an https:// webhook needs ARGUS_NOTIFY_WEBHOOK_SECRET to sign")
        except InputError as exc:
            # the URL is a secret: say which one by position only
            message = f"ARGUS_NOTIFY_URLS: channel {index}: {exc}"
            if strict:
                raise ConfigError(message) from None
            log.warning("notification channel ignored", reason=message)
            continue
        found.append(channel)
    return tuple(found)


def _env_route(channel: Channel, settings: Settings) -> Route:
    events = parse_events(settings.notify_events) if settings.notify_events else ALL
    return Route(None, "global", "", events, channel.kind.value, channel.key, channel.display)


def _route(row: NotifyRoute) -> Route:
    return Route(
        row.id, row.scope, row.scope_key, row.events, row.channel, row.channel_key, row.url_display
    )


def routes_for(db: Database, settings: Settings, event: Event) -> list[Route]:
    """The routes ``event`` goes to, one per channel (a channel routed twice gets it once)."""
    scoped = [NotifyRoute.scope == "global"]
    if event.installation_id is not None:
        scoped.append(
            and_(
                NotifyRoute.scope == "installation",
                NotifyRoute.scope_key == str(event.installation_id),
            )
        )
    if event.repo:
        scoped.append(
            and_(NotifyRoute.scope == "repository", NotifyRoute.scope_key == event.repo.lower())
        )
    if event.tenant_id:
        scoped.append(and_(NotifyRoute.scope == "tenant", NotifyRoute.scope_key == event.tenant_id))
    candidates = [_env_route(c, settings) for c in env_channels(settings, strict=False)]
    with db.session() as s:
        rows = s.scalars(select(NotifyRoute).where(or_(*scoped)).order_by(NotifyRoute.id))
        candidates.extend(_route(r) for r in rows)
    chosen: dict[str, Route] = {}
    for route in candidates:
        if route.wants(event.kind):
            chosen.setdefault(route.channel_key, route)
    return list(chosen.values())


def channel_for(db: Database, settings: Settings, channel_key: str) -> Channel | None:
    """The channel with this key (its URL and secret), or None when no route names it now."""
    for channel in env_channels(settings, strict=False):
        if channel.key == channel_key:
            return channel
    with db.session() as s:
        row = s.scalars(
            select(NotifyRoute).where(NotifyRoute.channel_key == channel_key).limit(1)
        ).first()
        if row is None:
            return None
        url = secretbox.decrypt(settings, row.url_encrypted)
        secret = secretbox.decrypt(settings, row.secret_encrypted) if row.secret_encrypted else None
    return parse_channel(url, secret)


def route_channel(db: Database, settings: Settings, route_id: int) -> Channel:
    """The channel of a stored route (``argus notify test``); InputError when there is none."""
    with db.session() as s:
        row = s.get(NotifyRoute, route_id)
        if row is None:
            raise InputError(f"no notification route {route_id}")
        url = secretbox.decrypt(settings, row.url_encrypted)
        secret = secretbox.decrypt(settings, row.secret_encrypted) if row.secret_encrypted else None
    return parse_channel(url, secret)
