"""GitHub webhook signature: HMAC-SHA256 over the exact body, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub would send for ``body``."""
    return PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """True only for a well-formed header whose digest matches ``body``."""
    if not header or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(
        sign(secret, body).encode("ascii"), header.strip().encode("utf-8", "replace")
    )
