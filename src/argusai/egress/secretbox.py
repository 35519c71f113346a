"""Encrypt endpoint secrets at rest with Fernet, keyed by the server's secret key: tenants'
callback secrets, and the notification channels' URLs and signing secrets.

``ARGUS_SECRET_KEY`` may be a Fernet key or any passphrase (a key is derived from it
with SHA-256). When it is unset, a random key is generated once into
``<data_dir>/secret.key`` (mode 0600) and reused: back that file up with the database,
since the stored secrets cannot be decrypted without it.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from argusai.errors import ConfigError
from argusai.settings import Settings

KEY_FILE = "secret.key"


def _derive(value: str) -> bytes:
    raw = value.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw  # already a Fernet key
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(b"argus-fernet:" + raw).digest())


def _key_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key


def fernet_for(settings: Settings) -> Fernet:
    """The Fernet of this deployment (from the setting, else the data dir's key file)."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value().strip():
        return Fernet(_derive(settings.secret_key.get_secret_value()))
    return Fernet(_key_file(settings.data_dir / KEY_FILE))


def encrypt(settings: Settings, secret: str) -> bytes:
    """The encrypted form of ``secret`` to store."""
    return fernet_for(settings).encrypt(secret.encode())


def decrypt(settings: Settings, token: bytes) -> str:
    """The clear secret; ConfigError when the server key changed since it was stored."""
    try:
        return fernet_for(settings).decrypt(token).decode()
    except InvalidToken:
        raise ConfigError(
            "a stored secret cannot be decrypted: ARGUS_SECRET_KEY (or <data_dir>/secret.key) "
            "changed since it was created; rotate the tenant's secret (or add the "
            "notification route again)"
        ) from None
