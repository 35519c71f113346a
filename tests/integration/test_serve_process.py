"""``argus serve`` as a real process: embedded default, supervised worker, clean SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from argusai.web.signature import sign
from tests.conftest import shared_path
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_llm import FakeLLMServer
from tests.fakes.keys import generate_rsa_keypair
from tests.support import WEBHOOK_SECRET
from tests.support.processes import ArgusProcesses, free_port, seed_opened_pull


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"argus serve exited early with {proc.returncode}")
        try:
            httpx.get(url + "/healthz", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("argus serve did not start")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    procs = ArgusProcesses(tmp_path)

    def start(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        proc = procs.start(["serve", "--port", str(port)], env, output=True)
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, proc)
        return proc, url

    yield start
    procs.close()


def test_unconfigured_serve_starts_says_what_is_missing_and_stops_on_sigterm(serve: Any) -> None:
    proc, url = serve({})
    ready = httpx.get(url + "/readyz")
    assert ready.status_code == 503
    assert "ARGUS_GITHUB_WEBHOOK_SECRET" in ready.json()["checks"]["github_app"]["missing"]
    assert httpx.post(url + "/webhooks/github", content=b"{}").status_code == 503
    time.sleep(1.5)
    workers = _children(proc.pid)
    assert len(workers) == 1  # the supervised worker
    proc.send_signal(signal.SIGTERM)
    output = proc.communicate(timeout=40)[0].decode()
    assert proc.returncode == 0
    assert "ARGUS_GITHUB_WEBHOOK_SECRET" in output  # the log says what is missing …
    assert ".env" in output  # … and how to set it
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_invalid_settings_stop_start_up_naming_the_setting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGUS_")}
    env["ARGUS_LLM_PROVIDER"] = "skynet"
    result = subprocess.run(
        [sys.executable, "-m", "argusai", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "ARGUS_LLM_PROVIDER" in result.stderr
    assert "Traceback" not in result.stderr


def test_review_through_real_processes_and_worker_restart(serve: Any) -> None:
    shared_path("fixtures", "webhooks")
    private_pem, public_pem = generate_rsa_keypair()
    with FakeGitHub(app_id=77, public_key_pem=public_pem) as gh, FakeLLMServer() as llm:
        payload = seed_opened_pull(gh)
        llm.responder = lambda _req: {
            "summary": "s",
            "findings": [
                {
                    "path": "a.py",
                    "line": 2,
                    "start_line": None,
                    "severity": "high",
                    "category": "security",
                    "title": "eval",
                    "message": "avoid eval",
                    "suggestion": None,
                }
            ],
        }
        proc, url = serve(
            {
                "ARGUS_GITHUB_APP_ID": "77",
                "ARGUS_GITHUB_PRIVATE_KEY": private_pem,
                "ARGUS_GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "ARGUS_GITHUB_API_URL": gh.base_url,
                "ARGUS_LLM_PROVIDER": "openai-compatible",
                "ARGUS_LLM_BASE_URL": llm.openai_base_url,
                "ARGUS_LLM_API_KEY": "sk-proc-test",
            }
        )
        time.sleep(1.0)
        (worker,) = _children(proc.pid)
        os.kill(worker, signal.SIGKILL)  # the supervisor must bring a new worker up
        body = json.dumps(payload).encode()
        response = httpx.post(
            url + "/webhooks/github",
            content=body,
            headers={
                "X-GitHub-Event": "pull_request",
                "X-GitHub-Delivery": "proc-1",
                "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
            },
        )
        assert response.status_code == 202
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not gh.issue_comments("Codertocat", "Hello-World", 2):
            time.sleep(0.2)
        assert len(gh.reviews("Codertocat", "Hello-World", 2)) == 1
        assert len(gh.issue_comments("Codertocat", "Hello-World", 2)) == 1
        new_workers = _children(proc.pid)
        assert new_workers and worker not in new_workers
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=40)
        assert proc.returncode == 0


def test_slow_and_vanishing_clients_are_cut_quietly(serve: Any) -> None:
    """Real ``argus serve``: a partial head is cut, a client gone mid-body is an info line."""
    private_pem, _ = generate_rsa_keypair()
    proc, url = serve(
        {
            "ARGUS_GITHUB_APP_ID": "77",
            "ARGUS_GITHUB_PRIVATE_KEY": private_pem,
            "ARGUS_GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "ARGUS_HTTP_HEADER_TIMEOUT_SECONDS": "1",
            "ARGUS_HTTP_KEEPALIVE_SECONDS": "1",
        }
    )
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as slow:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: argus\r\nX-Slow: ")
        answer = slow.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408") and slow.recv(4096) == b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as gone:
        gone.sendall(
            b"POST /webhooks/github HTTP/1.1\r\nHost: argus\r\nContent-Length: 100000\r\n"
            b"X-GitHub-Event: ping\r\nX-GitHub-Delivery: d1\r\n\r\n" + b"{" * 100
        )
        time.sleep(0.3)
    assert httpx.get(url + "/healthz").status_code == 200
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    output = proc.communicate(timeout=40)[0].decode()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    gone_lines = [e for e in lines if e.get("event") == "http.client_disconnected"]
    assert gone_lines and gone_lines[0]["level"] == "info"
    assert [e for e in lines if e.get("event") == "http.head_timeout"]
    assert not [e for e in lines if e.get("level") in ("error", "critical")], output
    assert "Traceback" not in output
