"""End to end: a signed ``workflow_run`` payload → worker → one comment + one check run.

The real clients run: githubkit against FakeGitHub (its job logs answer 302 to a blob
server on another origin), the openai SDK against FakeLLMServer, Huey on SQLite.

The shared payload ``completed.with-pull-requests.payload.json`` is GitHub's docs example:
it has no ``installation`` (GitHub Apps always get one), concludes ``success`` and its
PR's base repository is another one than the run's. The tests add ``installation``, set
the conclusion, and point the PR's base at the run's repository (ArgusAI comments only
on PRs of the run's own repository).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from argusai.ci.models import CIRun
from argusai.cilog.models import Analysis
from tests.conftest import shared_path
from tests.fakes.fake_github import FakeGitHub, FakeJob
from tests.fakes.fake_llm import user_prompt
from tests.support import FakeWorld

OWNER, NAME, PR = "octo-org", "octo-repo", 2
RUN_ID = 289782451
HEAD = "3484a3fb816e0859fd6e1cea078d76385ff50625"
MARKER = f"<!-- argus:ci run={RUN_ID} -->"
LLM_KEY = "sk-test-llm-key-0123456789abcdef"
LEAKED_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
APP_ID = 4343


def _stamp(text: str) -> str:
    """Prefix each line with a GitHub Actions timestamp, as real job logs have."""
    return "".join(
        f"2024-05-01T10:00:{i // 10:02d}.{i % 10}000000Z {line}\n"
        for i, line in enumerate(text.splitlines())
    )


PYTEST_LOG = _stamp("""\
##[group]Run actions/checkout@v4
Syncing repository: octo-org/octo-repo
##[endgroup]
##[group]Run pytest -q
============================= test session starts ==============================
collected 42 items
tests/test_cart.py ........F.                                        [100%]
=================================== FAILURES ===================================
__________________________________ test_total __________________________________
    def test_total():
        cart = Cart([Item("book", 3)])
>       assert cart.total() == 4
E       assert 3 == 4
E        +  where 3 = <bound method Cart.total of Cart(items=1)>()
tests/test_cart.py:12: AssertionError
=========================== short test summary info ============================
FAILED tests/test_cart.py::test_total - assert 3 == 4
========================= 1 failed, 41 passed in 0.52s =========================
##[error]Process completed with exit code 1.
""")

IMPORT_LOG = _stamp("""\
##[group]Run pytest -q
==================================== ERRORS ====================================
___________________ ERROR collecting tests/test_api.py ___________________
ImportError while importing test module '/home/runner/work/tests/test_api.py'.
E   ModuleNotFoundError: No module named 'httpx'
=========================== short test summary info ============================
ERROR tests/test_api.py
##[error]Process completed with exit code 2.
""")


def answer(root_cause: str, evidence: list[str], fix: str = "Fix `Cart.total()`.") -> str:
    return json.dumps(
        {
            "root_cause": root_cause,
            "failing_step": "Run pytest -q",
            "evidence": evidence,
            "suggested_fix": fix,
            "confidence": "high",
        }
    )


def posted_comments(world: FakeWorld) -> list[dict[str, Any]]:
    return world.gh.issue_comments(OWNER, NAME, PR)


def analyses_rows(world: FakeWorld) -> list[Analysis]:
    """Analyses in the order they were made."""
    return world.rows(Analysis, Analysis.created_at)


@pytest.fixture
def new_world(make_world: Callable[..., FakeWorld]) -> Callable[..., FakeWorld]:
    """A world with the run's repository and its PR, with these settings."""
    shared_path("fixtures", "webhooks", "workflow_run")

    def build(**overrides: Any) -> FakeWorld:
        world = make_world(app_id=APP_ID, llm_api_key=LLM_KEY, job_max_retries=2, **overrides)
        world.gh.add_repo(OWNER, NAME, installation_id=1)
        world.gh.add_pull(OWNER, NAME, PR, files={"a.py": "@@ -0,0 +1 @@\n+x"}, head_sha=HEAD)
        return world

    return build


@pytest.fixture
def world(new_world: Callable[..., FakeWorld]) -> FakeWorld:
    return new_world()


