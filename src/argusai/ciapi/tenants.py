"""Organisations (tenants) of the analysis API and their callback endpoint and secret."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from argusai.ciapi import audit
from argusai.ciapi.models import Organization, TenantWebhook
from argusai.ciapi.tiers import DEFAULT_TIER, tier_named
from argusai.egress import secretbox
from argusai.settings import Settings
from argusai.store.db import Database

SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret
#: what a tenant's callback can be about (``TenantWebhook.events`` picks among them)
EVENTS = ("analysis.completed", "analysis.failed")


def checked_events(events: list[str] | None) -> list[str] | None:
    """A tenant's events, known ones only; None or empty: every event."""
    if not events:
        return None
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise TenantError(f"unknown events {unknown}: one or more of {', '.join(EVENTS)}")
    return [e for e in EVENTS if e in events]


def subscribed(hook: TenantWebhook, event: str) -> bool:
    """Whether the tenant's webhook wants ``event`` called back (no list: every event)."""
    return not hook.events or event in hook.events


class TenantError(ValueError):
    """A tenant operation that cannot be done (unknown or duplicate name)."""


@dataclass(frozen=True)
class NewTenant:
    """A created tenant and its callback secret, in clear this one time."""

    id: str
    name: str
    tier: str
    webhook_secret: str


def new_webhook_secret() -> str:
    """A random callback signing secret."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def create_tenant(
    db: Database,
    settings: Settings,
    name: str,
    tier: str = DEFAULT_TIER,
    *,
    url: str | None = None,
    actor: audit.Actor = audit.CLI,
) -> NewTenant:
    """Create an organisation with its callback secret (stored encrypted)."""
    tier_obj = tier_named(tier)
    name = name.strip()
    if not name:
        raise TenantError("a tenant needs a name")
    secret = new_webhook_secret()
    with db.session() as s:
        if s.scalar(select(Organization.id).where(Organization.name == name)) is not None:
            raise TenantError(f"a tenant named {name!r} exists already")
        org = Organization(name=name, subscription_tier=tier_obj.name)
        s.add(org)
        s.flush()
        s.add(
            TenantWebhook(
                tenant_id=org.id, url=url, secret_encrypted=secretbox.encrypt(settings, secret)
            )
        )
        audit.record(
            s,
            tenant_id=org.id,
            action="tenant.create",
            actor=actor,
            resource_type="organization",
            resource_id=org.id,
            changes={"tier": tier_obj.name},
        )
        return NewTenant(id=org.id, name=name, tier=tier_obj.name, webhook_secret=secret)


def find_tenant(s: Session, name_or_id: str) -> Organization:
    """The organisation by name or id; TenantError if none."""
    org = s.scalar(
        select(Organization).where(
            (Organization.name == name_or_id) | (Organization.id == name_or_id)
        )
    )
    if org is None:
        raise TenantError(f"no tenant {name_or_id!r}")
    return org


def webhook_of(s: Session, tenant_id: str) -> TenantWebhook | None:
    """The tenant's callback endpoint row."""
    return s.scalar(select(TenantWebhook).where(TenantWebhook.tenant_id == tenant_id))


def configure_webhook(
    db: Database,
    settings: Settings,
    tenant: str,
    *,
    url: str | None = None,
    enable: bool = False,
    rotate_secret: bool = False,
    events: list[str] | None = None,
    actor: audit.Actor = audit.CLI,
) -> str | None:
    """Set the default URL, re-enable after failures, rotate the secret (returned once), or
    choose the events called back (``[]``: every event again; None: unchanged)."""
    chosen = checked_events(events) if events is not None else None
    secret = new_webhook_secret() if rotate_secret else None
    with db.session() as s:
        org = find_tenant(s, tenant)
        hook = webhook_of(s, org.id)
        if hook is None:
            hook = TenantWebhook(
                tenant_id=org.id, secret_encrypted=secretbox.encrypt(settings, new_webhook_secret())
            )
            s.add(hook)
        changes: dict[str, object] = {}
        if url is not None:
            hook.url = url or None
            changes["url"] = hook.url
        if enable:
            hook.active, hook.failure_count = True, 0
            changes["active"] = True
        if secret is not None:
            hook.secret_encrypted = secretbox.encrypt(settings, secret)
            changes["secret"] = "rotated"  # noqa: S105 - an event, not a secret
        if events is not None:
            hook.events = chosen
            changes["events"] = chosen or "all"
        audit.record(
            s,
            tenant_id=org.id,
            action="webhook.update",
            actor=actor,
            resource_type="webhook",
            resource_id=hook.id,
            changes=changes,
        )
    return secret


def set_tier(
    db: Database,
    tenant: str,
    tier: str,
    *,
    quota: int | None = None,
    tier_quota: bool = False,
    actor: audit.Actor = audit.CLI,
) -> tuple[str, str]:
    """Move a tenant to another tier (its limits apply from the next request); ``quota``
    sets its own monthly quota, ``tier_quota`` goes back to the tier's. (old, new) tier."""
    tier_obj = tier_named(tier)
    if quota is not None and quota < 0:
        raise TenantError("a monthly quota is 0 or more")
    with db.session() as s:
        org = find_tenant(s, tenant)
        old = org.subscription_tier
        org.subscription_tier = tier_obj.name
        changes: dict[str, object] = {"from": old, "to": tier_obj.name}
        if quota is not None or tier_quota:
            org.api_quota_monthly = None if tier_quota else quota
            changes["quota"] = (
                org.api_quota_monthly if org.api_quota_monthly is not None else "tier"
            )
        audit.record(
            s,
            tenant_id=org.id,
            action="tenant.set_tier",
            actor=actor,
            resource_type="organization",
            resource_id=org.id,
            changes=changes,
        )
    return old, tier_obj.name
