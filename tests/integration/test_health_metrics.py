"""``/metrics`` and ``/readyz`` in one process: a review end to end, then scraped.

The fake world runs the web app (TestClient) and the worker (the queue drained here) in
this process, so one scrape sees what both sides recorded; the real processes are in
``test_health_processes.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from argusai.store import heartbeats
from argusai.store.heartbeats import WorkerHeartbeat
from argusai.store.models import DeadLetter, utcnow
from argusai.workq.presence import WorkerPresence
from tests.conftest import SHARED, shared_path
from tests.support import FakeWorld, load_fixture
from tests.support.answers import llm_finding

TOKEN = "metrics-token-for-tests-0123"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
OWNER, NAME, NUMBER = "Codertocat", "Hello-World", 2
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
PATCH = "@@ -1,2 +1,3 @@\n import os\n+query = 'SELECT * FROM t WHERE id=' + user_id\n x = 1"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition text, by name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    """One sample's value (0.0 when absent: a counter not yet incremented)."""
    return samples(text).get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def world(make_world: Callable[..., FakeWorld]) -> FakeWorld:
    shared_path("fixtures", "webhooks")
    world = make_world(metrics_token=TOKEN, llm_model="gpt-4o-mini")
    world.gh.add_repo(OWNER, NAME, installation_id=1)
    world.gh.add_pull(OWNER, NAME, NUMBER, files={"app.py": PATCH}, head_sha=HEAD)
    world.llm.responder = lambda _req: {
        "summary": "Builds SQL from input.",
        "findings": [llm_finding(2, "SQL injection", message="Use parameters.")],
    }
    return world


