"""Helpers for tests that run ``argus`` as real processes on loopback ports."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tests.conftest import SHARED

if TYPE_CHECKING:
    from tests.fakes.fake_github import FakeGitHub

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


class ArgusProcesses:
    """The ``argus`` child processes one test starts; whatever still runs is killed at close."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self._procs: list[subprocess.Popen[bytes]] = []

    def start(
        self, args: list[str], env: Mapping[str, str], *, output: bool = False
    ) -> subprocess.Popen[bytes]:
        """``python -m argusai ARGS`` under :func:`argus_env`; ``output``: its stdout and
        stderr as one pipe (else discarded)."""
        sink = subprocess.PIPE if output else subprocess.DEVNULL
        proc = subprocess.Popen(
            [sys.executable, "-m", "argusai", *args],
            env=argus_env(self.tmp_path, env),
            cwd=self.tmp_path,
            stdout=sink,
            stderr=subprocess.STDOUT if output else subprocess.DEVNULL,
        )
        self._procs.append(proc)
        return proc

    def close(self) -> None:
        """Kill what still runs."""
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def seed_opened_pull(gh: FakeGitHub) -> dict[str, Any]:
    """The pull request of the captured ``pull_request.opened`` payload on the fake GitHub,
    with one added line (``y = eval(x)``); returns the payload."""
    payload: dict[str, Any] = json.loads(
        (SHARED / "fixtures/webhooks/pull_request/opened.json").read_text()
    )
    gh.add_repo("Codertocat", "Hello-World", installation_id=1)
    gh.add_pull(
        "Codertocat",
        "Hello-World",
        2,
        head_sha=payload["pull_request"]["head"]["sha"],
        files={"a.py": "@@ -1,1 +1,2 @@\n x = 1\n+y = eval(x)"},
    )
    return payload
