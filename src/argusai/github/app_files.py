"""The App's credentials on disk: ``ARGUS_GITHUB_*`` lines in ``.env``, the key as a file.

``argus app create`` writes the private key beside the ``.env`` as
``argus-app.private-key.pem`` (mode ``0600``), then the ``.env`` (``0600`` too: it holds
the webhook and OAuth secrets), keeping every other line of it as it was. Credentials
already there — a variable in the ``.env`` or the key file — are replaced only when asked
(``--force``), so a second run never throws away a working App by accident.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from argusai.errors import InputError
from argusai.github.manifest import AppCredentials, GitHubSite

KEY_FILE_NAME = "argus-app.private-key.pem"

#: what identifies an App: present in the ``.env``, they are not overwritten without --force
CREDENTIALS = (
    "ARGUS_GITHUB_APP_ID",
    "ARGUS_GITHUB_PRIVATE_KEY",
    "ARGUS_GITHUB_PRIVATE_KEY_PATH",
    "ARGUS_GITHUB_WEBHOOK_SECRET",
    "ARGUS_GITHUB_CLIENT_ID",
    "ARGUS_GITHUB_CLIENT_SECRET",
)
#: lines describing the previous App that are removed when the new one is written
#: (an inline key would win over the new key file; a slug would name the old App)
REPLACED = (*CREDENTIALS, "ARGUS_GITHUB_APP_SLUG", "ARGUS_GITHUB_API_URL", "ARGUS_GITHUB_WEB_URL")

_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$")
_PLAIN = re.compile(r"^[A-Za-z0-9_./:@+,-]*$")


@dataclass(frozen=True)
class Destination:
    """Where the credentials go: the ``.env`` file and the key file beside it."""

    env_file: Path

    @property
    def key_file(self) -> Path:
        """``argus-app.private-key.pem`` in the ``.env``'s folder."""
        return self.env_file.parent / KEY_FILE_NAME


def env_assignments(text: str) -> dict[str, str]:
    """``NAME → raw value`` of the ``.env``'s assignments (quotes and comments left on)."""
    found = {}
    for line in text.splitlines():
        match = _ASSIGNMENT.match(line)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def _is_set(raw: str) -> bool:
    if raw[:1] in ("'", '"'):
        return len(raw) > 1 and raw[1] != raw[0]  # "" and '' are empty
    value = raw.split(" #", 1)[0].strip()
    return bool(value) and not value.startswith("#")


def existing_credentials(dest: Destination) -> list[str]:
    """The credentials already at ``dest``: variables set in the ``.env``, the key file."""
    found = []
    if dest.env_file.exists():
        assigned = env_assignments(dest.env_file.read_text(encoding="utf-8"))
        found = [name for name in CREDENTIALS if _is_set(assigned.get(name, ""))]
    if dest.key_file.exists():
        found.append(str(dest.key_file))
    return found


def refuse_to_overwrite(dest: Destination, *, force: bool) -> None:
    """Raise InputError when credentials are at ``dest`` and ``force`` is off."""
    found = existing_credentials(dest)
    if found and not force:
        raise InputError(
            f"{dest.env_file} already has GitHub App credentials ({', '.join(found)}); "
            "pass --force to replace them with the new App's"
        )


def quote(value: str) -> str:
    """``value`` as a ``.env`` value that reads back unchanged."""
    if "\n" in value or "\r" in value or "\0" in value:
        raise ValueError("a .env value cannot hold a line break")
    if "${" in value:  # python-dotenv expands it, quoted or not
        raise ValueError("a .env value cannot hold '${'")
    if _PLAIN.match(value):
        return value
    if "'" not in value:
        return f"'{value}'"  # single quotes: no escapes
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def merged_env(text: str, values: Mapping[str, str], header: str) -> str:
    """``text`` without the lines of :data:`REPLACED`, then ``header`` and ``values``."""
    kept = []
    for line in text.splitlines():
        match = _ASSIGNMENT.match(line)
        if match and match.group(1) in REPLACED:
            continue
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    block = [f"# {header}", *(f"{name}={quote(value)}" for name, value in values.items())]
    return "\n".join([*kept, *([""] if kept else []), *block]) + "\n"


def env_values(app: AppCredentials, site: GitHubSite, key_file: Path) -> dict[str, str]:
    """The ``ARGUS_GITHUB_*`` settings of the new App (the key as a path, absolute)."""
    values = {
        "ARGUS_GITHUB_APP_ID": str(app.app_id),
        "ARGUS_GITHUB_PRIVATE_KEY_PATH": str(key_file.resolve()),
        "ARGUS_GITHUB_WEBHOOK_SECRET": app.webhook_secret or "",
        "ARGUS_GITHUB_CLIENT_ID": app.client_id or "",
        "ARGUS_GITHUB_CLIENT_SECRET": app.client_secret or "",
        "ARGUS_GITHUB_API_URL": site.api_url,
        "ARGUS_GITHUB_WEB_URL": site.web_url,
    }
    return {name: value for name, value in values.items() if value}


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, readable by its owner only (``0600``)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:  # mkstemp makes it 0600
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        Path(tmp).chmod(0o600)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_credentials(
    dest: Destination, app: AppCredentials, site: GitHubSite, *, header: str
) -> list[str]:
    """Write the key file, then the ``.env``; returns the variable names written.

    The caller checks :func:`refuse_to_overwrite` first: before the one-time code is spent.
    """
    dest.env_file.parent.mkdir(parents=True, exist_ok=True)
    write_private(dest.key_file, app.pem if app.pem.endswith("\n") else app.pem + "\n")
    values = env_values(app, site, dest.key_file)
    old = dest.env_file.read_text(encoding="utf-8") if dest.env_file.exists() else ""
    write_private(dest.env_file, merged_env(old, values, header))
    return list(values)
