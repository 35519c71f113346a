"""End to end: a failed PR run compared with the last passing run of the same job on main.

Two runs, two logs on the fake GitHub: run 1000 passed on ``main``, the PR's run failed.
The worker finds run 1000 (``GET …/actions/workflows/{id}/runs?branch=main&status=success``),
downloads its job's log once (kept under the data dir), and the prompt and the posted
comment name what only the failing log printed — not the warning both runs print.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import shared_path
from tests.fakes.fake_github import FakeGitHub, FakeJob
from tests.fakes.fake_llm import user_prompt
from tests.support import FakeWorld

OWNER, NAME, PR = "octo-org", "octo-repo", 2
RUN_ID, PASSING_RUN, WORKFLOW = 289782451, 1000, 2823525
HEAD, MAIN_SHA = (
    "3484a3fb816e0859fd6e1cea078d76385ff50625",
    "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
)
FAILED_JOB, PASSED_JOB = 101, 900
DECOY = (
    "WARNING: cache warm-up failed: ConnectionError: Redis at 127.0.0.1:6379 refused the "
    "connection (continuing without cache)"
)


def _stamp(text: str, minute: int) -> bytes:
    return "".join(
        f"2024-05-01T10:{minute:02d}:{i // 10:02d}.{i % 10}000000Z {line}\n"
        for i, line in enumerate(text.splitlines())
    ).encode()


SETUP = f"""\
##[group]Run pip install -e .
Successfully installed shop-0.1.0
##[endgroup]
##[group]Run pytest -q
============================= test session starts ==============================
collected 42 items
{DECOY}
"""
PASSING_LOG = _stamp(
    SETUP
    + """\
tests/test_cart.py ..........                                        [100%]
============================== 42 passed in 0.48s ==============================
""",
    minute=3,
)
FAILING_LOG = _stamp(
    SETUP
    + """\
tests/test_cart.py ........F.                                        [100%]
=================================== FAILURES ===================================
__________________________________ test_total __________________________________
    def test_total():
