"""Connection deadlines of ``argus serve`` (issue 8 §3 item 7), on a real uvicorn on loopback.

Raw sockets play the slow or vanishing clients. Deadlines are set to 1 s; a connection
"is closed" when ``recv`` returns ``b""`` well before the socket's own 10 s timeout.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from argusai.web import connections
from tests.fakes.fake_llm import FakeLLMServer
from tests.fakes.keys import generate_rsa_keypair
from tests.integration.live_server import live_server, port_of
from tests.integration.test_ci_api import ANSWER, Env, _env
from tests.support import WEBHOOK_SECRET

PATIENCE = 10.0  # a socket's own timeout: reached only if the server never closes


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Env, int]]:
    monkeypatch.setattr(connections, "BODY_GRACE_SECONDS", 0.5)
    private_pem, _ = generate_rsa_keypair()
    with FakeLLMServer(responder=lambda _req: ANSWER) as fake:
        env = _env(
            tmp_path,
            fake,
            http_keepalive_seconds=1,
            http_header_timeout_seconds=1.0,
            http_body_timeout_seconds=1.0,
            http_max_header_bytes=8192,
            github_app_id=4242,
            github_private_key=private_pem,
            github_webhook_secret=WEBHOOK_SECRET,
        )
        with live_server(env.rt) as url:
            yield env, port_of(url)


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(PATIENCE)
    return sock


def _read_until_closed(sock: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes; how long that took."""
    started = time.monotonic()
    data = b""
    while True:
        chunk = sock.recv(65536)  # socket.timeout (a test failure) if the server never closes
        if not chunk:
            return data, time.monotonic() - started
        data += chunk


def test_idle_keep_alive_connection_is_closed(served: tuple[Env, int]) -> None:
    _, port = served
    with _connect(port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: argus\r\n\r\n")
        data, took = _read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 200")
    assert took < 3  # ARGUS_HTTP_KEEPALIVE_SECONDS=1 (uvicorn's own default is 5)


def test_connection_that_never_sends_is_closed(served: tuple[Env, int]) -> None:
    _, port = served
    with _connect(port) as sock:
        data, took = _read_until_closed(sock)
    assert data == b"" and took < PATIENCE


def test_partial_head_is_answered_408_and_closed(served: tuple[Env, int]) -> None:
    _, port = served
    with _connect(port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: argus\r\nX-Slow: ")
        data, took = _read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 408") and took < PATIENCE


def test_partial_head_on_a_kept_alive_connection_is_cut_too(served: tuple[Env, int]) -> None:
    _, port = served
    with _connect(port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: argus\r\n\r\nGET /healthz HTTP/1.1\r\n")
        data, took = _read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 200") and b"HTTP/1.1 408" in data and took < PATIENCE


def test_oversized_head_is_answered_431(served: tuple[Env, int]) -> None:
    _, port = served
    with _connect(port) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: argus\r\nX-Big: " + b"a" * 20_000)
        data, _ = _read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 431")


def _slow_post(port: int, path: str, headers: dict[str, str], sent: bytes, length: int) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with _connect(port) as sock:
        request = f"POST {path} HTTP/1.1\r\nHost: argus\r\nContent-Length: {length}\r\n{head}\r\n"
        sock.sendall(request.encode() + sent)
        data, took = _read_until_closed(sock)
    assert took < PATIENCE
    return data


def test_slow_body_of_an_analysis_is_answered_408(served: tuple[Env, int]) -> None:
    env, port = served
    headers = {"X-API-Key": env.keys["acme"], "Content-Type": "application/json"}
    data = _slow_post(port, "/v1/analyses", headers, b'{"logs": "', 1000)
    assert data.startswith(b"HTTP/1.1 408")
    assert b"not received within 1 seconds" in data  # the route's own deadline answered


def test_slow_body_of_a_webhook_is_cut_by_the_server(served: tuple[Env, int]) -> None:
    _, port = served
    headers = {"X-GitHub-Event": "ping", "X-GitHub-Delivery": "d1", "Content-Type": "text/plain"}
    data = _slow_post(port, "/webhooks/github", headers, b"{", 1000)
    assert data.startswith(b"HTTP/1.1 408")  # the server-side backstop


@pytest.mark.parametrize("path", ["/v1/analyses", "/webhooks/github"])
def test_disconnect_mid_body_is_an_info_line_not_an_error(
    served: tuple[Env, int], caplog: pytest.LogCaptureFixture, path: str
) -> None:
    env, port = served
    caplog.set_level(logging.INFO)
    with capture_logs() as events:
        with _connect(port) as sock:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: argus\r\nContent-Length: 100000\r\n"
                f"X-API-Key: {env.keys['acme']}\r\nX-GitHub-Event: ping\r\n"
                "X-GitHub-Delivery: d2\r\nContent-Type: text/plain\r\n\r\n".encode()
                + b"x" * 100
            )
            time.sleep(0.2)  # let the route start reading
        gone = _wait_for(events, "http.client_disconnected")
    assert gone["log_level"] == "info" and gone["path"] == path
    assert not [e for e in events if e["log_level"] in ("error", "critical", "exception")]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


def _wait_for(events: list[dict[str, Any]], name: str) -> dict[str, Any]:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        found = [e for e in events if e.get("event") == name]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no {name} event in {[e.get('event') for e in events]}")
