"""CI runs on GitHub pass the per-installation admission reviews pass (seed 003 with 000).

Over ``ARGUS_REVIEWS_PER_MINUTE_PER_INSTALLATION`` the next CI run is deferred (queued
again, its retry budget untouched) without a GitHub call; a paused installation (GitHub
rate limit) defers it too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from argusai.ci.models import CIRun
from argusai.limits import limits_for
from tests.fakes.fake_github import FakeJob
from tests.integration.test_ci_flaky import ANSWER, OWNER, PR, _log
from tests.integration.test_ci_github_e2e import payload as github_payload
from tests.support import FakeWorld

NAME = "octo-repo"


def deliver_failure(world: FakeWorld, run_id: int) -> None:
    job = FakeJob(run_id * 10, "test (3.11)")
    world.gh.add_workflow_run(OWNER, NAME, run_id, head_sha="a" * 40, jobs=[job])
    world.gh.set_job_log(OWNER, NAME, job.id, _log(True))
    data = github_payload()
    data["workflow_run"]["id"] = run_id
    assert world.deliver("workflow_run", data).status_code == 202


@pytest.fixture
def world(make_world: Callable[..., FakeWorld]) -> FakeWorld:
    w = make_world(reviews_per_minute_per_installation=1, ci_compare_passing=False)
    w.gh.add_repo(OWNER, NAME, installation_id=1)
    w.gh.add_pull(OWNER, NAME, PR, files={"a.py": "@@ -0,0 +1 @@\n+x"}, head_sha="a" * 40)
    w.llm.responder = lambda _req: json.loads(ANSWER)
    return w


def test_over_the_installation_limit_a_ci_run_waits(world: FakeWorld) -> None:
    deliver_failure(world, 1001)
    deliver_failure(world, 1002)
    world.run_worker()
    rows = {r.run_id: r for r in world.rows(CIRun)}
    assert rows[1001].status == "done"
    waiting = rows[1002]
    assert (waiting.status, waiting.attempts) == ("queued", 0)  # no retry spent
    assert "reviews/minute for this installation" in (waiting.error_message or "")
    assert world.gh.requests("GET", "/repos/*/actions/runs/1002/attempts/*/jobs") == []


def test_a_paused_installation_defers_ci_runs(world: FakeWorld) -> None:
    limits_for(world.settings).pauses.pause(1, time.time() + 120, "test")
    deliver_failure(world, 2001)
    world.run_worker()
    (row,) = world.rows(CIRun)
    assert (row.status, row.attempts) == ("queued", 0)
    assert "installation paused" in (row.error_message or "")
    assert world.gh.requests("GET", "/repos/*/actions/*") == []
