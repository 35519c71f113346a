"""One tenant's sync analyses cannot starve the server (issue 8 §3 item 3).

The fake LLM holds every call until the test releases it, so "answers while the LLM
calls are in flight" is checked without timing guesses: everything asserted below
happens before the release.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_all
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from argusai.ciapi import apikeys, tenants
from argusai.web.signature import sign
from argusai.workq.presence import WorkerPresence
from tests.fakes.fake_llm import FakeLLMServer
from tests.integration.live_server import live_server
from tests.integration.test_ci_api import ANSWER, SMALL, big_log
from tests.support import WEBHOOK_SECRET, FakeWorld

ANSWERS_WITHIN = 10.0  # seconds; only reached when something is starved


@dataclass
class Served:
    """The fake world's app on a real port (uvicorn), with an API key for each tenant."""

    world: FakeWorld
    url: str
    keys: dict[str, str]

    @property
    def fake(self) -> FakeLLMServer:
        return self.world.llm


@pytest.fixture
def world(make_world: Callable[..., FakeWorld], request: pytest.FixtureRequest) -> Iterator[Served]:
    overrides: dict[str, Any] = getattr(request, "param", {})
    fake_world = make_world(
        llm_api_key=None,
        llm_max_retries=0,
        secret_key="test-server-secret-key-value",
        **overrides,
    )
    fake_world.llm.responder = lambda _req: ANSWER
    keys = {}
    for name, tier in (("acme", "starter"), ("globex", "free"), ("initech", "starter")):
        tenants.create_tenant(fake_world.rt.db, fake_world.settings, name, tier)
        keys[name] = apikeys.create_key(fake_world.rt.db, name, "ci").key
    # a worker's heartbeat, as in a deployment (/readyz wants a live worker)
    WorkerPresence(fake_world.rt.db, 60, threads=1).beat()
    with live_server(fake_world.rt) as url:
        try:
            yield Served(fake_world, url, keys)
        finally:
            fake_world.llm.release()  # let held calls finish so the server can stop


def _analyse(world: Served, tenant: str, logs: str = SMALL) -> httpx.Response:
    return httpx.post(
        world.url + "/v1/analyses",
        json={"logs": logs},
        headers={"X-API-Key": world.keys[tenant]},
        timeout=60,
    )


def _fire(world: Served, tenant: str, count: int, pool: ThreadPoolExecutor) -> list[Future[Any]]:
    return [pool.submit(_analyse, world, tenant) for _ in range(count)]


def _webhook(world: Served) -> httpx.Response:
    """A signed delivery that goes through the database (recorded, then ignored)."""
    body = json.dumps(
        {
            "action": "closed",
            "pull_request": {"number": 1, "head": {"sha": "abc"}},
            "repository": {"full_name": "octo/hello"},
            "installation": {"id": 1},
        }
    ).encode()
    return httpx.post(
        world.url + "/webhooks/github",
        content=body,
        headers={
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": "starvation-1",
            "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
            "Content-Type": "application/json",
        },
        timeout=ANSWERS_WITHIN,
    )


