"""The analysis API end to end: two tenants, sync and async, limits, callbacks, audit."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from structlog.testing import capture_logs

from argusai.ciapi import apikeys, tenants
from argusai.ciapi.callbacks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from argusai.ciapi.models import ApiUsage, AuditLog, Organization
from argusai.cilog.models import Analysis
from argusai.llm.breaker import BreakerRegistry
from argusai.llm.factory import build_llm
from argusai.runtime import Runtime
from tests.conftest import make_settings
from tests.fakes.fake_llm import FakeLLMServer, Reply
from tests.support import app_client, drain, make_runtime, worker_queue

ANSWER = {
    "root_cause": "test_total fails: assert 3 == 4",
    "failing_step": "Run pytest -q",
    "evidence": ["E   assert 3 == 4"],
    "suggested_fix": "Include shipping in Cart.total().",
    "confidence": "high",
}
SMALL = (
    "Run pytest -q\ntests/test_cart.py F\nE   assert 3 == 4\n"
    "##[error]Process completed with exit code 1.\n"
)


def big_log(size: int = 40_000) -> str:
    filler = "".join(f"collecting item {i} ok\n" for i in range(size // 22))
    return filler + SMALL


@dataclass
class Receiver:
    """A callback receiver on 127.0.0.1 that records what it got and answers as told."""

    statuses: list[int] = field(default_factory=list)
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    redirect_to: str | None = None
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            rec.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
            if rec.redirect_to:
                self.send_response(302)
                self.send_header("Location", rec.redirect_to)
                self.end_headers()
                return
            status = rec.statuses.pop(0) if rec.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    rec.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=rec.server.serve_forever, daemon=True)
    thread.start()
    yield rec
    rec.server.shutdown()
    rec.server.server_close()


@dataclass
class Env:
    rt: Runtime
    client: TestClient
    fake: FakeLLMServer
    keys: dict[str, str]
    secrets: dict[str, str]


def _env(
    tmp_path: Path,
    fake: FakeLLMServer,
    database_url: str | None = None,
    breakers: BreakerRegistry | None = None,
    **overrides: Any,
) -> Env:
    values: dict[str, Any] = {
        "llm_provider": "openai-compatible",
        "llm_base_url": fake.openai_base_url,
        "ci_callback_allowlist": ("127.0.0.1",),
        "job_retry_delay_seconds": 0,
        "secret_key": "test-server-secret-key-value",
    }
    values.update(overrides)
    settings = make_settings(tmp_path, **values)
    rt = make_runtime(
        settings,
        llm=lambda: build_llm(settings, breakers=breakers or BreakerRegistry()),
        database_url=database_url,
    )
    keys, secrets = {}, {}
    for name, tier in (("acme", "starter"), ("globex", "free")):
        t = tenants.create_tenant(rt.db, settings, name, tier)
        secrets[name] = t.webhook_secret
        keys[name] = apikeys.create_key(rt.db, name, "ci").key
    return Env(rt, app_client(rt), fake, keys, secrets)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with FakeLLMServer(responder=lambda _req: ANSWER) as fake:
        yield _env(tmp_path, fake)


def _post(env: Env, tenant: str, body: Any, **kw: Any) -> Any:
    return env.client.post("/v1/analyses", json=body, headers={"X-API-Key": env.keys[tenant]}, **kw)


def _work(env: Env) -> None:
    worker_queue(env.rt)
    drain(env.rt.huey)


def test_sync_analysis_answers_with_the_result(env: Env) -> None:
    r = _post(env, "acme", {"logs": SMALL, "workflow_name": "CI", "metadata": {"run": 7}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "completed" and body["mode"] == "sync"
    expl = body["result"]["explanation"]
    assert expl["root_cause"].startswith("test_total") and expl["evidence"] == ["E   assert 3 == 4"]
    assert body["metadata"] == {"run": 7} and body["usage"]["prompt_tokens"] > 0
    assert r.headers["X-RateLimit-Limit"] == "100"
    assert int(r.headers["X-RateLimit-Remaining"]) == 99
    with env.rt.db.session() as s:
        row = s.scalar(select(ApiUsage))
        assert row is not None and row.request_count == 1 and row.prompt_tokens > 0
        actions = set(s.scalars(select(AuditLog.action)))
        assert {"tenant.create", "apikey.create", "analysis.create"} <= actions
        audit_row = s.scalar(select(AuditLog).where(AuditLog.action == "analysis.create"))
        assert audit_row is not None and audit_row.user_agent == "testclient"
        assert audit_row.ip_address == "testclient"


def test_async_analysis_gzip_upload_with_signed_callback(env: Env, receiver: Receiver) -> None:
    data = gzip.compress(big_log().encode())
    r = env.client.post(
        "/v1/analyses",
        content=data,
        params={"workflow_name": "CI", "callback_url": receiver.url},
        headers={
            "X-API-Key": env.keys["acme"],
            "Content-Type": "application/octet-stream",
            "Content-Encoding": "gzip",
        },
    )
    assert r.status_code == 202, r.text
    analysis_id = r.json()["id"]
    assert r.headers["Location"] == f"/v1/analyses/{analysis_id}"
    assert r.json()["status"] == "pending"
    _work(env)
    got = env.client.get(f"/v1/analyses/{analysis_id}", headers={"X-API-Key": env.keys["acme"]})
    assert got.json()["status"] == "completed"
    assert got.json()["callback"]["status"] == "sent"
    assert got.json()["processing_duration_ms"] is not None
    headers, body = receiver.got[0]
    assert verify(env.secrets["acme"], body, headers[SIGNATURE_HEADER.lower()])
    sent = json.loads(body)
    assert sent["event"] == "analysis.completed" and sent["analysis"]["id"] == analysis_id
    assert headers[TIMESTAMP_HEADER.lower()] == str(sent["sent_at"])
    with env.rt.db.session() as s:  # the log is dropped once processed
        from argusai.ciapi.models import AnalysisLog

        assert s.scalar(select(AnalysisLog)) is None


def test_tenants_cannot_see_each_other(env: Env) -> None:
    own = _post(env, "acme", {"logs": SMALL}).json()["id"]
    other = env.client.get(f"/v1/analyses/{own}", headers={"X-API-Key": env.keys["globex"]})
    assert other.status_code == 404
    listed = env.client.get("/v1/analyses", headers={"X-API-Key": env.keys["globex"]})
    assert listed.status_code == 200 and listed.json()["items"] == []
    mine = env.client.get("/v1/analyses?limit=1", headers={"X-API-Key": env.keys["acme"]})
    assert [a["id"] for a in mine.json()["items"]] == [own]
    # globex cannot revoke acme's key either
    prefix = env.keys["acme"].split("_")[1]
    globex_id = tenants_id(env, "globex")
    with pytest.raises(tenants.TenantError):
        apikeys.revoke_key(env.rt.db, prefix, tenant_id=globex_id)


def tenants_id(env: Env, name: str) -> str:
    with env.rt.db.session() as s:
        return tenants.find_tenant(s, name).id


def test_auth_and_validation_errors(env: Env) -> None:
    assert env.client.post("/v1/analyses", json={"logs": SMALL}).status_code == 401
    bad = env.client.post("/v1/analyses", json={"logs": SMALL}, headers={"X-API-Key": "argus_x_y"})
    assert bad.status_code == 401
    r = _post(env, "acme", {"log": SMALL})
    assert r.status_code == 422
    assert ["body", "logs"] in [e["loc"] for e in r.json()["detail"]]
    r = _post(env, "acme", {"logs": SMALL, "callback_url": "http://10.0.0.1/x"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "callback_url"]
    # revoke, then rotate
    new = apikeys.rotate_key(env.rt.db, env.keys["acme"].split("_")[1])
    assert _post(env, "acme", {"logs": SMALL}).status_code == 401
    env.keys["acme"] = new.key
    assert _post(env, "acme", {"logs": SMALL}).status_code == 200
    assert len(apikeys.list_keys(env.rt.db, "acme")) == 2


def test_size_limits_413(env: Env) -> None:
    # free tier: 1 MB
    big = "x" * (1024 * 1024 + 10)
    r = env.client.post(
        "/v1/analyses",
        content=big.encode(),
        headers={"X-API-Key": env.keys["globex"], "Content-Type": "text/plain"},
    )
    assert r.status_code == 413
    bomb = gzip.compress(b"y" * (2 * 1024 * 1024))
    r = env.client.post(
        "/v1/analyses",
        content=bomb,
        headers={
            "X-API-Key": env.keys["globex"],
            "Content-Type": "text/plain",
            "Content-Encoding": "gzip",
        },
    )
    assert r.status_code == 413


def test_rate_limit_429_with_headers(env: Env) -> None:
    codes = [_post(env, "globex", {"logs": SMALL}) for _ in range(11)]
    assert [c.status_code for c in codes[:10]] == [200] * 10
    last = codes[10]
    assert last.status_code == 429
    assert int(last.headers["Retry-After"]) >= 1
    assert last.headers["X-RateLimit-Limit"] == "10"
    assert last.headers["X-RateLimit-Remaining"] == "0"
    assert "X-RateLimit-Reset" in last.headers


def test_monthly_quota_429(env: Env) -> None:
    with env.rt.db.session() as s:
        org = s.scalar(select(Organization).where(Organization.name == "acme"))
        assert org is not None
        org.api_quota_monthly = 2
    assert [_post(env, "acme", {"logs": SMALL}).status_code for _ in range(2)] == [200, 200]
    r = _post(env, "acme", {"logs": SMALL})
    assert r.status_code == 429 and "monthly quota" in r.json()["detail"]
    assert int(r.headers["Retry-After"]) > 0


# whose callback failures count, and redirects: tests/integration/test_callbacks_delivery.py


def test_llm_failure_marks_async_analysis_failed_and_calls_back(
    tmp_path: Path, receiver: Receiver
) -> None:
    with FakeLLMServer(responder=lambda _req: "no json") as fake:
        env = _env(tmp_path, fake)
        r = _post(env, "acme", {"logs": big_log(), "callback_url": receiver.url})
        _work(env)
    final = env.client.get(
        f"/v1/analyses/{r.json()['id']}", headers={"X-API-Key": env.keys["acme"]}
    )
    assert final.json()["status"] == "failed" and "ExplainOutputError" in final.json()["error"]
    assert json.loads(receiver.got[0][1])["event"] == "analysis.failed"
    assert env.rt.queue.dead() == []  # an unusable answer is final: no dead letter


def test_open_breaker_makes_an_async_analysis_wait_then_complete(
    tmp_path: Path, receiver: Receiver
) -> None:
    # Changed with the one work queue: an open LLM breaker is a wait, like a GitHub rate
    # limit. The analysis goes back to pending for the breaker's remaining time WITHOUT
    # spending a retry (it used to be retried, and past its budget failed).
    breakers = BreakerRegistry(failure_threshold=1, recovery_timeout=1.5)
    with FakeLLMServer(responder=lambda _req: Reply.error(503)) as fake:
        env = _env(tmp_path, fake, breakers=breakers, llm_max_retries=0, job_max_retries=3)
        analysis_id = _post(env, "acme", {"logs": big_log(), "callback_url": receiver.url})
        analysis_id = analysis_id.json()["id"]
        _work(env)  # a 503 opens the breaker; the retry finds it open and waits

        waiting = env.client.get(
            f"/v1/analyses/{analysis_id}", headers={"X-API-Key": env.keys["acme"]}
        ).json()
        assert waiting["status"] == "pending"
        assert "calls to it are paused" in waiting["error"]  # our words, not the provider's
        assert fake.request_count == 1  # the open breaker kept the retry from the provider
        assert receiver.got == [] and env.rt.queue.dead() == []
        with env.rt.db.session() as s:
            row = s.get(Analysis, analysis_id)
            assert row is not None and row.attempts == 1  # only the 503 spent a retry
            # back for the breaker's remaining time (at least a second), its message scheduled
            assert (row.next_attempt_at - row.created_at).total_seconds() >= 1.0
        assert len(env.rt.huey.scheduled()) == 1

        # the provider is back once the breaker lets a probe through
        fake.responder = lambda _req: ANSWER
        deadline = time.monotonic() + 10
        while "open" in breakers.states().values() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert env.rt.queue.run("analysis", analysis_id) == "done"
        drain(env.rt.huey)
    final = env.client.get(f"/v1/analyses/{analysis_id}", headers={"X-API-Key": env.keys["acme"]})
    assert final.json()["status"] == "completed" and final.json()["error"] is None
    assert [json.loads(body)["event"] for _h, body in receiver.got] == ["analysis.completed"]


def test_a_retried_dead_analysis_never_explains_an_empty_log(
    tmp_path: Path, receiver: Receiver
) -> None:
    with FakeLLMServer(responder=lambda _req: Reply.error(503)) as fake:
        env = _env(tmp_path, fake, llm_max_retries=0, job_max_retries=1)
        logs = big_log()
        analysis_id = _post(env, "acme", {"logs": logs, "callback_url": receiver.url})
        analysis_id = analysis_id.json()["id"]
        _work(env)
        assert [d.item_id for d in env.rt.queue.dead()] == [analysis_id]
        fake.responder = lambda _req: ANSWER
        assert env.rt.queue.retry_dead("analysis", analysis_id)  # what the operator runs
        _work(env)
    got = env.client.get(f"/v1/analyses/{analysis_id}", headers={"X-API-Key": env.keys["acme"]})
    final = got.json()
    # either explained from the log the tenant sent, or failed in our words: never made up
    if final["status"] == "completed":
        assert final["result"]["reduction"]["bytes_in"] == len(logs.encode())
    else:
        assert final["status"] == "failed" and fake.request_count == 2


def test_secrets_never_in_logs_or_database(tmp_path: Path) -> None:
    with FakeLLMServer(responder=lambda _req: ANSWER) as fake, capture_logs() as logs:
        env = _env(tmp_path, fake)
        _post(env, "acme", {"logs": SMALL})
        env.client.post(
            "/v1/analyses", json={"logs": SMALL}, headers={"X-API-Key": env.keys["acme"] + "x"}
        )
        _post(env, "acme", {"logs": big_log()})
        _work(env)
    text = json.dumps(logs, default=str)
    db_bytes = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("argus.db*"))
    for secret in (*env.keys.values(), *env.secrets.values()):
        assert secret not in text
        assert secret.encode() not in db_bytes
        assert secret[-24:].encode() not in db_bytes


def test_postgres_sync_and_async(tmp_path: Path, postgres_url: str) -> None:
    with FakeLLMServer(responder=lambda _req: ANSWER) as fake:
        env = _env(tmp_path, fake, database_url=postgres_url)
        assert _post(env, "acme", {"logs": SMALL}).status_code == 200
        r = _post(env, "acme", {"logs": big_log()})
        assert r.status_code == 202
        _work(env)
        got = env.client.get(
            f"/v1/analyses/{r.json()['id']}", headers={"X-API-Key": env.keys["acme"]}
        )
        assert got.json()["status"] == "completed"
        assert (
            env.client.get(
                f"/v1/analyses/{r.json()['id']}", headers={"X-API-Key": env.keys["globex"]}
            ).status_code
            == 404
        )


def test_openapi_documents_the_api(env: Env) -> None:
    spec = env.client.get("/openapi.json").json()
    post = spec["paths"]["/v1/analyses"]["post"]
    assert {"200", "202", "401", "413", "429"} <= set(post["responses"])
    assert "application/gzip" in post["requestBody"]["content"]
    assert env.client.get("/docs").status_code == 200
