"""GitHub and LLM limits end to end: rate-limited work is deferred, never failed or dropped."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from argusai.app import build_runtime
from argusai.limits import limits_for
from argusai.store.migrate import upgrade
from argusai.store.models import Review, utcnow
from tests.conftest import SHARED, make_settings, shared_path
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_llm import FakeLLMServer, Reply
from tests.fakes.keys import generate_rsa_keypair
from tests.integration.test_review_e2e import (
    APP_ID,
    HEAD,
    LLM_KEY,
    NAME,
    NUMBER,
    OWNER,
    PATCH_V1,
    World,
    finding,
)
from tests.support import WEBHOOK_SECRET, app_client, deliver, load_fixture, worker_queue


def make_world(tmp_path: Path, gh: FakeGitHub, llm: FakeLLMServer, **overrides: Any) -> World:
    settings = make_settings(
        tmp_path,
        github_app_id=APP_ID,
        github_private_key=overrides.pop("private_pem"),
        github_webhook_secret=WEBHOOK_SECRET,
        github_api_url=gh.base_url,
        llm_provider="openai-compatible",
        llm_base_url=llm.openai_base_url,
        llm_api_key=LLM_KEY,
        **{"job_retry_delay_seconds": 0, "job_max_retries": 1, **overrides},
    )
    rt = build_runtime(settings)
    upgrade(rt.db.engine)
    worker_queue(rt)
    return World(gh=gh, llm=llm, rt=rt, client=app_client(rt))


@pytest.fixture
def servers() -> Iterator[tuple[FakeGitHub, FakeLLMServer, str]]:
    shared_path("fixtures", "webhooks")
    private_pem, public_pem = generate_rsa_keypair()
    with FakeGitHub(app_id=APP_ID, public_key_pem=public_pem) as gh, FakeLLMServer() as llm:
        gh.add_repo(OWNER, NAME, installation_id=1)
        gh.add_pull(OWNER, NAME, NUMBER, files={"app.py": PATCH_V1}, head_sha=HEAD, title="t")
        llm.responder = lambda _req: {"summary": "s", "findings": [finding(2, "Password")]}
        yield gh, llm, private_pem


def opened(number: int = NUMBER) -> dict[str, Any]:
    payload = load_fixture(SHARED, "pull_request", "opened.json")
    payload["number"] = number
    payload["pull_request"]["number"] = number
    return payload


def rows(world: World) -> list[Review]:
    with world.rt.db.session() as s:
        return list(s.scalars(select(Review).order_by(Review.id)))


def run_scheduled(world: World, only: set[int] | None = None) -> None:
    """Run scheduled queue messages now (those for ``only`` ids; the rest stay scheduled)."""
    huey = world.rt.huey
    tasks = huey.scheduled()
    huey.storage.flush_schedule()
    for task in tasks:
        if only is None or task.args[1] in only:  # (kind, item id)
            huey.execute(task, timestamp=task.eta)
        else:
            huey.add_schedule(task)


def fast_forward(world: World) -> None:
    """Pretend every deferral is over: end pauses, make queued items due, run scheduled."""
    limits = limits_for(world.rt.settings)
    limits.pauses.resume(1)
    with world.rt.db.session() as s:
        s.execute(
            update(Review)
            .where(Review.status == "queued")
            .values(next_attempt_at=Review.created_at)
        )
    run_scheduled(world)
    world.run_worker()


def test_primary_rate_limit_defers_to_reset_without_spending_retries(
    tmp_path: Path, servers: tuple[FakeGitHub, FakeLLMServer, str]
) -> None:
    gh, llm, pem = servers
    world = make_world(tmp_path, gh, llm, private_pem=pem)
    gh.rate_limit_primary("GET", f"/repos/{OWNER}/{NAME}/pulls/{NUMBER}", reset_in=1800)
    deliver(world.client, "pull_request", opened())
    world.run_worker()
    (row,) = rows(world)
    assert (row.status, row.attempts) == ("queued", 0)
    assert "rate limit" in (row.error_message or "")
    wait = (row.next_attempt_at - row.created_at).total_seconds()
    assert 1700 < wait < 1810  # at the reset, not after a backoff
    (scheduled,) = world.rt.huey.scheduled()
    assert scheduled.args == ("review", row.id)
    # a second review of the installation is deferred too, without touching GitHub
    assert limits_for(world.rt.settings).pauses.remaining(1) > 1700
    fast_forward(world)
    (row,) = rows(world)
    assert row.status == "done" and row.attempts == 1
    assert len(gh.reviews(OWNER, NAME, NUMBER)) == 1
    world.rt.db.dispose()


def test_low_remaining_pauses_the_installation_for_the_next_review(
    tmp_path: Path, servers: tuple[FakeGitHub, FakeLLMServer, str]
) -> None:
    gh, llm, pem = servers
    world = make_world(tmp_path, gh, llm, private_pem=pem)
    gh.rate_limit_remaining = 10  # under the reserve of 50
    deliver(world.client, "pull_request", opened())
    world.run_worker()
    assert rows(world)[0].status == "done"  # the running review used the reserve
    gh.add_pull(OWNER, NAME, 3, files={"app.py": PATCH_V1}, head_sha="a" * 40)
    payload = opened(3)
    payload["pull_request"]["head"]["sha"] = "a" * 40
    deliver(world.client, "pull_request", payload)
    before = len(gh.requests())
    world.run_worker()
    second = rows(world)[1]
    assert (second.status, second.attempts) == ("queued", 0)
    assert len(gh.requests()) == before  # paused: not a single GitHub call
    world.rt.db.dispose()


def test_secondary_rate_limit_honours_retry_after(
    tmp_path: Path, servers: tuple[FakeGitHub, FakeLLMServer, str]
) -> None:
    gh, llm, pem = servers
    world = make_world(tmp_path, gh, llm, private_pem=pem)
    gh.rate_limit_secondary("POST", f"/repos/{OWNER}/{NAME}/pulls/{NUMBER}/reviews", retry_after=90)
    deliver(world.client, "pull_request", opened())
    world.run_worker()
    (row,) = rows(world)
    assert (row.status, row.attempts) == ("queued", 0)
    assert 85 < (row.next_attempt_at - row.created_at).total_seconds() < 100
    fast_forward(world)
    assert rows(world)[0].status == "done"
    assert len(gh.reviews(OWNER, NAME, NUMBER)) == 1
    world.rt.db.dispose()


def test_open_llm_breaker_defers_instead_of_failing(
    tmp_path: Path, servers: tuple[FakeGitHub, FakeLLMServer, str]
) -> None:
    import stamina

    gh, llm, pem = servers
    world = make_world(tmp_path, gh, llm, private_pem=pem, job_max_retries=0)
    llm.responder = lambda _req: Reply.error(503)
    stamina.set_testing(True, attempts=1)
    try:
        for number in range(3, 10):  # enough failures to open the breaker (5)
            gh.add_pull(OWNER, NAME, number, files={"app.py": PATCH_V1}, head_sha=f"{number:040d}")
            payload = opened(number)
            payload["pull_request"]["head"]["sha"] = f"{number:040d}"
            deliver(world.client, "pull_request", payload)
        world.run_worker()
    finally:
        stamina.set_testing(False)
    statuses = [(r.status, r.attempts) for r in rows(world)]
    # the first ones burnt their (zero) retries on 503s; once open, the rest wait
    deferred = [s for s in statuses if s == ("queued", 0)]
    assert deferred, statuses
    assert all(
        "circuit open" in (r.error_message or "") for r in rows(world) if r.status == "queued"
    )
    world.rt.db.dispose()


def test_webhook_flood_on_one_repo_is_delayed_not_dropped(
    tmp_path: Path, servers: tuple[FakeGitHub, FakeLLMServer, str]
) -> None:
    gh, llm, pem = servers
    world = make_world(tmp_path, gh, llm, private_pem=pem, webhooks_per_minute_per_repo=3)
    answers = []
    for number in range(10, 16):
        sha = f"{number:040d}"
        gh.add_pull(OWNER, NAME, number, files={"app.py": PATCH_V1}, head_sha=sha)
        payload = opened(number)
        payload["pull_request"]["head"]["sha"] = sha
        answers.append(deliver(world.client, "pull_request", payload))
    assert [a.status_code for a in answers] == [202] * 6
    assert [a.json()["status"] for a in answers] == ["queued"] * 6
    delayed = [a.json() for a in answers if "delay_seconds" in a.json()]
    assert len(delayed) == 3 and all(d["delay_seconds"] > 50 for d in delayed)
    world.run_worker()
    assert [r.status for r in rows(world)] == ["done"] * 3 + ["queued"] * 3
    assert len(world.rt.huey.scheduled()) == 3  # their messages wait for their time
    fast_forward(world)
    assert [r.status for r in rows(world)] == ["done"] * 6
    world.rt.db.dispose()


def test_write_pacing_spreads_a_burst(
    tmp_path: Path, servers: tuple[FakeGitHub, FakeLLMServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import argusai.limits.policy as policy
    from argusai.limits.github import GitHubGuard

    monkeypatch.setattr(policy, "MINUTE", 2.0)
    admitted: list[float] = []
    original = GitHubGuard.before_request

    def recording(self: GitHubGuard, installation_id: int, method: str, path: str) -> None:
        original(self, installation_id, method, path)
        if method in {"POST", "PATCH"}:
            admitted.append(time.monotonic())

    monkeypatch.setattr(GitHubGuard, "before_request", recording)
    gh, llm, pem = servers
    world = make_world(
        tmp_path,
        gh,
        llm,
        private_pem=pem,
        github_writes_per_minute=3,  # i.e. per 2 s here
        github_max_pacing_wait_seconds=0,
    )
    for number in range(20, 24):
        sha = f"{number:040d}"
        gh.add_pull(OWNER, NAME, number, files={"app.py": PATCH_V1}, head_sha=sha)
        payload = opened(number)
        payload["pull_request"]["head"]["sha"] = sha
        deliver(world.client, "pull_request", payload)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        world.run_worker()
        if all(r.status == "done" for r in rows(world)):
            break
        assert not any(r.status == "failed" for r in rows(world))
        time.sleep(0.3)
        with world.rt.db.session() as s:  # run the messages whose item is due
            due = set(
                s.scalars(
                    select(Review.id).where(
                        Review.status == "queued", Review.next_attempt_at <= utcnow()
                    )
                )
            )
        run_scheduled(world, due)
    assert [r.status for r in rows(world)] == ["done"] * 4
    assert len(gh.requests("POST", "*/pulls/*/reviews")) == 4  # nothing twice
    writes = sorted(admitted)
    for i in range(len(writes) - 3):  # never more than 3 writes in any 2 s window
        assert writes[i + 3] - writes[i] >= 1.9
    world.rt.db.dispose()
