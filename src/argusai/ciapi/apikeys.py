"""API keys: ``argus_<prefix>_<secret>``, stored as SHA-256 hashes, shown once at creation.

A key's ``permissions`` are ``{"scopes": [...]}``: ``analyses:read`` (read and list the
tenant's analyses) and ``analyses:write`` (create them). A read-only key has the first
only; a key made before permissions existed (``NULL``) has both.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update

from argusai.ciapi import audit
from argusai.ciapi.models import ApiKey, Organization
from argusai.ciapi.tenants import TenantError, find_tenant
from argusai.store.db import Database
from argusai.store.models import utcnow

KEY_PREFIX = "argus_"
_PREFIX_CHARS = 10
READ = "analyses:read"
WRITE = "analyses:write"
SCOPES = (READ, WRITE)
READ_ONLY = (READ,)


@dataclass(frozen=True)
class NewKey:
    """A created key: ``key`` is in clear this one time only."""

    id: str
    prefix: str
    key: str
    tenant_id: str


@dataclass(frozen=True)
class KeyOwner:
    """Who an authenticated request belongs to."""

    key_id: str
    prefix: str
    tenant_id: str
    tenant_name: str
    tier: str
    quota_override: int | None
    scopes: frozenset[str] = frozenset(SCOPES)


def scopes_of(permissions: Any) -> frozenset[str]:
    """The scopes a stored ``permissions`` value grants (NULL: every scope)."""
    if permissions is None:
        return frozenset(SCOPES)
    listed = permissions.get("scopes") if isinstance(permissions, dict) else None
    if not isinstance(listed, list):
        return frozenset()  # unreadable: grants nothing
    return frozenset(s for s in listed if s in SCOPES)


def hash_key(key: str) -> str:
    """The SHA-256 hex digest stored for a key (keys carry 256 random bits: no salt needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> tuple[str, str]:
    """A new ``(prefix, key)`` pair."""
    prefix = secrets.token_hex(_PREFIX_CHARS // 2)
    return prefix, f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


def create_key(
    db: Database,
    tenant: str,
    name: str = "",
    *,
    scopes: Sequence[str] = SCOPES,
    actor: audit.Actor = audit.CLI,
) -> NewKey:
    """Create a key for ``tenant`` (name or id) with ``scopes`` (every scope by default)."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise TenantError(f"scopes must be some of {', '.join(SCOPES)}; got {list(scopes)}")
    granted = [x for x in SCOPES if x in scopes]
    prefix, key = generate_key()
    with db.session() as s:
        org = find_tenant(s, tenant)
        row = ApiKey(
            organization_id=org.id,
            name=name,
            prefix=prefix,
            key_hash=hash_key(key),
            permissions={"scopes": granted},
        )
        s.add(row)
        s.flush()
        audit.record(
            s,
            tenant_id=org.id,
            action="apikey.create",
            actor=actor,
            resource_type="api_key",
            resource_id=row.id,
            changes={"prefix": prefix, "name": name, "scopes": granted},
        )
        return NewKey(id=row.id, prefix=prefix, key=key, tenant_id=org.id)


def authenticate(db: Database, key: str | None) -> KeyOwner | None:
    """The owner of a valid, unrevoked key; None otherwise (constant-time hash compare)."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    digest = hash_key(key)
    with db.session() as s:
        row = s.execute(
            select(ApiKey, Organization)
            .join(Organization, Organization.id == ApiKey.organization_id)
            .where(ApiKey.key_hash == digest)
        ).first()
        if row is None:
            return None
        api_key, org = row
        if api_key.revoked_at is not None or not hmac.compare_digest(api_key.key_hash, digest):
            return None
        api_key.last_used_at = utcnow()
        return KeyOwner(
            key_id=api_key.id,
            prefix=api_key.prefix,
            tenant_id=org.id,
            tenant_name=org.name,
            tier=org.subscription_tier,
            quota_override=org.api_quota_monthly,
            scopes=scopes_of(api_key.permissions),
        )


def list_keys(db: Database, tenant: str) -> list[ApiKey]:
    """The tenant's keys, newest first (hashes only, never the keys)."""
    with db.session() as s:
        org = find_tenant(s, tenant)
        return list(
            s.scalars(
                select(ApiKey)
                .where(ApiKey.organization_id == org.id)
                .order_by(ApiKey.created_at.desc())
            )
        )


def _find(db: Database, prefix_or_id: str, tenant_id: str | None) -> ApiKey:
    with db.session() as s:
        query = select(ApiKey).where(
            or_(ApiKey.id == prefix_or_id, ApiKey.prefix == prefix_or_id.removeprefix(KEY_PREFIX))
        )
        if tenant_id is not None:
            query = query.where(ApiKey.organization_id == tenant_id)
        rows = list(s.scalars(query))
    if len(rows) != 1:
        raise TenantError(f"no single API key {prefix_or_id!r}")
    return rows[0]


def revoke_key(
    db: Database,
    prefix_or_id: str,
    *,
    tenant_id: str | None = None,
    actor: audit.Actor = audit.CLI,
) -> ApiKey:
    """Revoke a key by prefix or id (only the tenant's own when ``tenant_id`` is given)."""
    key = _find(db, prefix_or_id, tenant_id)
    with db.session() as s:
        s.execute(
            update(ApiKey)
            .where(ApiKey.id == key.id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        audit.record(
            s,
            tenant_id=key.organization_id,
            action="apikey.revoke",
            actor=actor,
            resource_type="api_key",
            resource_id=key.id,
            changes={"prefix": key.prefix},
        )
    return key


def rotate_key(
    db: Database,
    prefix_or_id: str,
    *,
    tenant_id: str | None = None,
    actor: audit.Actor = audit.CLI,
) -> NewKey:
    """Revoke a key and create its replacement (same tenant, name and permissions)."""
    old = revoke_key(db, prefix_or_id, tenant_id=tenant_id, actor=actor)
    scopes = sorted(scopes_of(old.permissions)) or list(READ_ONLY)  # unreadable: the least
    new = create_key(db, old.organization_id, old.name, scopes=scopes, actor=actor)
    with db.session() as s:
        audit.record(
            s,
            tenant_id=old.organization_id,
            action="apikey.rotate",
            actor=actor,
            resource_type="api_key",
            resource_id=new.id,
            changes={"from": old.prefix, "to": new.prefix},
        )
    return new
