"""Real ``argus`` processes against FakeGitHub + FakeLLMServer, on PostgreSQL / Redis.

Helpers for the fault tests in this folder: start web and worker processes (each with its
own log file, all killed at the end), a private ``redis-server`` that can be stopped and
started again on the same port and data dir, a TCP proxy in front of PostgreSQL that can
be cut (the database "goes away" for the processes without touching the shared server),
signed deliveries, and polling helpers with short timeouts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from argusai.web.signature import sign
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_llm import FakeLLMServer
from tests.support import WEBHOOK_SECRET

OWNER, NAME = "octo", "hello"
REPO = f"{OWNER}/{NAME}"
APP_ID = 31337
INSTALLATION = 1
PATCH = "@@ -1,1 +1,2 @@\n x = 1\n+y = eval(x)"
FINDING = {
    "path": "a.py",
    "line": 2,
    "start_line": None,
    "severity": "high",
    "category": "security",
    "title": "eval of input",
    "message": "eval runs arbitrary code; parse the value instead.",
    "suggestion": None,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def head_sha(number: int, salt: str = "") -> str:
    return hashlib.sha1(f"head-{number}-{salt}".encode()).hexdigest()


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, step: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(step)


def plain_dsn(url: str) -> str:
    """``postgresql+psycopg://…`` → ``postgresql://…`` (psycopg / Huey form)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def with_port(url: str, port: int) -> str:
    """The same PostgreSQL URL on another port (through the proxy)."""
    return url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{port}/", 1)


# --------------------------------------------------------------------------- processes


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    url: str | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def count(self, needle: str) -> int:
        return self.text().count(needle)