def test_forty_held_sync_analyses_starve_nothing(world: Served) -> None:
    world.fake.hold()
    with ThreadPoolExecutor(max_workers=40) as pool:
        futures = _fire(world, "acme", 40, pool)
        # a Starter tenant gets ARGUS_CI_SYNC_MAX_PER_TENANT (2) LLM calls; the rest are queued
        assert world.fake.wait_held(2, timeout=ANSWERS_WITHIN)
        overflow = _finished(futures, 38)
        assert len(overflow) == 38
        assert all(f.result().status_code == 202 for f in overflow)
        for f in overflow:
            answer = f.result()
            assert answer.headers["Location"] == f"/v1/analyses/{answer.json()['id']}"
            assert answer.json()["mode"] == "async" and answer.json()["status"] == "pending"

        # while both LLM calls are held, everything else answers
        assert httpx.get(world.url + "/healthz", timeout=ANSWERS_WITHIN).status_code == 200
        assert httpx.get(world.url + "/readyz", timeout=ANSWERS_WITHIN).status_code == 200
        assert _webhook(world).status_code == 202
        other = {"X-API-Key": world.keys["globex"]}
        listed = httpx.get(world.url + "/v1/analyses", headers=other, timeout=ANSWERS_WITHIN)
        assert listed.status_code == 200
        queued = httpx.post(
            world.url + "/v1/analyses",
            json={"logs": big_log()},
            headers=other,
            timeout=ANSWERS_WITHIN,
        )
        assert queued.status_code == 202
        assert world.fake.held == 2 and world.fake.request_count == 2  # still held

        world.fake.release()
        wait_all(futures, timeout=60)
        held = [f.result() for f in futures if f not in overflow]
    assert [r.status_code for r in held] == [200, 200]
    assert all(r.json()["result"]["explanation"]["root_cause"] for r in held)


def _finished(futures: list[Future[Any]], count: int) -> list[Future[Any]]:
    """The futures done once ``count`` of them are (or after ANSWERS_WITHIN seconds)."""
    deadline = time.monotonic() + ANSWERS_WITHIN
    while time.monotonic() < deadline and sum(f.done() for f in futures) < count:
        time.sleep(0.02)
    return [f for f in futures if f.done()]


@pytest.mark.parametrize(
    "world", [{"ci_sync_max_concurrency": 3, "ci_sync_max_per_tenant": 2}], indirect=True
)
def test_sync_slots_are_bounded_in_total_and_per_tenant(world: Served) -> None:
    world.fake.hold()
    with ThreadPoolExecutor(max_workers=8) as pool:
        acme = _fire(world, "acme", 3, pool)
        assert world.fake.wait_held(2, timeout=ANSWERS_WITHIN)
        acme_queued = _finished(acme, 1)
        assert [f.result().status_code for f in acme_queued] == [202]  # its share is 2
        initech = _fire(world, "initech", 2, pool)
        assert world.fake.wait_held(3, timeout=ANSWERS_WITHIN)  # the total is 3
        initech_queued = _finished(initech, 1)
        assert [f.result().status_code for f in initech_queued] == [202]
        world.fake.release()
        wait_all([*acme, *initech], timeout=60)
    codes = sorted(f.result().status_code for f in [*acme, *initech])
    assert codes == [200, 200, 200, 202, 202]
    # the slots came back: a new sync analysis is answered at once
    assert _analyse(world, "globex").status_code == 200


def test_slow_dns_of_callback_urls_starves_nothing(
    world: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Callback URL checks resolve names tenants choose; a resolver that hangs holds no
    thread the rest of the server needs."""
    import socket
    import threading

    real = socket.getaddrinfo
    answer = threading.Event()
    asked = threading.Semaphore(0)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "slow.example":
            asked.release()
            answer.wait(60)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    body = {"logs": big_log(), "callback_url": "http://slow.example/hook"}
    headers = {"X-API-Key": world.keys["acme"]}
    try:
        with ThreadPoolExecutor(max_workers=40) as pool:
            futures = [
                pool.submit(
                    httpx.post, world.url + "/v1/analyses", json=body, headers=headers, timeout=60
                )
                for _ in range(40)
            ]
            assert asked.acquire(timeout=ANSWERS_WITHIN)  # the resolver is being waited on
            time.sleep(0.5)  # let the other requests pile up behind it
            assert httpx.get(world.url + "/healthz", timeout=ANSWERS_WITHIN).status_code == 200
            assert _webhook(world).status_code == 202
            other = {"X-API-Key": world.keys["globex"]}
            listed = httpx.get(world.url + "/v1/analyses", headers=other, timeout=ANSWERS_WITHIN)
            assert listed.status_code == 200
            answer.set()
            codes = {f.result(timeout=60).status_code for f in futures}
    finally:
        answer.set()
    assert codes == {422}
