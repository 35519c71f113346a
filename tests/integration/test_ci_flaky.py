"""Flaky and recurring failures over a sequence of workflow_run events (fake GitHub, real app).

A test fails, then passes on re-run with no new commit: recorded as flaky. When it fails
again later, the comment says how often it failed in the last 7 days on main and how often
a re-run passed. A later run of the same commit (not a re-run) counts as passing on re-run
too; a passing run of a commit that never failed creates no work.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from argusai.ci.models import CIFailure, CIRun
from argusai.store.models import utcnow
from tests.conftest import shared_path
from tests.fakes.fake_github import FakeJob
from tests.fakes.fake_llm import user_prompt
from tests.support import FakeWorld

OWNER, NAME, PR, WORKFLOW = "octo-org", "octo-repo", 2, 2823525
JOB = "test (3.11)"
TEST = "tests/test_cart.py::test_total"


def _log(failing: bool) -> bytes:
    lines = ["##[group]Run pytest -q", "collected 42 items"]
    if failing:
        lines += [
            "tests/test_cart.py ........F.",
            "E       assert 3 == 4",
            f"FAILED {TEST} - assert 3 == 4",
            "========================= 1 failed, 41 passed in 0.52s =========================",
            "##[error]Process completed with exit code 1.",
        ]
    else:
        lines += ["tests/test_cart.py ..........", "42 passed in 0.48s"]
    return "".join(
        f"2024-05-01T10:00:0{i % 10}.0000000Z {x}\n" for i, x in enumerate(lines)
    ).encode()


ANSWER = json.dumps(
    {
        "root_cause": "`test_total` fails: 3 != 4.",
        "failing_step": "Run pytest -q",
        "evidence": ["E       assert 3 == 4"],
        "suggested_fix": "Look at the shipping line.",
        "confidence": "medium",
    }
)


class Runs:
    """Seeds runs on the fake GitHub and delivers their workflow_run events."""

    def __init__(self, world: FakeWorld) -> None:
        self.world, self.job_ids = world, iter(range(7000, 8000))

    def event(
        self,
        run_id: int,
        sha: str,
        *,
        attempt: int = 1,
        passed: bool = False,
        log: bytes | None = None,
    ) -> None:
        gh = self.world.gh
        job = FakeJob(
            next(self.job_ids),
            JOB,
            conclusion="success" if passed else "failure",
            failed_step=None if passed else "Run pytest -q",
        )
        gh.add_workflow_run(
            OWNER,
            NAME,
            run_id,
            attempt=attempt,
            head_sha=sha,
            conclusion="success" if passed else "failure",
            jobs=[job],
            branch="fix-cart",
            event="pull_request",
            workflow_id=WORKFLOW,
        )
        gh.set_job_log(OWNER, NAME, job.id, log if log is not None else _log(not passed))
        if not passed:
            self.world.llm.enqueue(ANSWER)
        path = shared_path(
            "fixtures", "webhooks", "workflow_run", "completed.with-pull-requests.payload.json"
        )
        data: dict[str, Any] = copy.deepcopy(json.loads(path.read_text()))
        data["installation"] = {"id": 1}
        data["workflow_run"].update(
            id=run_id,
            run_attempt=attempt,
            head_sha=sha,
            conclusion="success" if passed else "failure",
            name="CI",
            head_branch="fix-cart",
            event="pull_request",
            workflow_id=WORKFLOW,
        )
        for pr in data["workflow_run"]["pull_requests"]:
            pr["base"]["repo"]["id"] = data["repository"]["id"]
            pr["base"]["ref"] = "main"
        response = self.world.deliver("workflow_run", data)
        assert response.status_code == 202, response.text
        self.world.run_worker()

    def comment(self, run_id: int) -> str:
        marker = f"<!-- argus:ci run={run_id} -->"
        bodies = [c["body"] for c in self.world.gh.issue_comments(OWNER, NAME, PR)]
        (body,) = [b for b in bodies if marker in b]
        return str(body)


@pytest.fixture
def runs(make_world: Callable[..., FakeWorld]) -> Runs:
    world = make_world(job_max_retries=2, ci_compare_passing=False)
    world.gh.add_repo(OWNER, NAME, installation_id=1)
    world.gh.add_pull(OWNER, NAME, PR, files={"a.py": "@@ -0,0 +1 @@\n+x"}, head_sha="c" * 40)
    return Runs(world)


def test_failed_then_passed_on_rerun_is_flaky_and_said_so_next_time(runs: Runs) -> None:
    runs.event(500, "a" * 40)  # fails
    assert "History" not in runs.comment(500)  # a first failure has no history
    runs.event(500, "a" * 40, attempt=2, passed=True)  # re-run, same commit: passes
    assert "✅ CI passed" in runs.comment(500)
    rows = runs.world.rows(CIFailure)
    assert [(r.kind, r.name, r.branch, r.passed_run_attempt) for r in rows] == [
        ("test", TEST, "main", 2)
    ]

    runs.event(501, "b" * 40)  # a new commit fails the same test
    body = runs.comment(501)
    assert (
        f"`{TEST}` failed 2 times in the last 7 days on `main`, passed on re-run once "
        "— likely flaky." in body
    )
    prompt = user_prompt(runs.world.llm.requests[-1].json)
    assert f"{TEST}: failed 2 times in the last 7 days on main" in prompt


def test_a_later_run_of_the_same_commit_counts_as_a_rerun(runs: Runs) -> None:
    runs.event(600, "d" * 40)  # fails
    runs.event(601, "d" * 40, passed=True)  # another run (workflow_dispatch, a push) passes
    assert [r.passed_run_id for r in runs.world.rows(CIFailure)] == [601]
    assert runs.world.rows(CIRun, CIRun.id)[-1].result == {"passed": True, "flaky": 1}
    runs.event(602, "e" * 40)  # fails again: still flaky
    runs.event(603, "e" * 40, attempt=1, passed=True)
    runs.event(604, "f" * 40)
    assert (
        "failed 3 times in the last 7 days on `main`, passed on re-run 2 times — likely flaky"
        in runs.comment(604)
    )


def test_recurring_but_never_passing_is_not_called_flaky(runs: Runs) -> None:
    runs.event(700, "1" * 40)
    runs.event(701, "2" * 40)
    body = runs.comment(701)
    assert "failed 2 times in the last 7 days on `main`, passed on re-run 0 times." in body
    assert "flaky" not in body


def test_only_the_last_days_count(runs: Runs) -> None:
    runs.event(800, "3" * 40)
    with runs.world.rt.db.session() as s:
        s.execute(update(CIFailure).values(failed_at=utcnow() - timedelta(days=8)))
    runs.event(801, "4" * 40)
    assert "History" not in runs.comment(801)


def test_a_job_without_test_names_keeps_the_history_of_its_step(runs: Runs) -> None:
    crash = (
        b"##[group]Run make check\nSegmentation fault (core dumped)\n"
        b"##[error]Process completed with exit code 139.\n"
    )
    runs.event(900, "5" * 40, log=crash)
    runs.event(900, "5" * 40, attempt=2, passed=True)
    runs.event(901, "6" * 40, log=crash)
    assert (
        f"`{JOB} › Run pytest -q` failed 2 times in the last 7 days on `main`, passed on re-run "
        "once — likely flaky." in runs.comment(901)
    )


def test_a_passing_run_of_a_commit_that_never_failed_is_no_work(runs: Runs) -> None:
    runs.event(950, "7" * 40, passed=True)
    assert runs.world.rows(CIRun) == []
    assert runs.world.rows(CIFailure) == []