def payload(*, attempt: int = 1, conclusion: str = "failure", with_prs: bool = True) -> dict:
    path = shared_path(
        "fixtures", "webhooks", "workflow_run", "completed.with-pull-requests.payload.json"
    )
    data: dict[str, Any] = copy.deepcopy(json.loads(path.read_text()))
    data["installation"] = {"id": 1}
    run = data["workflow_run"]
    run["conclusion"] = conclusion
    run["run_attempt"] = attempt
    run["name"] = "CI"
    for pr in run["pull_requests"]:
        pr["base"]["repo"]["id"] = data["repository"]["id"]
    if not with_prs:
        run["pull_requests"] = []
    return data


def seed_attempt(
    gh: FakeGitHub, attempt: int, log: bytes | None, conclusion: str = "failure"
) -> None:
    failed = FakeJob(
        100 + attempt,
        "test (3.11)",
        conclusion=conclusion,
        failed_step="Run pytest -q" if conclusion != "success" else None,
    )
    lint = FakeJob(200 + attempt, "lint", conclusion="success", failed_step=None)
    gh.add_workflow_run(
        OWNER,
        NAME,
        RUN_ID,
        attempt=attempt,
        head_sha=HEAD,
        conclusion=conclusion,
        jobs=[failed, lint],
    )
    gh.set_job_log(OWNER, NAME, 100 + attempt, log)


def test_failed_run_gets_one_comment_and_one_check_run(world: FakeWorld) -> None:
    seed_attempt(world.gh, 1, PYTEST_LOG.encode())
    world.llm.enqueue(
        answer(
            "`test_total` fails: the cart total misses the shipping line.",
            ["E       assert 3 == 4"],
        )
    )
    response = world.deliver("workflow_run", payload(), delivery_id="ci-1")
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    assert world.llm.request_count == 0  # nothing happens inside the request
    world.run_worker()

    comments = posted_comments(world)
    assert len(comments) == 1
    body = comments[0]["body"]
    assert MARKER in body and "<!-- argus:ci attempt=1 -->" in body
    assert "the cart total misses the shipping line" in body
    assert "E       assert 3 == 4" in body  # evidence checked against the log
    assert "test (3.11)" in body and "lint" not in body  # only the failed job
    assert "ERROR collecting" not in body
    checks = world.gh.check_runs(OWNER, NAME)
    assert len(checks) == 1
    check = checks[0]
    assert check["name"] == "ArgusAI CI analysis" and check["head_sha"] == HEAD
    assert check["conclusion"] == "neutral" and check["status"] == "completed"
    assert "shipping line" in check["output"]["summary"]
    # only the failed job's log was fetched; the log prompt carried the pytest failure
    assert "assert 3 == 4" in user_prompt(world.llm.requests[0].json)
    analyses = analyses_rows(world)
    assert [(a.job_id, a.job_name, a.status) for a in analyses] == [
        (101, "test (3.11)", "completed")
    ]
    assert analyses[0].prompt_tokens > 0 and analyses[0].ci_run_id == world.rows(CIRun)[0].id
    assert world.rows(CIRun)[0].status == "done"


def test_job_log_redirect_is_followed_without_the_token(world: FakeWorld) -> None:
    seed_attempt(world.gh, 1, PYTEST_LOG.encode())
    world.llm.enqueue(answer("assertion in test_total", ["E       assert 3 == 4"]))
    world.deliver("workflow_run", payload(), delivery_id="ci-redirect")
    world.run_worker()
    logs = world.gh.requests("GET", f"/repos/{OWNER}/{NAME}/actions/jobs/101/logs")
    assert [r.status for r in logs] == [302]
    blobs = world.gh.blob_requests()
    assert len(blobs) == 1
    assert "authorization" not in blobs[0][1]  # the token never reaches the blob store
    assert len(posted_comments(world)) == 1


