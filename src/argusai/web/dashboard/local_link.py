"""One-time local sign-in links (``argus dashboard-token``) for a server without OAuth.

The command writes the SHA-256 of a random token, with its expiry and who asked, to a
file under ``<data_dir>/dashboard-links`` (0600); the server that opens the same data dir
takes the file away when the link is used: removing a file succeeds once, so a link
signs in one browser, once, within its minutes. Only the hash is on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

LINKS_DIR = "dashboard-links"
DEFAULT_MINUTES = 10
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


@dataclass(frozen=True)
class LocalLink:
    """A link made by ``argus dashboard-token``: the token and until when it works."""

    token: str
    expires_at: float


def _folder(data_dir: Path) -> Path:
    return data_dir / LINKS_DIR


def _name(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(data_dir: Path, by: str, *, minutes: float = DEFAULT_MINUTES) -> LocalLink:
    """A new one-time token valid for ``minutes`` (expired links are cleared on the way)."""
    folder = _folder(data_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    prune(data_dir)
    token = secrets.token_urlsafe(32)
    expires_at = time.time() + minutes * 60
    fd = os.open(folder / _name(token), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"expires_at": expires_at, "by": by}, handle)
    return LocalLink(token, expires_at)


def consume(data_dir: Path, token: str) -> str | None:
    """Who made the link, if ``token`` is a live one (it is used up); else None."""
    if not _TOKEN.match(token):
        return None
    path = _folder(data_dir) / _name(token)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        path.unlink()  # the one request that removes the file wins
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or float(data.get("expires_at", 0)) <= time.time():
        return None
    by = str(data.get("by") or "local")
    return by.removeprefix("cli:") or "local"


def prune(data_dir: Path) -> int:
    """Remove expired links; how many."""
    folder = _folder(data_dir)
    removed = 0
    if not folder.is_dir():
        return 0
    for path in folder.iterdir():
        try:
            expired = float(json.loads(path.read_text(encoding="utf-8"))["expires_at"])
        except (OSError, ValueError, KeyError, TypeError):
            expired = 0.0
        if expired <= time.time():
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
    return removed
