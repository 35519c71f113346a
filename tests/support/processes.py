"""Helpers for tests that run ``argus`` as real processes on loopback ports."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

#: variables of the test's own environment a child ``argus`` must not inherit
_INHERITED_OUT = ("GITHUB_TOKEN", "PROMETHEUS_MULTIPROC_DIR")


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def argus_env(tmp_path: Path, env: Mapping[str, str]) -> dict[str, str]:
    """This environment without any ``ARGUS_`` setting of the machine's, a data directory
    under ``tmp_path``, JSON logs, then ``env``."""
    full = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ARGUS_") and k not in _INHERITED_OUT
    }
    full.update({"ARGUS_DATA_DIR": str(tmp_path / "data"), "ARGUS_LOG_FORMAT": "json"})
    full.update(env)
    return full


def until(check: Callable[[], bool], what: str, timeout: float = 40) -> None:
    """Poll ``check`` (HTTP errors count as not yet) until it holds; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