def test_reruns_update_the_same_comment_then_say_it_passes(world: FakeWorld) -> None:
    seed_attempt(world.gh, 1, PYTEST_LOG.encode())
    world.llm.enqueue(answer("first cause: assert 3 == 4", ["E       assert 3 == 4"]))
    world.deliver("workflow_run", payload(attempt=1), delivery_id="ci-a1")
    world.run_worker()
    first = posted_comments(world)
    assert len(first) == 1

    seed_attempt(world.gh, 2, IMPORT_LOG.encode())
    world.llm.enqueue(
        answer(
            "second cause: httpx is not installed",
            ["E   ModuleNotFoundError: No module named 'httpx'"],
            fix="Add `httpx` to the test dependencies.",
        )
    )
    world.deliver("workflow_run", payload(attempt=2), delivery_id="ci-a2")
    world.run_worker()
    second = posted_comments(world)
    assert len(second) == 1 and second[0]["id"] == first[0]["id"]
    body = second[0]["body"]
    assert "<!-- argus:ci attempt=2 -->" in body and "(attempt 2)" in body
    assert "second cause" in body and "first cause" not in body
    assert len(world.gh.check_runs(OWNER, NAME)) == 1  # the same check run, updated
    assert "httpx" in world.gh.check_runs(OWNER, NAME)[0]["output"]["summary"]

    seed_attempt(world.gh, 3, None, conclusion="success")
    world.deliver("workflow_run", payload(attempt=3, conclusion="success"), delivery_id="ci-a3")
    world.run_worker()
    final = posted_comments(world)
    assert len(final) == 1 and final[0]["id"] == first[0]["id"]
    assert "✅ CI passed" in final[0]["body"] and "attempt 3" in final[0]["body"]
    assert "attempt 2 had failed" in final[0]["body"]
    checks = world.gh.check_runs(OWNER, NAME)
    assert len(checks) == 1 and "passed on attempt 3" in checks[0]["output"]["title"]
    assert world.llm.request_count == 2  # nothing asked for the passing attempt


def test_success_on_first_attempt_is_ignored(world: FakeWorld) -> None:
    # the reason changed with issue 14: a first passing run of a commit that failed before
    # is work (flaky failures, tests/integration/test_ci_flaky.py); of any other commit not
    response = world.deliver("workflow_run", payload(conclusion="success"))
    assert response.json() == {
        "status": "ignored",
        "reason": "a passing run of a commit with no recorded failure",
    }


def test_run_without_pull_requests_gets_a_check_run_only(world: FakeWorld) -> None:
    seed_attempt(world.gh, 1, PYTEST_LOG.encode())
    world.llm.enqueue(answer("assertion in test_total", ["E       assert 3 == 4"]))
    world.deliver("workflow_run", payload(with_prs=False), delivery_id="ci-nopr")
    world.run_worker()
    assert posted_comments(world) == []
    assert len(world.gh.check_runs(OWNER, NAME)) == 1
    assert world.gh.requests("POST", "/repos/*/issues/*/comments") == []


def test_duplicate_delivery_gives_one_analysis(world: FakeWorld) -> None:
    seed_attempt(world.gh, 1, PYTEST_LOG.encode())
    world.llm.responder = lambda _req: answer("assertion", ["E       assert 3 == 4"])
    first = world.deliver("workflow_run", payload(), delivery_id="ci-dup")
    again = world.deliver("workflow_run", payload(), delivery_id="ci-dup")
    other_id = world.deliver("workflow_run", payload(), delivery_id="ci-dup-2")
    assert first.status_code == 202
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert other_id.status_code == 202 and other_id.json()["status"] == "ignored"
    world.run_worker()
    assert len(analyses_rows(world)) == 1
    assert len(world.rows(CIRun)) == 1
    assert len(posted_comments(world)) == 1
    assert world.llm.request_count == 1


def test_github_502_is_retried(world: FakeWorld) -> None:
    seed_attempt(world.gh, 1, PYTEST_LOG.encode())
    world.llm.responder = lambda _req: answer("assertion", ["E       assert 3 == 4"])
    # three 502s outlast the client's inline retries: the job itself is retried
    world.gh.fail("GET", f"/repos/{OWNER}/{NAME}/actions/runs/*/attempts/*/jobs", 502, times=3)
    world.gh.fail("POST", f"/repos/{OWNER}/{NAME}/check-runs", 502, times=1)
    world.deliver("workflow_run", payload(), delivery_id="ci-502")
    world.run_worker()
    runs = world.rows(CIRun)
    assert runs[0].status == "done", runs[0].error_message
    assert runs[0].attempts == 3
    assert len(posted_comments(world)) == 1  # the retry after the check-run 502 edits, not reposts
    assert len(world.gh.check_runs(OWNER, NAME)) == 1
    assert len(analyses_rows(world)) == 1 and world.llm.request_count == 1  # not paid twice


