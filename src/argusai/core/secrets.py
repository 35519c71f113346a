"""The forms a secret may take in text: as is, URL-encoded, base64 — all of them redacted."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MIN_SECRET_CHARS = 6


def encoded_forms(secret: str) -> set[str]:
    """``secret`` as written and as URLs, JSON and base64 (std and URL-safe, ±padding) spell it."""
    raw = secret.encode("utf-8", "surrogatepass")
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
    forms.add(json.dumps(secret)[1:-1])
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        text = encode(raw).decode("ascii")
        forms.update((text, text.rstrip("=")))
    return {f for f in forms if len(f) >= MIN_SECRET_CHARS}


def all_forms(secrets: Iterable[str | None]) -> list[str]:
    """Every form of every secret of 6+ characters, longest first (none is half-replaced)."""
    found: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_CHARS:
            found |= encoded_forms(secret)
    return sorted(found, key=len, reverse=True)


def redact(text: str, forms: Iterable[str], mask: str = "***") -> str:
    """``text`` with every one of ``forms`` (from :func:`all_forms`) replaced by ``mask``."""
    for form in forms:
        if form in text:
            text = text.replace(form, mask)
    return text
