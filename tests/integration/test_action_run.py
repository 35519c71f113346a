"""The GitHub Action's entry point, end to end: ``argus action run`` with GitHub Actions'
variables and a real ``pull_request`` payload, against the fake GitHub (a workflow token:
it posts as ``github-actions[bot]``) and the fake LLM — the same review and summary as
the App, outputs in ``$GITHUB_OUTPUT``, a SARIF log, the exit code ``fail-on`` asks for,
and nothing posted twice when the App and the Action both see a head.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from argusai.store.models import Review
from tests.conftest import SHARED, shared_path
from tests.fakes.fake_github_workflow import ACTIONS_LOGIN, ACTIONS_SLUG
from tests.support import FakeWorld, load_fixture
from tests.support.action import action_env, reviewer, run_step
from tests.support.answers import llm_finding as finding

OWNER, NAME, NUMBER = "Codertocat", "Hello-World", 2
REPO = f"{OWNER}/{NAME}"
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
PATCH = (
    "@@ -1,3 +1,5 @@\n import os\n+password = 'hunter2'\n"
    "+query = 'SELECT * FROM t WHERE id=' + user_id\n x = 1\n y = 2"
)


ANSWER = {
    "summary": "Adds a query built from user input.",
    "findings": [
        finding(3, "SQL injection"),
        finding(2, "Hard-coded password", "critical"),
        finding(4, "Shadowed name", "medium"),
        finding(99, "Off-diff remark", "medium"),  # verification confirms no line of it
    ],
}


@pytest.fixture
def world(make_world: Callable[..., FakeWorld]) -> FakeWorld:
    shared_path("fixtures", "webhooks", "pull_request")
    world = make_world(app_id=4242)
    world.gh.add_repo(OWNER, NAME, installation_id=1)
    world.gh.add_pull(OWNER, NAME, NUMBER, files={"app.py": PATCH}, head_sha=HEAD, title="Query")
    world.llm.responder = reviewer(ANSWER)
    return world


def opened() -> dict[str, Any]:
    return load_fixture(SHARED, "pull_request", "opened.json")


def step(
    world: FakeWorld,
    monkeypatch: pytest.MonkeyPatch,
    folder: Path,
    *,
    event_name: str = "pull_request",
    payload: dict[str, Any] | None = None,
    **inputs: str,
) -> Any:
    env = action_env(
        world.gh,
        world.llm,
        folder,
        repo=REPO,
        event_name=event_name,
        payload=payload if payload is not None else opened(),
        **inputs,
    )
    return run_step(monkeypatch, env, folder)


def test_the_action_reviews_the_pull_request_of_a_real_event(
    world: FakeWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run = step(world, monkeypatch, tmp_path / "step", fail_on="high")

    assert run.exit_code == 1, run.result.output  # a critical finding reaches fail-on high
    assert run.outputs == {
        "findings": "3",
        "max-severity": "critical",
        "pr-number": "2",
        "head-sha": HEAD,
        "state": "reviewed",
    }
    (review,) = world.gh.reviews(OWNER, NAME, NUMBER)
    assert review["user"]["login"] == ACTIONS_LOGIN and review["commit_id"] == HEAD
    comments = world.gh.review_comments(OWNER, NAME, NUMBER)
    assert sorted(c["line"] for c in comments) == [2, 3, 4]
    assert all("<!-- argus:fp:" in c["body"] for c in comments)
    (summary,) = world.gh.issue_comments(OWNER, NAME, NUMBER)
    body = summary["body"]
    assert summary["user"]["login"] == ACTIONS_LOGIN
    assert body.startswith("<!-- argus:summary -->")
    assert "Adds a query built from user input." in body and "Off-diff remark" in body
    assert f"<!-- argus:head:{HEAD} findings:3 max:critical -->" in body
    assert "Reviewed in GitHub Actions ([run 4242](https://github.com/" in body
    (check,) = world.gh.check_runs(OWNER, NAME)
    assert (check["app"]["slug"], check["conclusion"]) == (ACTIONS_SLUG, "neutral")
    assert "Adds a query built from user input." in run.step_summary
    assert "ArgusAI: reviewed, 3 finding(s), worst critical; fail-on high: failed" in (
        run.result.output
    )
    # the token reached only the fake GitHub and never the log
    assert os.environ["GITHUB_TOKEN"] not in run.result.output


def test_the_action_is_the_app_s_review(
    world: FakeWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The App on the same PR, in another repository of the fake: the same comments."""
    world.gh.add_repo(OWNER, "Twin", installation_id=1)
    world.gh.add_pull(OWNER, "Twin", NUMBER, files={"app.py": PATCH}, head_sha=HEAD, title="Query")
    twin = opened()
    twin["repository"]["full_name"] = f"{OWNER}/Twin"
    twin["repository"]["name"] = "Twin"
    world.deliver("pull_request", twin)
    world.run_worker()
    step(world, monkeypatch, tmp_path / "step")

    def shape(repo: str) -> list[tuple[str, int, str]]:
        comments = world.gh.review_comments(OWNER, repo, NUMBER)
        return sorted((c["path"], c["line"], c["body"]) for c in comments)

    assert shape(NAME) == shape("Twin")
    action_summary = world.gh.issue_comments(OWNER, NAME, NUMBER)[0]["body"]
    app_summary = world.gh.issue_comments(OWNER, "Twin", NUMBER)[0]["body"]
    assert action_summary.split("<sub>Reviewed")[0] == app_summary.split("<sub>Reviewed")[0]


