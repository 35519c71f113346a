"""The Actions fallback end to end: a server that cannot review in time (the operator's
switch, the LLM's breaker open too long, a review waiting too long) hands the review to the
repository's workflow — a ``repository_dispatch`` the fake GitHub records, the review row
``handed_off``, the summary saying so — and running the Action for that dispatch posts the
review once: the App and the Action share the summary and the fingerprints.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from argusai.cli import app
from argusai.errors import LLMTransientError
from argusai.llm.breaker import shared_breakers
from argusai.review import handoff
from argusai.review.action.workflow import DEFAULT_PATH
from argusai.review.items import ReviewRequest, enqueue_review
from argusai.settings import Settings
from argusai.store.models import Review, utcnow
from tests.conftest import SHARED, shared_path
from tests.fakes.fake_github_workflow import ACTIONS_LOGIN, ACTIONS_SLUG
from tests.support import FakeWorld, load_fixture
from tests.support.action import action_env, reviewer, run_step

OWNER, NAME, NUMBER = "Codertocat", "Hello-World", 2
REPO = f"{OWNER}/{NAME}"
HEAD, HEAD2 = "ec26c3e57ca3a959ca5aad62de7213c562f8c821", "f" * 40
WORKFLOW = ".github/workflows/argusai.yml"
PATCH = "@@ -1,2 +1,3 @@\n import os\n+password = 'hunter2'\n x = 1"
ANSWER = {
    "summary": "Adds a password.",
    "findings": [
        {
            "path": "app.py",
            "line": 2,
            "start_line": None,
            "severity": "critical",
            "category": "security",
            "title": "Hard-coded password",
            "message": "A password in the source: move it to a secret.",
            "suggestion": None,
        }
    ],
}


@pytest.fixture(autouse=True)
def _fresh_workflow_cache() -> Iterator[None]:
    handoff.forget_workflows()
    yield
    handoff.forget_workflows()


def _world(make: Callable[..., FakeWorld], *, workflow: bool = True, **overrides: Any) -> FakeWorld:
    shared_path("fixtures", "webhooks", "pull_request")
    world = make(app_id=4242, **overrides)
    world.gh.add_repo(OWNER, NAME, installation_id=1)
    world.gh.add_pull(OWNER, NAME, NUMBER, files={"app.py": PATCH}, head_sha=HEAD)
    if workflow:
        world.gh.set_file(OWNER, NAME, WORKFLOW, written_workflow())
    world.llm.responder = reviewer(ANSWER)
    return world


def written_workflow() -> str:
    """What ``argus action init`` writes (in a folder of its own)."""
    folder = Path("init")
    folder.mkdir(exist_ok=True)
    path = folder / "argusai.yml"
    result = CliRunner().invoke(app, ["action", "init", "--path", str(path), "--force"])
    assert result.exit_code == 0, result.output
    return path.read_text()


def test_the_server_looks_where_argus_action_init_writes() -> None:
    assert Settings.model_fields["fallback_workflow_path"].default == DEFAULT_PATH == WORKFLOW


def opened(sha: str = HEAD) -> dict[str, Any]:
    payload = load_fixture(SHARED, "pull_request", "opened.json")
    payload["pull_request"]["head"]["sha"] = sha
    return payload


def argus(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def dispatch_payload(dispatch: dict[str, Any]) -> dict[str, Any]:
    """The ``repository_dispatch`` event the workflow run gets for a recorded dispatch."""
    return {
        "action": dispatch["event_type"],
        "client_payload": dispatch["client_payload"],
        "repository": {"full_name": REPO, "name": NAME, "owner": {"login": OWNER}},
        "sender": {"login": "argusai[bot]"},
    }


def test_switched_on_the_review_goes_to_the_workflow_and_is_posted_once(
    make_world: Callable[..., FakeWorld], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    world = _world(make_world, env=monkeypatch)  # the CLI reads the same settings
    on = argus("fallback", "on")
    assert on.exit_code == 0 and on.stdout.startswith("fallback on")

    world.deliver("pull_request", opened(), delivery_id="d-1")
    world.run_worker()

    (sent,) = world.gh.dispatches(OWNER, NAME)
    assert sent["event_type"] == "argusai-review"
    assert sent["client_payload"] == {
        "pr_number": NUMBER,
        "head_sha": HEAD,
        "reason": "the operator turned the Actions fallback on",
    }
    (row,) = world.rows(Review)
    assert row.status == "handed_off"
    assert (
        row.error_message == "handed to GitHub Actions: the operator turned the Actions fallback on"
    )
    assert world.llm.request_count == 0 and world.gh.reviews(OWNER, NAME, NUMBER) == []
    assert world.gh.check_runs(OWNER, NAME) == []
    (note,) = world.gh.issue_comments(OWNER, NAME, NUMBER)
    assert "**Handed to GitHub Actions.**" in note["body"]
    assert f"<!-- argus:handoff:{HEAD} -->" in note["body"]

    # the workflow runs for the dispatch: the review is posted, the note replaced in place
    env = action_env(world.gh, world.llm, tmp_path / "run-1", repo=REPO,
                     event_name="repository_dispatch", payload=dispatch_payload(sent))  # fmt: skip
    run = run_step(monkeypatch, env, tmp_path / "run-1")
    assert run.exit_code == 0, run.result.output
    assert run.outputs["state"] == "reviewed" and run.outputs["findings"] == "1"
    (review,) = world.gh.reviews(OWNER, NAME, NUMBER)
    assert review["user"]["login"] == ACTIONS_LOGIN
    (summary,) = world.gh.issue_comments(OWNER, NAME, NUMBER)
    assert summary["id"] == note["id"]
    assert "Handed to GitHub Actions" not in summary["body"]
    assert "Adds a password." in summary["body"]
    assert "handed over by the ArgusAI server: the operator turned" in summary["body"]
    (check,) = world.gh.check_runs(OWNER, NAME)
    assert check["app"]["slug"] == ACTIONS_SLUG

    # nothing twice: the workflow re-run, a redelivery of the same head
    run = run_step(monkeypatch, env, tmp_path / "run-1")
    assert run.outputs["state"] == "already-reviewed"
    world.deliver("pull_request", opened(), delivery_id="d-2")
    world.run_worker()
    assert len(world.gh.dispatches(OWNER, NAME)) == 1
    assert len(world.gh.reviews(OWNER, NAME, NUMBER)) == 1
    assert len(world.gh.review_comments(OWNER, NAME, NUMBER)) == 1
    assert len(world.gh.issue_comments(OWNER, NAME, NUMBER)) == 1

    status = argus("fallback", "status", "--json")
    report = json.loads(status.stdout)
    assert report["switch"]["on"] is True and report["handed_off_24h"] == 1
    assert report["now"].startswith("reviews go to GitHub Actions: the operator turned")
    assert report["recent"][0]["review"] == f"{REPO}#2 @ {HEAD[:10]}"
    assert argus("fallback", "off").stdout.startswith("fallback off")
    assert json.loads(argus("fallback", "status", "--json").stdout)["now"] == "the server reviews"

    # switched off: the next push is the server's again; the Action's finding not repeated
    world.gh.update_pull(OWNER, NAME, NUMBER, head_sha=HEAD2)
    world.deliver("pull_request", opened(HEAD2), delivery_id="d-3")
    world.run_worker()
    assert len(world.gh.dispatches(OWNER, NAME)) == 1
    assert world.rows(Review)[-1].status == "done"
    assert len(world.gh.review_comments(OWNER, NAME, NUMBER)) == 1
    (summary,) = world.gh.issue_comments(OWNER, NAME, NUMBER)
    assert "1 already reported earlier, not repeated" in summary["body"]


def test_an_llm_down_longer_than_the_threshold_hands_off(
    make_world: Callable[..., FakeWorld],
) -> None:
    world = _world(make_world, fallback_llm_down_seconds=0)
    breaker = shared_breakers().get("openai-compatible", "gpt-4o-mini")

    def down() -> None:
        raise LLMTransientError("503 from the provider")

    for _ in range(5):
        with pytest.raises(LLMTransientError):
            breaker.call(down)
    assert breaker.state == "open"

    world.deliver("pull_request", opened())
    world.run_worker()
    (sent,) = world.gh.dispatches(OWNER, NAME)
    assert sent["client_payload"]["reason"].startswith("the LLM has been unavailable for ")
    assert world.rows(Review)[0].status == "handed_off"
    assert world.llm.request_count == 0


def test_a_review_waiting_too_long_hands_off(make_world: Callable[..., FakeWorld]) -> None:
    world = _world(make_world, fallback_queue_wait_seconds=600)
    request = ReviewRequest(1, REPO, NUMBER, HEAD, "pull_request.opened")
    review_id = enqueue_review(world.rt.db, request)
    assert review_id is not None
    with world.rt.db.session() as s:  # asked for two hours ago, never started
        s.execute(
            update(Review)
            .where(Review.id == review_id)
            .values(created_at=utcnow() - timedelta(hours=2))
        )
    assert world.queue.run("review", review_id) == "done"  # closed by the job (handed off)
    (sent,) = world.gh.dispatches(OWNER, NAME)
    assert sent["client_payload"]["reason"] == "reviews have waited 2 h in the queue"
    assert world.rows(Review)[0].status == "handed_off"


def test_without_the_workflow_the_server_keeps_the_review(
    make_world: Callable[..., FakeWorld], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = _world(make_world, workflow=False, env=monkeypatch)
    argus("fallback", "on")
    world.gh.set_file(OWNER, NAME, WORKFLOW, "on: pull_request\n")  # not ours: no dispatch type
    world.deliver("pull_request", opened())
    world.run_worker()
    assert world.gh.dispatches(OWNER, NAME) == []
    assert world.rows(Review)[0].status == "done"
    (review,) = world.gh.reviews(OWNER, NAME, NUMBER)
    assert review["user"]["login"] == "argusai[bot]"


def test_a_refused_dispatch_keeps_the_review_and_the_workflow_is_looked_up_once(
    make_world: Callable[..., FakeWorld], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = _world(make_world, env=monkeypatch)
    argus("fallback", "on")
    # the App was not given "Contents: write", which GitHub asks of repository_dispatch
    world.gh.fail("POST", f"/repos/{OWNER}/{NAME}/dispatches", 403)
    world.deliver("pull_request", opened())
    world.run_worker()
    assert world.rows(Review)[0].status == "done"
    assert len(world.gh.reviews(OWNER, NAME, NUMBER)) == 1
    (summary,) = world.gh.issue_comments(OWNER, NAME, NUMBER)
    assert "Handed to GitHub Actions" not in summary["body"]

    world.gh.update_pull(OWNER, NAME, NUMBER, head_sha=HEAD2)
    world.deliver("pull_request", opened(HEAD2))
    world.run_worker()
    assert len(world.gh.dispatches(OWNER, NAME)) == 1  # this time GitHub took it
    assert world.rows(Review)[-1].status == "handed_off"
    lookups = world.gh.requests("GET", f"/repos/{OWNER}/{NAME}/contents/{WORKFLOW}")
    assert len(lookups) == 1  # the workflow's presence is remembered a few minutes