@dataclass
class Procs:
    """Starts ``python -m argusai …`` processes; :meth:`close` kills every one still alive."""

    tmp: Path
    env: dict[str, str]
    started: list[Proc] = field(default_factory=list)

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> Proc:
        full = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("ARGUS_") and k != "GITHUB_TOKEN"
        }
        full.update(self.env)
        full.update(env or {})
        log = self.tmp / f"{name}-{len(self.started)}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "argusai", *args],
                env=full,
                cwd=self.tmp,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        proc = Proc(name, popen, log)
        self.started.append(proc)
        return proc

    def web(self, env: dict[str, str] | None = None) -> Proc:
        port = free_port()
        proc = self.start("web", "serve", "--no-worker", "--port", str(port), env=env)
        proc.url = f"http://127.0.0.1:{port}"
        return proc

    def worker(self, env: dict[str, str] | None = None) -> Proc:
        return self.start("worker", "worker", env=env)

    def wait_web(self, proc: Proc, timeout: float = 40) -> None:
        def up() -> bool:
            self._alive(proc)
            try:
                return httpx.get(f"{proc.url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, timeout, f"{proc.name} /healthz", step=0.2)

    def wait_worker(self, proc: Proc, timeout: float = 40) -> None:
        def up() -> bool:
            self._alive(proc)
            return "worker consuming" in proc.text()

        wait_for(up, timeout, f"{proc.name} to consume", step=0.2)

    def _alive(self, proc: Proc) -> None:
        if proc.popen.poll() is not None:
            raise AssertionError(
                f"{proc.name} exited with {proc.popen.returncode}:\n{proc.text()[-3000:]}"
            )

    def kill(self, proc: Proc) -> None:
        if proc.popen.poll() is None:
            proc.popen.send_signal(signal.SIGKILL)
        proc.popen.wait(10)

    def close(self) -> None:
        for proc in self.started:
            if proc.popen.poll() is None:
                proc.popen.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(10)

    def tails(self, lines: int = 15) -> str:
        return "\n".join(
            f"--- {p.name} (pid {p.pid}, rc {p.popen.returncode}):\n"
            + "\n".join(p.text().splitlines()[-lines:])
            for p in self.started
        )


# --------------------------------------------------------------------------- GitHub + LLM


@dataclass
class World:
    gh: FakeGitHub
    llm: FakeLLMServer
    procs: Procs

    def add_prs(self, numbers: range | list[int]) -> None:
        for n in numbers:
            self.gh.add_pull(OWNER, NAME, n, files={"a.py": PATCH}, head_sha=head_sha(n))

    def deliver(self, url: str, number: int, delivery_id: str | None = None) -> httpx.Response:
        payload = {
            "action": "opened",
            "number": number,
            "pull_request": {
                "number": number,
                "state": "open",
                "draft": False,
                "head": {"sha": head_sha(number)},
            },
            "repository": {"full_name": REPO},
            "installation": {"id": INSTALLATION},
        }
        body = json.dumps(payload).encode()
        headers = {
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
            "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
            "Content-Type": "application/json",
        }
        return httpx.post(f"{url}/webhooks/github", content=body, headers=headers, timeout=30)

    def reviews(self, number: int) -> int:
        return len(self.gh.reviews(OWNER, NAME, number))

    def summaries(self, number: int) -> int:
        return len(self.gh.issue_comments(OWNER, NAME, number))

    def llm_calls(self) -> int:
        """Review calls the LLM received (the verification pass's calls not counted)."""
        return sum(1 for r in self.llm.review_requests if r.method == "POST")


def base_env(tmp: Path, gh: FakeGitHub, llm: FakeLLMServer, private_pem: str) -> dict[str, str]:
    return {
        "ARGUS_DATA_DIR": str(tmp / "data"),
        "ARGUS_LOG_FORMAT": "json",
        "ARGUS_GITHUB_APP_ID": str(APP_ID),
        "ARGUS_GITHUB_PRIVATE_KEY": private_pem,
        "ARGUS_GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "ARGUS_GITHUB_API_URL": gh.base_url,
        "ARGUS_LLM_PROVIDER": "openai-compatible",
        "ARGUS_LLM_BASE_URL": llm.openai_base_url,
        "ARGUS_LLM_API_KEY": "sk-services-test",
        "ARGUS_JOB_RETRY_DELAY_SECONDS": "0.2",
        "ARGUS_SWEEPER_INTERVAL_SECONDS": "1",
        # these tests are about durability; rate limits have their own tests (test_limits_*)
        "ARGUS_REVIEWS_PER_MINUTE_PER_INSTALLATION": "0",
    }


def review_rows(database_url: str) -> dict[int, tuple[str, int]]:
    """PR number → (status, attempts) of every review row."""
    with psycopg.connect(plain_dsn(database_url), connect_timeout=5) as conn:
        rows = conn.execute("SELECT pr_number, status, attempts FROM reviews").fetchall()
    return {int(pr): (str(status), int(attempts)) for pr, status, attempts in rows}


def sql(database_url: str, statement: str, params: tuple[Any, ...] = ()) -> None:
    with psycopg.connect(plain_dsn(database_url), connect_timeout=5, autocommit=True) as conn:
        conn.execute(statement, params)


# --------------------------------------------------------------------------- redis-server


class PrivateRedis:
    """A ``redis-server`` of our own on a free port, stoppable and restartable in place."""

    def __init__(self, data_dir: Path, *, appendonly: bool) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("ARGUS_REQUIRE_SERVICES") == "1":
                pytest.fail("ARGUS_REQUIRE_SERVICES=1 but redis-server is not installed")
            pytest.skip("redis-server not installed")
        self.binary = binary
        self.dir = data_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.appendonly = appendonly
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--dir", str(self.dir),
        ]  # fmt: skip
        log = (self.dir / "redis.log").open("ab")
        with log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        wait_for(self._ping, 10, "redis-server to answer PING")

    def _ping(self) -> bool:
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        """Graceful stop (SIGTERM: redis flushes its append-only file when enabled)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@contextlib.contextmanager
def private_redis(data_dir: Path, *, appendonly: bool) -> Iterator[PrivateRedis]:
    server = PrivateRedis(data_dir, appendonly=appendonly)
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- TCP proxy


class TcpProxy:
    """Forwards a loopback port to ``upstream``; :meth:`cut` drops the listener and every
    open connection (the database is gone), :meth:`restore` listens again on the same port.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._conns.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            with self._lock:
                self._conns.discard(src)
                self._conns.discard(dst)