def test_secrets_never_reach_the_comment(world: FakeWorld) -> None:
    log = PYTEST_LOG.replace(
        "collected 42 items", f"collected 42 items token={LEAKED_TOKEN}"
    ).encode()
    seed_attempt(world.gh, 1, log)
    world.llm.enqueue(
        answer(
            f"The key {LLM_KEY} and {LEAKED_TOKEN} leaked; ping @octocat <img src=x>",
            [f"collected 42 items token={LEAKED_TOKEN}", "E       assert 3 == 4"],
        )
    )
    world.deliver("workflow_run", payload(), delivery_id="ci-secret")
    world.run_worker()
    body = posted_comments(world)[0]["body"]
    summary = world.gh.check_runs(OWNER, NAME)[0]["output"]["summary"]
    for text in (body, summary):
        assert LLM_KEY not in text and LEAKED_TOKEN not in text
        assert "[redacted]" in text
        assert "<img" not in text and "@octocat" not in text


def noisy_log(size: int) -> bytes:
    line = b"2024-05-01T10:00:00.0000000Z Downloading dependency chunk 0000 ... ok\n"
    head = line * (size // len(line) + 1)
    return head + PYTEST_LOG.encode()


def test_log_over_50_mb_keeps_its_tail_with_a_note(world: FakeWorld) -> None:
    seed_attempt(world.gh, 1, noisy_log(51 * 1024 * 1024))
    world.llm.enqueue(answer("assertion in test_total", ["E       assert 3 == 4"]))
    world.deliver("workflow_run", payload(), delivery_id="ci-big")
    world.run_worker()
    body = posted_comments(world)[0]["body"]
    assert "only its last 50 MB were analysed" in body
    assert "assertion in test_total" in body
    assert analyses_rows(world)[0].status == "completed"


def test_log_far_over_the_cap_is_refused_with_a_note(
    new_world: Callable[..., FakeWorld],
) -> None:
    world = new_world(ci_max_log_bytes=1024 * 1024)
    seed_attempt(world.gh, 1, noisy_log(5 * 1024 * 1024))
    world.deliver("workflow_run", payload(), delivery_id="ci-huge")
    world.run_worker()
    body = posted_comments(world)[0]["body"]
    assert "too large to analyse" in body
    assert world.llm.request_count == 0
    assert analyses_rows(world)[0].status == "failed"
    assert world.rows(CIRun)[0].status == "done"


def test_retry_after_a_crash_between_posting_and_recording_posts_nothing_twice(
    world: FakeWorld,
) -> None:
    from sqlalchemy import update

    from argusai.ci.kind import CI_RUN

    seed_attempt(world.gh, 1, PYTEST_LOG.encode())
    world.llm.enqueue(answer("assertion in test_total", ["E       assert 3 == 4"]))
    world.deliver("workflow_run", payload(), delivery_id="ci-crash")
    world.run_worker()
    run = world.rows(CIRun)[0]
    with world.rt.db.session() as s:  # as if the worker died before recording "done"
        s.execute(
            update(CIRun)
            .where(CIRun.id == run.id)
            .values(status="queued", check_run_id=None, comment_ids=None)
        )
    world.rt.queue.dispatch(CI_RUN, run.id)
    world.run_worker()
    assert world.rows(CIRun)[0].status == "done"
    assert len(posted_comments(world)) == 1
    assert len(world.gh.check_runs(OWNER, NAME)) == 1
    assert world.llm.request_count == 1
    assert world.gh.requests("POST", "/repos/*/issues/*/comments")[0].status == 201
    assert len(world.gh.requests("POST", "/repos/*/issues/*/comments")) == 1
