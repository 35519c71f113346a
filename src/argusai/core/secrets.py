"""The forms a secret may take in text: as is, URL-encoded, base64 — all of them redacted.

A :class:`Redactor` is what posted text goes through: the composition root builds one from
the settings' secrets (settings read from a ``.env`` file never reach ``os.environ``) and
hands it to whoever writes comments; it also redacts token-shaped strings and the values of
secret-looking variables of the process environment, read at each call.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

MIN_SECRET_CHARS = 6
REDACTED = "[redacted]"
_TOKENS = re.compile(
    r"-----BEGIN[A-Z ]*PRIVATE KEY-----.*?(?:-----END[A-Z ]*PRIVATE KEY-----|\Z)"
    r"|\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|AKIA[0-9A-Z]{16})\b",
    re.DOTALL,
)
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|PRIVATE|CREDENTIAL|AUTH", re.IGNORECASE)
_MIN_REDACTED = 8  # in posted text, shorter values would redact ordinary words


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


def _secret_parts(value: str) -> set[str]:
    """A secret and, for a multi-line one (a PEM key), each long line of it."""
    value = value.replace("\\n", "\n").strip()
    if len(value) < _MIN_REDACTED:
        return set()
    parts = {value}
    if "\n" in value:
        parts |= {ln.strip() for ln in value.splitlines() if len(ln.strip()) >= 16}
    return parts


@functools.lru_cache(maxsize=8)
def _environment_forms(parts: frozenset[str]) -> frozenset[str]:
    return frozenset(all_forms(parts))


def _environment_secrets() -> frozenset[str]:
    """Every form of the secret-looking variables of the environment, as it is now."""
    parts: set[str] = set()
    for name, value in os.environ.items():
        if _SECRET_NAME.search(name):
            parts |= _secret_parts(value)
    return _environment_forms(frozenset(parts))


@dataclass(frozen=True)
class Redactor:
    """Replaces secrets by ``[redacted]``: token-shaped strings, PEM private keys, every form
    of the secrets it was built with, and of the environment's secret-looking variables."""

    forms: tuple[str, ...] = field(default=(), repr=False)  # a repr is no place for secrets
    #: False: ``forms`` already hold the environment's secrets, longest first (a snapshot)
    environment: bool = True

    @classmethod
    def of(cls, secrets: Iterable[str | None]) -> Redactor:
        """A redactor of these secrets (and each long line of a multi-line one)."""
        parts: set[str] = set()
        for secret in secrets:
            parts |= _secret_parts(secret or "")
        return cls(tuple(all_forms(parts)))

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced by ``[redacted]``."""
        text = _TOKENS.sub(REDACTED, text)
        if not self.environment:
            return redact(text, list(self.forms), REDACTED)
        known = sorted({*self.forms, *_environment_secrets()}, key=len, reverse=True)
        return redact(text, known, REDACTED)  # a whole key before its lines

    def snapshot(self) -> Redactor:
        """The same redactor with the environment read once, now: for rendering many small
        pieces of one comment (reading the environment per piece is what costs)."""
        if not self.environment:
            return self
        known = sorted({*self.forms, *_environment_secrets()}, key=len, reverse=True)
        return Redactor(tuple(known), environment=False)


#: redacts token shapes and the environment's secrets only (a runtime without settings)
EMPTY_REDACTOR = Redactor()
