"""GitHub and LLM limits end to end: rate-limited work is deferred, never failed or dropped."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update

from argusai.limits import limits_for
from argusai.store.models import Review, utcnow
from tests.conftest import SHARED, shared_path
from tests.fakes.fake_llm import Reply
from tests.integration.test_review_e2e import (
    HEAD,
    LLM_KEY,
    NAME,
    NUMBER,
    OWNER,
    PATCH_V1,
    finding,
)
from tests.support import FakeWorld, load_fixture


@pytest.fixture
def new_world(make_world: Callable[..., FakeWorld]) -> Callable[..., FakeWorld]:
    """A world with one PR and an LLM that finds one thing, with these settings."""
    shared_path("fixtures", "webhooks")

    def build(**overrides: Any) -> FakeWorld:
        world = make_world(**{"llm_api_key": LLM_KEY, "job_max_retries": 1, **overrides})
        world.gh.add_repo(OWNER, NAME, installation_id=1)
        world.gh.add_pull(OWNER, NAME, NUMBER, files={"app.py": PATCH_V1}, head_sha=HEAD, title="t")
        world.llm.responder = lambda _req: {"summary": "s", "findings": [finding(2, "Password")]}
        return world

    return build


def opened(number: int = NUMBER) -> dict[str, Any]:
    payload = load_fixture(SHARED, "pull_request", "opened.json")
    payload["number"] = number
    payload["pull_request"]["number"] = number
    return payload


def run_scheduled(world: FakeWorld, only: set[int] | None = None) -> None:
    """Run scheduled queue messages now (those for ``only`` ids; the rest stay scheduled)."""
    huey = world.rt.huey
    tasks = huey.scheduled()
    huey.storage.flush_schedule()
    for task in tasks:
        if only is None or task.args[1] in only:  # (kind, item id)
            huey.execute(task, timestamp=task.eta)
        else:
            huey.add_schedule(task)


def fast_forward(world: FakeWorld) -> None:
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
    new_world: Callable[..., FakeWorld],
) -> None:
    world = new_world()
    world.gh.rate_limit_primary("GET", f"/repos/{OWNER}/{NAME}/pulls/{NUMBER}", reset_in=1800)
    world.deliver("pull_request", opened())
    world.run_worker()
    (row,) = world.rows(Review)
    assert (row.status, row.attempts) == ("queued", 0)
    assert "rate limit" in (row.error_message or "")
    wait = (row.next_attempt_at - row.created_at).total_seconds()
    assert 1700 < wait < 1810  # at the reset, not after a backoff
    (scheduled,) = world.rt.huey.scheduled()
    assert scheduled.args == ("review", row.id)
    # a second review of the installation is deferred too, without touching GitHub
    assert limits_for(world.rt.settings).pauses.remaining(1) > 1700
    fast_forward(world)
    (row,) = world.rows(Review)
    assert row.status == "done" and row.attempts == 1
    assert len(world.gh.reviews(OWNER, NAME, NUMBER)) == 1


def test_low_remaining_pauses_the_installation_for_the_next_review(
    new_world: Callable[..., FakeWorld],
) -> None:
    world = new_world()
    world.gh.rate_limit_remaining = 10  # under the reserve of 50
    world.deliver("pull_request", opened())
    world.run_worker()
    assert world.rows(Review)[0].status == "done"  # the running review used the reserve
    world.gh.add_pull(OWNER, NAME, 3, files={"app.py": PATCH_V1}, head_sha="a" * 40)
    payload = opened(3)
    payload["pull_request"]["head"]["sha"] = "a" * 40
    world.deliver("pull_request", payload)
    before = len(world.gh.requests())
    world.run_worker()
    second = world.rows(Review)[1]
    assert (second.status, second.attempts) == ("queued", 0)
    assert len(world.gh.requests()) == before  # paused: not a single GitHub call


def test_secondary_rate_limit_honours_retry_after(new_world: Callable[..., FakeWorld]) -> None:
    world = new_world()
    world.gh.rate_limit_secondary(
        "POST", f"/repos/{OWNER}/{NAME}/pulls/{NUMBER}/reviews", retry_after=90
    )
    world.deliver("pull_request", opened())
    world.run_worker()
    (row,) = world.rows(Review)
    assert (row.status, row.attempts) == ("queued", 0)
    assert 85 < (row.next_attempt_at - row.created_at).total_seconds() < 100
    fast_forward(world)
    assert world.rows(Review)[0].status == "done"
    assert len(world.gh.reviews(OWNER, NAME, NUMBER)) == 1


def test_open_llm_breaker_defers_instead_of_failing(new_world: Callable[..., FakeWorld]) -> None:
    import stamina

    world = new_world(job_max_retries=0)
    world.llm.responder = lambda _req: Reply.error(503)
    stamina.set_testing(True, attempts=1)
    try:
        for number in range(3, 10):  # enough failures to open the breaker (5)
            world.gh.add_pull(
                OWNER, NAME, number, files={"app.py": PATCH_V1}, head_sha=f"{number:040d}"
            )
            payload = opened(number)
            payload["pull_request"]["head"]["sha"] = f"{number:040d}"
            world.deliver("pull_request", payload)
        world.run_worker()
    finally:
        stamina.set_testing(False)
    statuses = [(r.status, r.attempts) for r in world.rows(Review)]
    # the first ones burnt their (zero) retries on 503s; once open, the rest wait
    deferred = [s for s in statuses if s == ("queued", 0)]
    assert deferred, statuses
    assert all(
        "circuit open" in (r.error_message or "")
        for r in world.rows(Review)
        if r.status == "queued"
    )


def test_webhook_flood_on_one_repo_is_delayed_not_dropped(
    new_world: Callable[..., FakeWorld],
) -> None:
    world = new_world(webhooks_per_minute_per_repo=3)
    answers = []
    for number in range(10, 16):
        sha = f"{number:040d}"
        world.gh.add_pull(OWNER, NAME, number, files={"app.py": PATCH_V1}, head_sha=sha)
        payload = opened(number)
        payload["pull_request"]["head"]["sha"] = sha
        answers.append(world.deliver("pull_request", payload))
    assert [a.status_code for a in answers] == [202] * 6
    assert [a.json()["status"] for a in answers] == ["queued"] * 6
    delayed = [a.json() for a in answers if "delay_seconds" in a.json()]
    assert len(delayed) == 3 and all(d["delay_seconds"] > 50 for d in delayed)
    world.run_worker()
    assert [r.status for r in world.rows(Review)] == ["done"] * 3 + ["queued"] * 3
    assert len(world.rt.huey.scheduled()) == 3  # their messages wait for their time
    fast_forward(world)
    assert [r.status for r in world.rows(Review)] == ["done"] * 6


def test_write_pacing_spreads_a_burst(
    new_world: Callable[..., FakeWorld], monkeypatch: pytest.MonkeyPatch
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
    world = new_world(
        github_writes_per_minute=3,  # i.e. per 2 s here
        github_max_pacing_wait_seconds=0,
    )
    for number in range(20, 24):
        sha = f"{number:040d}"
        world.gh.add_pull(OWNER, NAME, number, files={"app.py": PATCH_V1}, head_sha=sha)
        payload = opened(number)
        payload["pull_request"]["head"]["sha"] = sha
        world.deliver("pull_request", payload)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        world.run_worker()
        if all(r.status == "done" for r in world.rows(Review)):
            break
        assert not any(r.status == "failed" for r in world.rows(Review))
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
    assert [r.status for r in world.rows(Review)] == ["done"] * 4
    assert len(world.gh.requests("POST", "*/pulls/*/reviews")) == 4  # nothing twice
    writes = sorted(admitted)
    for i in range(len(writes) - 3):  # never more than 3 writes in any 2 s window
        assert writes[i + 3] - writes[i] >= 1.9