def test_fail_on_none_passes_and_argus_yml_decides_when_empty(
    world: FakeWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run = step(world, monkeypatch, tmp_path / "a", fail_on="none", sarif_file="")
    assert run.exit_code == 0 and run.outputs["max-severity"] == "critical"

    world.gh.set_file(OWNER, NAME, "ci/argus.yml", "fail_on: critical\n")
    run = step(world, monkeypatch, tmp_path / "b", config="ci/argus.yml", sarif_file="x.sarif")
    assert run.exit_code == 1, run.result.output  # .argus.yml's fail_on from the config input
    assert "fail-on critical: failed" in run.result.output


def test_sarif_file_for_code_scanning(
    world: FakeWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sarif = tmp_path / "out" / "argusai.sarif"
    run = step(world, monkeypatch, tmp_path / "step", sarif_file=str(sarif))
    assert run.exit_code == 0
    log = json.loads(sarif.read_text())
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (sarif_run,) = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "ArgusAI"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(set(rule_ids)) == len(rule_ids)
    results = sarif_run["results"]
    assert len(results) == 3
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in {"error", "warning", "note"}
        assert result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "app.py"
        region = physical["region"]
        assert 1 <= region["startLine"] <= region["endLine"]
        assert len(result["partialFingerprints"]["argusaiFingerprint/v1"]) == 16
    levels = {r["message"]["text"].split("\n")[0]: r["level"] for r in results}
    assert levels == {
        "Hard-coded password": "error",
        "SQL injection": "error",
        "Shadowed name": "warning",
    }


def test_app_then_action_on_the_same_head_posts_nothing_twice(
    world: FakeWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    world.deliver("pull_request", opened())
    world.run_worker()
    asked = world.llm.request_count
    posted = world.gh.review_comments(OWNER, NAME, NUMBER)
    assert len(posted) == 3

    run = step(world, monkeypatch, tmp_path / "step", fail_on="critical")
    assert run.exit_code == 1  # the App's findings gate the job too
    assert run.outputs["state"] == "already-reviewed"
    assert (run.outputs["findings"], run.outputs["max-severity"]) == ("3", "critical")
    assert world.llm.request_count == asked  # the App's review is not paid twice
    assert world.gh.review_comments(OWNER, NAME, NUMBER) == posted
    assert len(world.gh.reviews(OWNER, NAME, NUMBER)) == 1
    assert len(world.gh.issue_comments(OWNER, NAME, NUMBER)) == 1
    assert len(world.gh.check_runs(OWNER, NAME)) == 1

    # with a SARIF file to write it reviews again — and still posts nothing twice
    run = step(world, monkeypatch, tmp_path / "again", sarif_file=str(tmp_path / "a.sarif"))
    assert run.outputs["state"] == "reviewed" and world.llm.request_count > asked
    assert world.gh.review_comments(OWNER, NAME, NUMBER) == posted
    assert len(world.gh.reviews(OWNER, NAME, NUMBER)) == 1
    (summary,) = world.gh.issue_comments(OWNER, NAME, NUMBER)
    assert "3 already reported earlier, not repeated" in summary["body"]
    assert len(world.gh.check_runs(OWNER, NAME)) == 1  # the App's check run reports this head
    assert len(json.loads((tmp_path / "a.sarif").read_text())["runs"][0]["results"]) == 3


def test_action_then_app_the_app_does_not_review_again(
    world: FakeWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    step(world, monkeypatch, tmp_path / "step")
    asked = world.llm.request_count
    world.deliver("pull_request", opened())
    world.run_worker()
    assert world.llm.request_count == asked
    assert len(world.gh.reviews(OWNER, NAME, NUMBER)) == 1
    assert len(world.gh.issue_comments(OWNER, NAME, NUMBER)) == 1
    (row,) = world.rows(Review)
    assert row.status == "done"
    assert row.error_message == f"skipped: already reviewed at this head by {ACTIONS_LOGIN}"


def test_nothing_to_do_exits_0(
    world: FakeWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    world.gh.update_pull(OWNER, NAME, NUMBER, head_sha="f" * 40)  # pushed since the event
    run = step(world, monkeypatch, tmp_path / "moved")
    assert run.exit_code == 0 and run.outputs["state"] == "skipped"
    assert "::notice::ArgusAI: nothing to review: the head moved on" in run.result.output
    closed = load_fixture(SHARED, "pull_request", "closed.json")
    run = step(world, monkeypatch, tmp_path / "closed", payload=closed)
    assert run.exit_code == 0 and run.outputs["state"] == "skipped"
    assert world.gh.reviews(OWNER, NAME, NUMBER) == [] and world.llm.request_count == 0


def test_a_read_only_token_says_what_to_do(
    world: FakeWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    world.gh.fail("POST", f"/repos/{OWNER}/{NAME}/check-runs", 403)
    world.gh.fail("POST", f"/repos/{OWNER}/{NAME}/pulls/2/reviews", 403)
    run = step(world, monkeypatch, tmp_path / "step")
    assert run.exit_code == 2
    assert "pull_request_target" in run.result.stderr
    last = run.result.stderr.strip().splitlines()[-1]  # after the client's log lines
    assert last.startswith("argus: error: GitHub refused the workflow's token")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GITHUB_EVENT_NAME": "push"}, "event 'push' names no pull request"),
        ({"GITHUB_TOKEN": ""}, "GITHUB_TOKEN is not set"),
        ({"ARGUS_ACTION_FAIL_ON": "severe"}, "fail-on must be one of"),
        ({"GITHUB_EVENT_PATH": "/nonexistent/event.json"}, "GITHUB_EVENT_PATH"),
    ],
)
def test_bad_environment_is_one_line(
    world: FakeWorld,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    env: dict[str, str],
    message: str,
) -> None:
    base = action_env(world.gh, world.llm, tmp_path, repo=REPO, event_name="pull_request",
                      payload=opened())  # fmt: skip
    run = run_step(monkeypatch, {**base, **env}, tmp_path)
    assert run.exit_code == 2
    assert run.result.stderr.startswith("argus: error: ") and message in run.result.stderr


def test_the_entry_point_in_a_process_of_its_own(world: FakeWorld, tmp_path: Path) -> None:
    """As action.yml runs it: the ``argus`` script, the environment, nothing else."""
    env = action_env(world.gh, world.llm, tmp_path / "step", repo=REPO, event_name="pull_request",
                     payload=opened(), fail_on="medium")  # fmt: skip
    argus = Path(sys.executable).with_name("argus")
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "TIKTOKEN_CACHE_DIR")}
    done = subprocess.run(
        [str(argus), "action", "run"],
        env={**keep, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    outputs = (tmp_path / "step" / "github_output").read_text()
    assert "findings=3\n" in outputs and "max-severity=critical\n" in outputs
    assert len(world.gh.review_comments(OWNER, NAME, NUMBER)) == 3