>       assert cart.total() == 4
E       assert 3 == 4
tests/test_cart.py:12: AssertionError
=========================== short test summary info ============================
FAILED tests/test_cart.py::test_total - assert 3 == 4
========================= 1 failed, 41 passed in 0.52s =========================
##[error]Process completed with exit code 1.
""",
    minute=41,
)
ANSWER = json.dumps(
    {
        "root_cause": "`test_total` fails: the cart total misses the shipping line.",
        "failing_step": "Run pytest -q",
        "evidence": ["E       assert 3 == 4"],
        "suggested_fix": "Add shipping in `Cart.total()`.",
        "confidence": "high",
    }
)


def payload(*, attempt: int = 1) -> dict[str, Any]:
    path = shared_path(
        "fixtures", "webhooks", "workflow_run", "completed.with-pull-requests.payload.json"
    )
    data: dict[str, Any] = copy.deepcopy(json.loads(path.read_text()))
    data["installation"] = {"id": 1}
    run = data["workflow_run"]
    run.update(
        conclusion="failure",
        run_attempt=attempt,
        name="CI",
        head_branch="fix-cart",
        event="pull_request",
        workflow_id=WORKFLOW,
    )
    for pr in run["pull_requests"]:
        pr["base"]["repo"]["id"] = data["repository"]["id"]
        pr["base"]["ref"] = "main"
    return data


def seed_failing(gh: FakeGitHub, attempt: int = 1) -> None:
    job = FakeJob(FAILED_JOB + attempt - 1, "test (3.11)", failed_step="Run pytest -q")
    gh.add_workflow_run(
        OWNER,
        NAME,
        RUN_ID,
        attempt=attempt,
        head_sha=HEAD,
        jobs=[job],
        branch="fix-cart",
        event="pull_request",
        workflow_id=WORKFLOW,
    )
    gh.set_job_log(OWNER, NAME, job.id, FAILING_LOG)


def seed_passing(gh: FakeGitHub) -> None:
    job = FakeJob(PASSED_JOB, "test (3.11)", conclusion="success", failed_step=None)
    gh.add_workflow_run(
        OWNER,
        NAME,
        PASSING_RUN,
        head_sha=MAIN_SHA,
        conclusion="success",
        jobs=[job],
        branch="main",
        workflow_id=WORKFLOW,
    )
    gh.set_job_log(OWNER, NAME, PASSED_JOB, PASSING_LOG)


@pytest.fixture
def world(make_world: Callable[..., FakeWorld]) -> FakeWorld:
    w = make_world(job_max_retries=2)
    w.gh.add_repo(OWNER, NAME, installation_id=1)
    w.gh.add_pull(OWNER, NAME, PR, files={"a.py": "@@ -0,0 +1 @@\n+x"}, head_sha=HEAD)
    return w


def comment(world: FakeWorld) -> str:
    (only,) = world.gh.issue_comments(OWNER, NAME, PR)
    return str(only["body"])


def test_the_comment_names_what_is_new_since_the_passing_run(world: FakeWorld) -> None:
    seed_passing(world.gh)
    seed_failing(world.gh)
    world.llm.enqueue(ANSWER)
    assert world.deliver("workflow_run", payload()).status_code == 202
    world.run_worker()

    body = comment(world)
    assert "New since the last passing run" in body
    link = f"run {PASSING_RUN}](https://github.com/{OWNER}/{NAME}/actions/runs/{PASSING_RUN}/job/"
    assert link in body
    assert "`main`" in body
    new_block = body.split("New since the last passing run", 1)[1].split("**Suggested fix", 1)[0]
    assert "FAILED tests/test_cart.py::test_total" in new_block
    assert "Redis" not in new_block  # the passing run printed it too
    prompt = user_prompt(world.llm.requests[0].json)
    assert "Compared with the last passing run of this job" in prompt
    assert f"run {PASSING_RUN} on main" in prompt
    context = prompt.split("<untrusted_context>", 1)[1]
    assert "FAILED tests/test_cart.py::test_total" in context and "Redis" not in context
    # the passing run's jobs were listed and its log fetched from GitHub's blob store
    assert world.gh.requests("GET", f"/repos/*/actions/workflows/{WORKFLOW}/runs")
    assert len(world.gh.requests("GET", f"/repos/*/actions/jobs/{PASSED_JOB}/logs")) == 1


def test_the_passing_log_is_downloaded_once(world: FakeWorld) -> None:
    seed_passing(world.gh)
    seed_failing(world.gh, attempt=1)
    world.llm.enqueue(ANSWER, ANSWER)
    world.deliver("workflow_run", payload(attempt=1))
    world.run_worker()
    seed_failing(world.gh, attempt=2)  # re-run, failed again
    world.deliver("workflow_run", payload(attempt=2))
    world.run_worker()

    assert len(world.gh.requests("GET", f"/repos/*/actions/jobs/{PASSED_JOB}/logs")) == 1
    cached = list((world.settings.data_dir / "ci-passing-logs").glob("*/*.log.gz"))
    assert [p.name for p in cached] == [f"{PASSING_RUN}-1-{PASSED_JOB}.log.gz"]
    assert "New since the last passing run" in comment(world)  # attempt 2's comment too
    assert world.llm.request_count == 2


def test_without_a_passing_run_the_explanation_is_as_before(world: FakeWorld) -> None:
    seed_failing(world.gh)
    world.llm.enqueue(ANSWER)
    world.deliver("workflow_run", payload())
    world.run_worker()

    body = comment(world)
    assert "passing run" not in body and "the cart total misses the shipping line" in body
    assert "<untrusted_context>" not in user_prompt(world.llm.requests[0].json)


def test_comparing_can_be_switched_off(make_world: Callable[..., FakeWorld]) -> None:
    world = make_world(ci_compare_passing=False)
    world.gh.add_repo(OWNER, NAME, installation_id=1)
    world.gh.add_pull(OWNER, NAME, PR, files={"a.py": "@@ -0,0 +1 @@\n+x"}, head_sha=HEAD)
    seed_passing(world.gh)
    seed_failing(world.gh)
    world.llm.enqueue(ANSWER)
    world.deliver("workflow_run", payload())
    world.run_worker()
    assert "passing run" not in comment(world)
    assert world.gh.requests("GET", "/repos/*/actions/workflows/*") == []
