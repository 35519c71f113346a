"""A provider's error text never reaches a tenant (issue 8 §3 item 8, the API part).

The fake provider echoes the LLM key back in its error message, URL-encoded and in
base64 as a careless proxy would; the tenant sees only our own words.
"""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import select

from argusai.cilog.models import Analysis
from tests.fakes.fake_llm import FakeLLMServer, Reply
from tests.integration.test_ci_api import SMALL, _env, _post, _work, big_log

LLM_KEY = "sk-test/llm+key=0123456789abcdef"
ECHOES = (LLM_KEY, quote(LLM_KEY, safe=""), base64.b64encode(LLM_KEY.encode()).decode())
ECHO = f"bad request for key {ECHOES[1]} ({ECHOES[2]})"


def _leaks(text: str) -> list[str]:
    return [echo for echo in ECHOES if echo in text]


def test_sync_refusal_is_reported_in_our_words(tmp_path: Path) -> None:
    with FakeLLMServer(responder=lambda _req: Reply.error(400, message=ECHO)) as fake:
        env = _env(tmp_path, fake, llm_api_key=LLM_KEY)
        r = _post(env, "acme", {"logs": SMALL})
        got = env.client.get(
            f"/v1/analyses/{r.json()['id']}", headers={"X-API-Key": env.keys["acme"]}
        )
    assert r.status_code == 502
    assert r.json()["error"] == "LLMError: the LLM provider refused the request (HTTP 400)"
    assert got.json()["error"] == r.json()["error"]
    assert _leaks(r.text) == [] and _leaks(got.text) == []


def test_async_failures_and_retries_are_reported_in_our_words(tmp_path: Path) -> None:
    with FakeLLMServer() as fake:
        env = _env(tmp_path, fake, llm_api_key=LLM_KEY, llm_max_retries=0, job_max_retries=1)
        fake.responder = lambda _req: Reply.error(503, message=ECHO)
        queued = _post(env, "acme", {"logs": big_log()})
        _work(env)
        fake.responder = lambda _req: Reply.error(401, message=ECHO)
        refused = _post(env, "acme", {"logs": big_log()})
        _work(env)
    with env.rt.db.session() as s:
        rows = {a.id: a for a in s.scalars(select(Analysis))}
    failed, denied = rows[queued.json()["id"]], rows[refused.json()["id"]]
    assert failed.status == "failed" and denied.status == "failed"
    assert failed.error_message is not None and "HTTP 503" in failed.error_message
    assert "failed or could not be reached" in failed.error_message
    assert denied.error_message == "LLMError: the LLM provider refused the request (HTTP 401)"
    for row in (failed, denied):
        assert _leaks(row.error_message or "") == []
        got = env.client.get(f"/v1/analyses/{row.id}", headers={"X-API-Key": env.keys["acme"]})
        assert _leaks(got.text) == []
    # Changed with the one work queue: an analysis past its retries is a dead letter too
    # (kind "analysis", for `argus jobs dead`); it used to be only failed. The refusal is
    # final (failed, no dead letter). The operator's view holds our words only as well.
    dead = env.rt.queue.dead()
    assert [(d.kind, d.item_id, d.attempts) for d in dead] == [("analysis", failed.id, 2)]
    assert "HTTP 503" in dead[0].reason and _leaks(dead[0].reason + dead[0].what) == []
