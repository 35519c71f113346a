"""Callback delivery: whose failures disable what, and which redirects are followed.

Receivers are real HTTP servers on 127.0.0.1 (two of them: another port is another
origin); the https → http case runs through ``httpx.MockTransport`` with a fake resolver.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from argusai.ciapi import tenants
from argusai.ciapi.callbacks import SIGNATURE_HEADER, CallbackFailed, post_signed, sign, verify
from argusai.ciapi.models import AuditLog, TenantWebhook
from argusai.cilog.models import Analysis
from tests.fakes.fake_llm import FakeLLMServer
from tests.integration.test_ci_api import ANSWER, Env, _env, _post, _work, big_log, tenants_id


@dataclass
class Hop:
    """A receiver that answers each path as scripted: a status, or a redirect."""

    got: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    redirects: dict[str, tuple[int, str]] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    @property
    def origin(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def _serve(hop: Hop) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            hop.got.append((self.command, self.path, headers, body))
            if self.path in hop.redirects:
                status, location = hop.redirects[self.path]
                self.send_response(status)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(hop.statuses.pop(0) if hop.statuses else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = _any
        do_GET = _any

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def hops() -> Iterator[tuple[Hop, Hop]]:
    first, second = Hop(), Hop()
    first.server, second.server = _serve(first), _serve(second)
    yield first, second
    for hop in (first, second):
        assert hop.server is not None
        hop.server.shutdown()
        hop.server.server_close()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with FakeLLMServer(responder=lambda _req: ANSWER) as fake:
        yield _env(tmp_path, fake)


def _hook(env: Env, tenant: str = "acme") -> TenantWebhook:
    with env.rt.db.session() as s:
        hook = s.scalar(
            select(TenantWebhook).where(TenantWebhook.tenant_id == tenants_id(env, tenant))
        )
        assert hook is not None
        s.expunge(hook)
        return hook


def _callback(env: Env, analysis_id: str) -> dict[str, Any]:
    got = env.client.get(f"/v1/analyses/{analysis_id}", headers={"X-API-Key": env.keys["acme"]})
    callback: dict[str, Any] = got.json()["callback"]
    return callback


# ---- whose failures count ------------------------------------------------------------


def test_failures_of_a_per_request_url_never_disable_the_default(
    env: Env, hops: tuple[Hop, Hop]
) -> None:
    default, other = hops
    tenants.configure_webhook(env.rt.db, env.rt.settings, "acme", url=default.origin + "/hook")
    other.statuses = [500] * 20
    failing = _post(env, "acme", {"logs": big_log(), "callback_url": other.origin + "/cb"})
    _work(env)
    assert _callback(env, failing.json()["id"])["status"] == "failed"
    assert len(other.got) == 5  # its own budget: ARGUS_CI_CALLBACK_MAX_FAILURES attempts
    hook = _hook(env)
    assert hook.active and hook.failure_count == 0
    # the default URL still gets its callbacks
    fine = _post(env, "acme", {"logs": big_log()})
    _work(env)
    assert _callback(env, fine.json()["id"]) == {
        "url": default.origin + "/hook",
        "status": "sent",
        "attempts": 1,
    }
    with env.rt.db.session() as s:
        assert "webhook.disabled" not in set(s.scalars(select(AuditLog.action)))


def test_failures_of_the_default_url_disable_it_and_enable_brings_it_back(
    env: Env, hops: tuple[Hop, Hop]
) -> None:
    default, other = hops
    url = default.origin + "/hook"
    tenants.configure_webhook(env.rt.db, env.rt.settings, "acme", url=url)
    default.statuses = [500] * 20
    ids = [_post(env, "acme", {"logs": big_log()}).json()["id"] for _ in range(2)]
    _work(env)
    hook = _hook(env)
    assert not hook.active and hook.failure_count == 5
    with env.rt.db.session() as s:
        rows = {a.id: a for a in s.scalars(select(Analysis))}
        assert sum(rows[i].callback_attempts for i in ids) == 5  # consecutive, across both
        assert {rows[i].callback_status for i in ids} == {"failed", "disabled"}
        assert "webhook.disabled" in set(s.scalars(select(AuditLog.action)))
    assert len(default.got) == 5
    # a per-request URL is still called while the default is disabled
    r = _post(env, "acme", {"logs": big_log(), "callback_url": other.origin + "/cb"})
    _work(env)
    assert _callback(env, r.json()["id"])["status"] == "sent"
    tenants.configure_webhook(env.rt.db, env.rt.settings, "acme", enable=True)
    default.statuses = [503, 200]
    r = _post(env, "acme", {"logs": big_log()})
    _work(env)
    assert _callback(env, r.json()["id"]) == {"url": url, "status": "sent", "attempts": 2}


# ---- redirects -------------------------------------------------------------------------


def test_cross_origin_redirect_is_not_followed(env: Env, hops: tuple[Hop, Hop]) -> None:
    first, second = hops
    first.redirects["/cb"] = (307, second.origin + "/steal")
    r = _post(env, "acme", {"logs": big_log(), "callback_url": first.origin + "/cb"})
    _work(env)
    assert second.got == []  # neither the body nor the signature left the first origin
    assert _callback(env, r.json()["id"])["status"] == "failed"
    with env.rt.db.session() as s:
        errors = [
            (a.changes or {}).get("error", "")
            for a in s.scalars(select(AuditLog).where(AuditLog.action == "callback.failed"))
        ]
    assert errors and all("another origin" in e for e in errors)


def test_same_origin_307_is_followed_with_body_and_signature(
    env: Env, hops: tuple[Hop, Hop]
) -> None:
    first, _ = hops
    first.redirects["/old"] = (307, "/new")
    r = _post(env, "acme", {"logs": big_log(), "callback_url": first.origin + "/old"})
    _work(env)
    assert _callback(env, r.json()["id"])["status"] == "sent"
    (m1, p1, _h1, b1), (m2, p2, h2, b2) = first.got
    assert (m1, p1, m2, p2) == ("POST", "/old", "POST", "/new") and b1 == b2
    assert verify(env.secrets["acme"], b2, h2[SIGNATURE_HEADER.lower()])


@pytest.mark.parametrize("status", [301, 302, 303])
def test_redirects_that_drop_the_body_end_the_attempt(
    env: Env, hops: tuple[Hop, Hop], status: int
) -> None:
    first, _ = hops
    first.redirects["/cb"] = (status, "/elsewhere")
    r = _post(env, "acme", {"logs": big_log(), "callback_url": first.origin + "/cb"})
    _work(env)
    assert {(m, p) for m, p, _h, _b in first.got} == {("POST", "/cb")}  # no GET, no re-POST
    assert _callback(env, r.json()["id"])["status"] == "failed"


def test_redirect_to_a_private_address_is_never_reached(env: Env, hops: tuple[Hop, Hop]) -> None:
    first, _ = hops
    first.redirects["/cb"] = (307, "http://10.0.0.1/steal")
    r = _post(env, "acme", {"logs": big_log(), "callback_url": first.origin + "/cb"})
    _work(env)
    assert _callback(env, r.json()["id"])["status"] == "failed"
    assert all(p == "/cb" for _m, p, _h, _b in first.got)


def _resolver(host: str, _port: int) -> list[str]:
    return {"hooks.example.com": ["93.184.216.34"]}[host]


def test_https_to_http_on_the_same_host_is_cross_origin() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(308, headers={"Location": "http://hooks.example.com/cb"})

    body = json.dumps({"sent_at": 1}).encode()
    with pytest.raises(CallbackFailed, match="another origin"):
        post_signed(
            "https://hooks.example.com/cb",
            body,
            "whsec_x",
            allowlist=(),
            resolver=_resolver,
            transport=httpx.MockTransport(answer),
        )
    assert len(seen) == 1 and seen[0].url.scheme == "https"
    assert seen[0].headers[SIGNATURE_HEADER] == sign("whsec_x", body)


def test_callback_url_refusal_says_not_allowed_only(env: Env) -> None:
    r = _post(env, "acme", {"logs": big_log(), "callback_url": "http://[2002:7f00:1::]/x"})
    assert r.status_code == 422
    (problem,) = r.json()["detail"]
    assert problem["loc"] == ["body", "callback_url"]
    assert problem["msg"] == "callback_url is not allowed"