def scrape(world: FakeWorld) -> str:
    response = world.client.get("/metrics", headers=BEARER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_a_review_end_to_end_shows_in_the_metrics_of_web_and_worker(world: FakeWorld) -> None:
    before = scrape(world)
    model = {"provider": "openai-compatible", "model": "gpt-4o-mini"}
    payload = load_fixture(SHARED, "pull_request", "opened.json")
    assert world.deliver("pull_request", payload).status_code == 202

    queued = scrape(world)  # the web side: delivery counted, the review waiting
    assert value(queued, "argus_webhook_deliveries_total", outcome="queued") == 1.0
    assert value(queued, "argus_queue_depth", kind="review", state="queued") == 1.0
    assert value(queued, "argus_queue_depth", kind="ci_run", state="queued") == 0.0
    assert value(queued, "argus_queue_oldest_age_seconds", kind="review") >= 0.0

    world.run_worker()
    assert len(world.gh.reviews(OWNER, NAME, NUMBER)) == 1
    after = scrape(world)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # the worker side: the review done, its time to review, the LLM call and its cost
    assert grew("argus_work_items_total", kind="review", outcome="done") == 1.0
    assert grew("argus_work_time_to_done_seconds_count", kind="review") == 1.0
    assert grew("argus_work_run_seconds_count", kind="review") == 1.0
    assert grew("argus_llm_requests_total", outcome="ok", **model) >= 1.0
    assert grew("argus_llm_request_seconds_count", **model) >= 1.0
    assert grew("argus_llm_tokens_total", type="prompt", **model) > 0
    assert grew("argus_llm_tokens_total", type="completion", **model) > 0
    assert grew("argus_llm_cost_usd_total", **model) >= 0
    # GitHub's rate-limit headers, per installation; the queue empty again
    assert 0 < value(after, "argus_github_rate_limit_remaining", installation="1") <= 5000
    assert value(after, "argus_queue_depth", kind="review", state="queued") == 0.0
    assert value(after, "argus_queue_oldest_age_seconds", kind="review") == 0.0
    assert value(after, "argus_dead_letters", kind="review") == 0.0
    assert value(after, "argus_database_up") == 1.0


def test_dead_letters_workers_and_breakers_are_read_at_scrape_time(world: FakeWorld) -> None:
    with world.rt.db.session() as s:
        s.add(DeadLetter(kind="review", item_id="7", reason="boom", attempts=6))
        s.add(
            DeadLetter(kind="review", item_id="8", reason="boom", attempts=6, retried_at=utcnow())
        )
    heartbeats.beat(
        world.rt.db,
        "host:1:abc",
        hostname="host",
        pid=1,
        threads=2,
        version="test",
        breakers={"openai-compatible:gpt-4o-mini": "open"},
    )
    text = scrape(world)
    assert value(text, "argus_dead_letters", kind="review") == 1.0  # the retried one is not
    assert value(text, "argus_workers_alive") == 1.0
    assert value(text, "argus_worker_heartbeat_age_seconds") < 30
    breaker = {"provider": "openai-compatible", "model": "gpt-4o-mini"}
    assert value(text, "argus_llm_breaker_state", **breaker) == 2.0


def test_limiter_waits_are_counted(world: FakeWorld) -> None:
    from argusai.limits.policy import limits_for

    limiter = limits_for(world.settings).reviews
    key = "inst:metrics-test"
    before = scrape(world)
    for _ in range(world.settings.reviews_per_minute_per_installation + 1):
        wait = limiter.acquire(key)
    assert wait > 0
    after = scrape(world)
    name = limiter.name
    grown = value(after, "argus_limiter_waits_total", limiter=name) - value(
        before, "argus_limiter_waits_total", limiter=name
    )
    assert grown == 1.0
    assert value(after, "argus_limiter_wait_seconds_total", limiter=name) > 0


# ---- who may read the metrics -------------------------------------------------


def client_from(world: FakeWorld, host: str) -> TestClient:
    return TestClient(world.client.app, client=(host, 50000))


def test_with_a_token_a_bearer_is_needed(world: FakeWorld) -> None:
    missing = world.client.get("/metrics")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert "argus_" not in missing.text
    wrong = world.client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    # a token is needed from loopback too: a local reverse proxy is a loopback client
    assert client_from(world, "127.0.0.1").get("/metrics").status_code == 401
    assert world.client.get("/metrics", headers=BEARER).status_code == 200
    basic = world.client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401


def test_without_a_token_only_direct_loopback_clients_see_them(
    make_world: Callable[..., FakeWorld],
) -> None:
    world = make_world()
    assert world.client.get("/metrics").status_code == 404  # "testclient": not loopback
    assert client_from(world, "203.0.113.9").get("/metrics").status_code == 404
    assert client_from(world, "127.0.0.1").get("/metrics").status_code == 200
    assert client_from(world, "::1").get("/metrics").status_code == 200
    proxied = client_from(world, "127.0.0.1").get(
        "/metrics", headers={"X-Forwarded-For": "198.51.100.7"}
    )
    assert proxied.status_code == 404  # through a proxy on this host: not public
    assert world.client.get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 404


# ---- readiness ------------------------------------------------------------------


def readyz(world: FakeWorld) -> tuple[int, dict[str, Any]]:
    response = world.client.get("/readyz")
    return response.status_code, response.json()


def test_readyz_is_503_until_a_worker_beats_then_200(world: FakeWorld) -> None:
    status, body = readyz(world)
    assert status == 503
    assert body["status"] == "unhealthy" and body["ready"] is False
    assert body["timestamp"].endswith("Z")
    worker = body["checks"]["worker"]
    assert worker["ok"] is False and worker["status"] == "error"
    assert worker["reason"] == "no worker heartbeat within 60 s; no worker has reported"
    assert all(body["checks"][c]["ok"] for c in ("database", "queue", "github_app", "llm"))

    presence = WorkerPresence(world.rt.db, 15, threads=2).start()
    try:
        status, body = readyz(world)
        assert status == 200
        assert body["status"] == "healthy" and body["ready"] is True
        assert body["checks"]["worker"]["alive"] == 1
        assert body["checks"]["worker"]["workers"] == [presence.worker_id]
        assert body["checks"]["llm"]["status"] == "ok"
    finally:
        presence.close()
    status, body = readyz(world)  # a worker that stopped removed its heartbeat
    assert status == 503


def test_a_stale_heartbeat_is_not_a_live_worker(world: FakeWorld) -> None:
    presence = WorkerPresence(world.rt.db, 15, threads=1)
    assert presence.beat()
    with world.rt.db.session() as s:
        s.execute(update(WorkerHeartbeat).values(seen_at=utcnow() - timedelta(seconds=300)))
    status, body = readyz(world)
    assert status == 503
    # the age is measured when readyz runs, a moment after the update on a loaded machine
    reason = body["checks"]["worker"]["reason"]
    match = re.search(r"the last one was (\d+) s ago", reason)
    assert match, reason
    assert 300 <= int(match.group(1)) < 360


def test_an_open_breaker_degrades_without_failing_readiness(world: FakeWorld) -> None:
    heartbeats.beat(
        world.rt.db,
        "h:2:x",
        hostname="h",
        pid=2,
        threads=1,
        version="t",
        breakers={"openai-compatible:gpt-4o-mini": "open"},
    )
    status, body = readyz(world)
    assert status == 200
    assert body["status"] == "degraded"
    llm = body["checks"]["llm"]
    assert llm["ok"] is True and llm["status"] == "degraded"
    assert llm["breakers"] == {"openai-compatible:gpt-4o-mini": "open"}
    assert "openai-compatible:gpt-4o-mini" in llm["reason"]


def test_a_worker_can_be_reported_without_being_required(
    make_world: Callable[..., FakeWorld],
) -> None:
    world = make_world(ready_requires_worker=False)
    status, body = readyz(world)
    assert status == 200
    assert body["status"] == "degraded"
    assert body["checks"]["worker"] == {
        "ok": True,
        "status": "degraded",
        "reason": "no worker heartbeat within 60 s; no worker has reported",
        "alive": 0,
        "stale_after_seconds": 60.0,
        "required": False,
        "last_heartbeat_seconds_ago": None,
    }


# ---- the Grafana dashboard --------------------------------------------------------


def test_the_grafana_dashboard_asks_only_for_metrics_we_export(world: FakeWorld) -> None:
    dashboard = json.loads(
        (Path(__file__).resolve().parents[2] / "deploy/grafana/argusai.json").read_text()
    )
    WorkerPresence(world.rt.db, 15, threads=1).beat()  # the heartbeat age needs one
    exported: set[str] = set()
    for family in text_string_to_metric_families(scrape(world)):
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
        exported |= {family.name, *(family.name + s for s in suffixes.get(family.type, ()))}
    asked = {
        name
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        for name in re.findall(r"\bargus_[a-z_]+", target["expr"])
    }
    assert len(asked) >= 15
    assert asked <= exported, asked - exported
    assert all(
        p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        for p in dashboard["panels"]
        if p["type"] != "row"
    )
