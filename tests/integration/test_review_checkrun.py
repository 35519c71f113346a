"""The "ArgusAI review" check run: in progress while reviewing, then a conclusion by
``fail_on`` with one annotation per finding; "Re-run" reviews the head again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from argusai.store.models import Review
from tests.fakes.fake_llm import Reply
from tests.support import FakeWorld
from tests.support.answers import llm_finding as finding

OWNER, NAME, NUMBER = "octo", "shop", 7
HEAD = "a" * 40
LLM_KEY = "sk-test-llm-key-0123456789"
PATCH = "@@ -1,2 +1,4 @@\n import os\n+password = 'hunter2'\n+query = 'SELECT ' + user_id\n x = 1"
CHECK = "ArgusAI review"


def opened() -> dict[str, Any]:
    return {
        "action": "opened",
        "number": NUMBER,
        "pull_request": {"number": NUMBER, "head": {"sha": HEAD}, "state": "open"},
        "repository": {"full_name": f"{OWNER}/{NAME}"},
        "installation": {"id": 1},
    }


@pytest.fixture
def world(make_world: Callable[..., FakeWorld]) -> FakeWorld:
    world = make_world(llm_api_key=LLM_KEY, job_max_retries=0)
    world.gh.add_repo(OWNER, NAME, installation_id=1)
    world.gh.add_pull(OWNER, NAME, NUMBER, files={"app.py": PATCH}, head_sha=HEAD)
    return world


def review_checks(world: FakeWorld) -> list[dict[str, Any]]:
    return [c for c in world.gh.check_runs(OWNER, NAME) if c["name"] == CHECK]


def test_in_progress_while_reviewing_then_neutral_with_annotations(world: FakeWorld) -> None:
    seen: list[tuple[str, Any]] = []

    def answer(_request: Any) -> dict[str, Any]:
        seen.extend((c["status"], c["conclusion"]) for c in review_checks(world))
        return {
            "summary": "s",
            "findings": [finding(2, "Password", "critical"), finding(3, "SQL", "medium")],
        }

    world.llm.responder = answer
    assert world.deliver("pull_request", opened()).status_code == 202
    world.run_worker()
    assert seen == [("in_progress", None)]  # the check existed before the LLM answered
    (check,) = review_checks(world)
    assert (check["head_sha"], check["status"], check["conclusion"]) == (
        HEAD,
        "completed",
        "neutral",
    )
    assert check["output"]["title"] == "2 findings"
    assert "<!-- argus:summary -->" in check["output"]["summary"]
    notes = sorted(
        (a["start_line"], a["annotation_level"], a["title"]) for a in check["annotations"]
    )
    assert notes == [(2, "failure", "[critical] Password"), (3, "warning", "[medium] SQL")]


@pytest.mark.parametrize(
    ("severity", "conclusion"),
    [("high", "failure"), ("critical", "failure"), ("medium", "success")],
)
def test_fail_on_gates_the_merge(world: FakeWorld, severity: str, conclusion: str) -> None:
    world.gh.set_file(OWNER, NAME, ".argus.yml", "fail_on: High\n")
    world.llm.responder = lambda _r: {"summary": "s", "findings": [finding(3, "SQL", severity)]}
    world.deliver("pull_request", opened())
    world.run_worker()
    (check,) = review_checks(world)
    assert check["conclusion"] == conclusion
    assert ("fails" if conclusion == "failure" else "passes") in check["output"]["title"]


def test_no_findings_passes_a_gate(world: FakeWorld) -> None:
    world.gh.set_file(OWNER, NAME, ".argus.yml", "fail_on: low\n")
    world.llm.responder = lambda _r: {"summary": "fine", "findings": []}
    world.deliver("pull_request", opened())
    world.run_worker()
    (check,) = review_checks(world)
    assert (check["conclusion"], check["output"]["title"]) == (
        "success",
        "No findings (passes fail_on: low)",
    )


def test_annotations_go_fifty_per_request(world: FakeWorld) -> None:
    lines = "".join(f"+v{i} = {i}\n" for i in range(70))
    world.gh.add_pull(
        OWNER, NAME, NUMBER, files={"app.py": f"@@ -0,0 +1,70 @@\n{lines}"}, head_sha=HEAD
    )
    world.llm.responder = lambda _r: {
        "summary": "s",
        "findings": [finding(i, f"Issue {i}", "low") for i in range(1, 71)],
    }
    world.deliver("pull_request", opened())
    world.run_worker()
    (check,) = review_checks(world)
    assert check["status"] == "completed"
    assert len(check["annotations"]) == 70  # the fake refuses more than 50 in one request
    patches = world.gh.requests("PATCH", f"/repos/{OWNER}/{NAME}/check-runs/*")
    assert len(patches) == 2


def test_a_review_the_llm_could_not_do_never_passes_a_gate(world: FakeWorld) -> None:
    world.gh.set_file(OWNER, NAME, ".argus.yml", "fail_on: high\n")
    world.llm.responder = lambda _r: Reply.error(401)  # a refused key: the chunk fails
    world.deliver("pull_request", opened())
    world.run_worker()
    (check,) = review_checks(world)
    assert (check["status"], check["conclusion"]) == ("completed", "neutral")
    assert check["output"]["title"] == "No findings, 1 part not reviewed"
    assert LLM_KEY not in str(check)


def test_a_failed_review_does_not_leave_the_check_in_progress(world: FakeWorld) -> None:
    world.gh.fail("POST", f"/repos/{OWNER}/{NAME}/pulls/{NUMBER}/reviews", 422, times=5)
    world.llm.responder = lambda _r: {"summary": "s", "findings": [finding(3, "SQL", "high")]}
    world.deliver("pull_request", opened())
    world.run_worker()
    (check,) = review_checks(world)
    assert (check["status"], check["conclusion"]) == ("completed", "neutral")
    assert check["output"]["title"] == "Not reviewed"
    assert world.rows(Review)[0].status == "failed"


def test_rerun_reviews_the_head_again(world: FakeWorld) -> None:
    world.gh.set_file(OWNER, NAME, ".argus.yml", "fail_on: high\n")
    world.llm.responder = lambda _r: {"summary": "s", "findings": [finding(3, "SQL", "high")]}
    world.deliver("pull_request", opened())
    world.run_worker()
    (check,) = review_checks(world)
    assert check["conclusion"] == "failure"

    world.gh.set_file(OWNER, NAME, ".argus.yml", "fail_on: critical\n")  # the team relaxes it
    rerun = {
        "action": "rerequested",
        "check_run": {
            "name": CHECK,
            "head_sha": HEAD,
            "pull_requests": [{"number": NUMBER}],
        },
        "repository": {"full_name": f"{OWNER}/{NAME}"},
        "installation": {"id": 1},
    }
    answer = world.deliver("check_run", rerun)
    assert (answer.status_code, answer.json()["status"]) == (202, "queued")
    world.run_worker()
    (check,) = review_checks(world)  # the same check run, edited
    assert check["conclusion"] == "success"
    assert [r.trigger for r in world.rows(Review)] == [
        "pull_request.opened",
        "check_run.rerequested",
    ]
    assert len(world.gh.review_comments(OWNER, NAME, NUMBER)) == 1  # nothing posted twice

    other = {**rerun, "check_run": {**rerun["check_run"], "name": "ArgusAI CI analysis"}}
    assert world.deliver("check_run", other).json()["status"] == "ignored"
