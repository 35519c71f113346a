"""Seed 003, finished: each guard of the analysis API, as a client or an operator sees it.

The 5-minute limit per analysis (shrunk here) reported as such, sync and async; uploads in
progress per client address (429 + Retry-After); a tenant's webhook events; read-only API
keys (403); ``argus tenant set-tier``; an analysis past its retries is a dead letter.
(CI runs on GitHub and the installation admission: ``test_ci_admission.py``.)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from argusai.ciapi import apikeys, tenants
from argusai.ciapi.models import AuditLog
from argusai.ciapi.uploads import Uploads
from argusai.cilog.models import Analysis
from argusai.cli import app
from tests.fakes.fake_llm import FakeLLMServer, Reply
from tests.integration.live_server import live_server
from tests.integration.test_ci_api import (
    ANSWER,
    SMALL,
    Receiver,
    _env,
    _post,
    _work,
    big_log,
    receiver,  # noqa: F401 - the fixture
)
from tests.support import FakeWorld

SLOW = Reply.json(ANSWER, delay=3.0)


def _get(env: Any, tenant: str, analysis_id: str) -> httpx.Response:
    response: httpx.Response = env.client.get(
        f"/v1/analyses/{analysis_id}", headers={"X-API-Key": env.keys[tenant]}
    )
    return response


# --- the time limit of one analysis ------------------------------------------------------


def test_an_async_analysis_past_its_time_limit_is_failed_as_such(tmp_path: Path) -> None:
    with FakeLLMServer(responder=lambda _req: SLOW) as fake:
        env = _env(tmp_path, fake, ci_analysis_timeout_seconds=0.5, llm_max_retries=0)
        queued = _post(env, "acme", {"logs": big_log()})
        assert queued.status_code == 202
        _work(env)
        got = _get(env, "acme", queued.json()["id"]).json()
    assert got["status"] == "failed"
    assert got["error"] == ("AnalysisTimeout: the analysis took longer than 0.5 s and was stopped")
    assert got["result"] is None
    assert env.rt.queue.dead() == []  # a timeout is final: not retried, not a dead letter


def test_a_sync_analysis_past_its_time_limit_answers_504(tmp_path: Path) -> None:
    with FakeLLMServer(responder=lambda _req: SLOW) as fake:
        env = _env(tmp_path, fake, ci_analysis_timeout_seconds=0.5, llm_max_retries=0)
        r = _post(env, "acme", {"logs": SMALL})
    assert r.status_code == 504, r.text
    assert (r.json()["status"], r.json()["mode"]) == ("failed", "sync")
    assert r.json()["error"].startswith("AnalysisTimeout: the analysis took longer than 0.5 s")


# --- uploads in progress per client address ----------------------------------------------


def test_uploads_are_counted_per_address_and_given_back() -> None:
    uploads = Uploads(per_ip=2)
    a, b = uploads.take("10.0.0.1"), uploads.take("10.0.0.1")
    assert a is not None and b is not None
    assert uploads.take("10.0.0.1") is None
    assert uploads.take("10.0.0.2") is not None  # another address has its own count
    with a:
        pass
    a.close()  # twice: given back once
    assert uploads.in_progress("10.0.0.1") == 1
    assert uploads.take("10.0.0.1") is not None


@pytest.fixture
def served(make_world: Callable[..., FakeWorld]) -> Iterator[tuple[FakeWorld, str, str]]:
    world = make_world(
        llm_api_key=None,
        llm_max_retries=0,
        secret_key="test-server-secret-key-value",
        ci_max_uploads_per_ip=2,
    )
    world.llm.responder = lambda _req: ANSWER
    tenants.create_tenant(world.rt.db, world.settings, "acme", "starter")
    key = apikeys.create_key(world.rt.db, "acme", "ci").key
    with live_server(world.rt) as url:
        try:
            yield world, url, key
        finally:
            world.llm.release()


def test_past_the_uploads_per_address_the_next_is_429(
    served: tuple[FakeWorld, str, str],
) -> None:
    world, url, key = served
    headers = {"X-API-Key": key}

    def analyse() -> httpx.Response:
        return httpx.post(f"{url}/v1/analyses", json={"logs": SMALL}, headers=headers, timeout=60)

    world.llm.hold()
    with ThreadPoolExecutor(2) as pool:
        running = [pool.submit(analyse), pool.submit(analyse)]
        assert world.llm.wait_held(2)  # two uploads in progress, their LLM calls held
        refused = analyse()
        listed = httpx.get(f"{url}/v1/analyses", headers=headers, timeout=10)
        world.llm.release()
        done = [f.result(timeout=30) for f in running]
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "5"
    assert "2 uploads from this address are in progress" in refused.json()["detail"]
    assert listed.status_code == 200  # reading is not an upload
    assert [r.status_code for r in done] == [200, 200]
    assert analyse().status_code == 200  # the places were given back
    with world.rt.db.session() as s:
        actions = list(s.scalars(select(AuditLog.action)))
    assert "uploads.exceeded" in actions


# --- a tenant's webhook events ------------------------------------------------------------


def test_only_the_events_a_tenant_chose_are_called_back(
    tmp_path: Path,
    receiver: Receiver,  # noqa: F811 - the fixture
) -> None:
    with FakeLLMServer(responder=lambda _req: ANSWER) as fake:
        env = _env(tmp_path, fake, llm_max_retries=0, job_max_retries=0)
        tenants.configure_webhook(
            env.rt.db, env.rt.settings, "acme", url=receiver.url, events=["analysis.failed"]
        )
        completed = _post(env, "acme", {"logs": big_log()}).json()["id"]
        _work(env)
        fake.responder = lambda _req: Reply.error(400, message="refused")
        failed = _post(env, "acme", {"logs": big_log()}).json()["id"]
        _work(env)
        states = {a: _get(env, "acme", a).json() for a in (completed, failed)}
    assert states[completed]["status"] == "completed"
    assert states[completed]["callback"]["status"] == "filtered"
    assert states[failed]["callback"]["status"] == "sent"
    assert [json.loads(body)["event"] for _headers, body in receiver.got] == ["analysis.failed"]


def test_webhook_events_are_checked_and_can_be_reset(tmp_path: Path) -> None:
    with FakeLLMServer() as fake:
        env = _env(tmp_path, fake)
    db, settings = env.rt.db, env.rt.settings
    with pytest.raises(tenants.TenantError, match="unknown events"):
        tenants.configure_webhook(db, settings, "acme", events=["analysis.started"])
    tenants.configure_webhook(db, settings, "acme", events=["analysis.failed"])
    with db.session() as s:
        hook = tenants.webhook_of(s, tenants.find_tenant(s, "acme").id)
        assert hook is not None and hook.events == ["analysis.failed"]
    tenants.configure_webhook(db, settings, "acme", events=[])
    with db.session() as s:
        hook = tenants.webhook_of(s, tenants.find_tenant(s, "acme").id)
        assert hook is not None and hook.events is None  # every event again


# --- API key permissions --------------------------------------------------------------------


def test_a_read_only_key_reads_but_cannot_create(tmp_path: Path) -> None:
    with FakeLLMServer(responder=lambda _req: ANSWER) as fake:
        env = _env(tmp_path, fake)
        made = _post(env, "acme", {"logs": SMALL}).json()["id"]
        reader = apikeys.create_key(env.rt.db, "acme", "dashboard", scopes=apikeys.READ_ONLY)
        env.keys["reader"] = reader.key
        refused = _post(env, "reader", {"logs": SMALL})
        assert fake.request_count == 1  # the refused request never reached the LLM
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "this API key lacks the analyses:write permission (it has: analyses:read)"
    )
    assert _get(env, "reader", made).status_code == 200
    listed = env.client.get("/v1/analyses", headers={"X-API-Key": reader.key})
    assert [a["id"] for a in listed.json()["items"]] == [made]
    with env.rt.db.session() as s:
        assert s.scalar(select(Analysis.id).where(Analysis.api_key_id == reader.id)) is None
        assert "auth.forbidden" in set(s.scalars(select(AuditLog.action)))


def test_a_rotated_read_only_key_stays_read_only(tmp_path: Path) -> None:
    with FakeLLMServer(responder=lambda _req: ANSWER) as fake:
        env = _env(tmp_path, fake)
        reader = apikeys.create_key(env.rt.db, "acme", "ro", scopes=apikeys.READ_ONLY)
        new = apikeys.rotate_key(env.rt.db, reader.prefix)
        env.keys["rotated"] = new.key
        assert _post(env, "rotated", {"logs": SMALL}).status_code == 403


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_the_cli_makes_read_only_keys_and_sets_events(data_dir: Path) -> None:
    run = CliRunner(env={"COLUMNS": "200"}).invoke
    assert run(app, ["tenant", "create", "acme"]).exit_code == 0
    made = run(app, ["apikey", "create", "--tenant", "acme", "--read-only"])
    assert made.exit_code == 0 and "read-only" in made.stdout
    listed = run(app, ["apikey", "list", "--tenant", "acme"])
    assert "analyses:read" in listed.stdout and "analyses:write" not in listed.stdout
    events = run(app, ["tenant", "webhook", "acme", "--events", "analysis.failed"])
    assert events.exit_code == 0, events.output
    bad = run(app, ["tenant", "webhook", "acme", "--events", "analysis.nope"])
    assert bad.exit_code == 1 and "unknown events" in bad.stderr


# --- argus tenant set-tier ------------------------------------------------------------------


def test_set_tier_moves_a_tenant_and_its_limits(data_dir: Path) -> None:
    run = CliRunner().invoke
    assert run(app, ["tenant", "create", "acme"]).exit_code == 0  # free: 1 MB logs
    moved = run(app, ["tenant", "set-tier", "acme", "pro", "--quota", "123"])
    assert moved.exit_code == 0, moved.output
    assert moved.stdout.strip() == "tenant acme: tier free → pro"
    rows = json.loads(run(app, ["tenant", "list", "--json"]).stdout)
    assert [(t["name"], t["tier"]) for t in rows] == [("acme", "pro")]
    assert run(app, ["tenant", "set-tier", "acme", "gold"]).exit_code == 1
    assert run(app, ["tenant", "set-tier", "nobody", "pro"]).exit_code == 1
    both = run(app, ["tenant", "set-tier", "acme", "pro", "--quota", "1", "--tier-quota"])
    assert both.exit_code == 2
    assert run(app, ["tenant", "set-tier", "acme", "starter", "--tier-quota"]).exit_code == 0


def test_set_tier_changes_what_the_next_request_may_send(tmp_path: Path) -> None:
    with FakeLLMServer(responder=lambda _req: ANSWER) as fake:
        env = _env(tmp_path, fake)  # globex is on the free tier: logs up to 1 MB
        two_mb = {"logs": big_log(2 * 1024 * 1024)}
        assert _post(env, "globex", two_mb).status_code == 413
        assert tenants.set_tier(env.rt.db, "globex", "starter", quota=5) == ("free", "starter")
        assert _post(env, "globex", two_mb).status_code == 202
    with env.rt.db.session() as s:
        changes = s.scalar(select(AuditLog.changes).where(AuditLog.action == "tenant.set_tier"))
    assert changes == {"from": "free", "to": "starter", "quota": 5}


# --- an analysis past its retries is a dead letter --------------------------------------------


def test_an_analysis_past_its_retries_is_a_dead_letter_and_called_back(
    tmp_path: Path,
    receiver: Receiver,  # noqa: F811 - the fixture
) -> None:
    with FakeLLMServer(responder=lambda _req: Reply.error(503)) as fake:
        env = _env(tmp_path, fake, llm_max_retries=0, job_max_retries=1)
        tenants.configure_webhook(env.rt.db, env.rt.settings, "acme", url=receiver.url)
        queued = _post(env, "acme", {"logs": big_log()}).json()["id"]
        _work(env)
        got = _get(env, "acme", queued).json()
        dead = env.rt.queue.dead()
        assert [(d.kind, d.item_id) for d in dead] == [("analysis", queued)]
        assert got["status"] == "failed" and got["callback"]["status"] == "sent"
        assert [json.loads(b)["event"] for _h, b in receiver.got] == ["analysis.failed"]
        # the operator retries it once the provider is back: its log was kept for that
        fake.responder = lambda _req: ANSWER
        assert env.rt.queue.retry_dead("analysis", queued)
        _work(env)
        assert _get(env, "acme", queued).json()["status"] == "completed"


def test_threads_left_by_timeouts_do_not_outlive_the_process() -> None:
    # the analysis thread is a daemon: a stuck provider never holds a worker's exit
    from argusai.ciapi.deadline import AnalysisTimeout, within

    gate = threading.Event()
    with pytest.raises(AnalysisTimeout):
        within(0.05, gate.wait, 5)
    stuck = [t for t in threading.enumerate() if t.name == "argus-analysis"]
    assert stuck and all(t.daemon for t in stuck)
    gate.set()
