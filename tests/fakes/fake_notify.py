"""Fake notification receivers on 127.0.0.1: one HTTP server (Slack, Discord and JSON
webhooks, told apart by path) and a small SMTP server. Nothing leaves the machine.

Apprise posts Slack and Discord messages to fixed hosts (``hooks.slack.com``,
``discord.com``) kept in class attributes of its plugins; :func:`point_apprise_at` sets
those to the receiver for a test, so apprise's real payload building and HTTP client run.
"""

from __future__ import annotations

import json
import socketserver
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A threaded HTTP server recording every request; answers the scripted statuses, then 200."""

    got: list[Received] = field(default_factory=list)
    statuses: deque[int] = field(default_factory=deque)
    #: answer every request with this status (after the scripted ones), e.g. 500
    always: int = 200
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def paths(self) -> list[str]:
        with self.lock:
            return [r.path for r in self.got]

    def on(self, prefix: str) -> list[Received]:
        """The requests whose path starts with ``prefix``."""
        with self.lock:
            return [r for r in self.got if r.path.startswith(prefix)]


@contextmanager
def receiver() -> Iterator[Receiver]:
    """A running :class:`Receiver` (shut down on exit)."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with state.lock:
                state.got.append(
                    Received(
                        "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
                status = state.statuses.popleft() if state.statuses else state.always
            # as the services answer: Slack's incoming webhooks say "ok" in plain text
            slack = self.path.startswith(SLACK_PATH)
            if status < 300:
                answer = b"ok" if slack else b'{"ok": true}'
            else:
                answer = b"invalid_payload" if slack else b'{"ok": false}'
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if slack else "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.server = server
    thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


SLACK_PATH = "/slack/services"
DISCORD_PATH = "/discord/api/webhooks"


def point_apprise_at(monkeypatch: pytest.MonkeyPatch, base_url: str) -> None:
    """Make apprise's Slack and Discord plugins post to ``base_url`` for this test."""
    from argusai.notify.channels import apprise_module

    apprise_module()  # plugins loaded (with the one warning apprise 2.x gives) before patching
    from apprise.plugins.discord import NotifyDiscord
    from apprise.plugins.slack import NotifySlack

    monkeypatch.setattr(NotifySlack, "webhook_url", base_url + SLACK_PATH)
    monkeypatch.setattr(NotifyDiscord, "notify_url", base_url + DISCORD_PATH)


@dataclass
class Mailbox:
    """What the fake SMTP server accepted."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    port: int = 0


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """A minimal SMTP server on 127.0.0.1 (EHLO, MAIL, RCPT, DATA; no TLS, no AUTH)."""
    box = Mailbox()

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            self.reply("220 fake-smtp ESMTP")
            sender, rcpts = "", []
            while True:
                raw = self.rfile.readline()
                if not raw:
                    return
                command = raw.decode(errors="replace").strip()
                verb = command.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    self.reply("250-fake-smtp")
                    self.reply("250 8BITMIME")
                elif verb == "HELO":
                    self.reply("250 fake-smtp")
                elif verb == "MAIL":
                    sender, rcpts = command.split(":", 1)[1].strip(" <>"), []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    rcpts.append(command.split(":", 1)[1].strip(" <>"))
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 end with .")
                    lines = []
                    while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                        lines.append(line[1:] if line.startswith(b"..") else line)
                    message = message_from_bytes(b"".join(lines), policy=policy.default)
                    assert isinstance(message, EmailMessage)
                    box.messages.append(message)
                    box.envelopes.append((sender, rcpts))
                    self.reply("250 queued")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:  # RSET, NOOP, anything else
                    self.reply("250 OK")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    box.port = server.server_address[1]
    threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05), daemon=True).start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
