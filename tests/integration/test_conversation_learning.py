"""Learning from dismissals, end to end: outcomes of posted findings (threads resolved,
👍 / 👎, applied suggestions, ``ignore``) and suppression rules applied before posting."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from argusai.cli import app
from argusai.review.conversation.models import FindingOutcome, PRCommand, Suppression
from argusai.review.format import SUMMARY_MARKER
from tests.support import FakeWorld
from tests.support.conversation import (
    BOT,
    FINDING,
    HEAD,
    NAME,
    NUMBER,
    OWNER,
    PATCH,
    issue_comment,
    pr_event,
    replies_in_thread,
    review_comment,
    review_pr,
    setup,
    thread_event,
)

SECOND = "c" * 40


@pytest.fixture
def world(make_world: Callable[..., FakeWorld], monkeypatch: pytest.MonkeyPatch) -> FakeWorld:
    # the settings go through ARGUS_* variables: `argus suppressions` opens the same database
    world = make_world(env=monkeypatch, job_max_retries=0, llm_verify=False)
    setup(world)
    world.gh.set_permission(OWNER, NAME, "alice", "write")
    return world


def argus(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def ours(world: FakeWorld, number: int = NUMBER) -> list[dict[str, Any]]:
    """ArgusAI's inline findings (not its replies in threads)."""
    return [
        c
        for c in world.gh.review_comments(OWNER, NAME, number)
        if c["user"]["login"] == BOT and c.get("in_reply_to_id") is None
    ]


def summary(world: FakeWorld, number: int = NUMBER) -> str:
    (body,) = [
        c["body"]
        for c in world.gh.issue_comments(OWNER, NAME, number)
        if SUMMARY_MARKER in c["body"]
    ]
    return str(body)


def outcome(world: FakeWorld, number: int = NUMBER) -> FindingOutcome:
    (row,) = [r for r in world.rows(FindingOutcome) if r.pr_number == number]
    return row


def push(world: FakeWorld, compare_patch: str, *, file_after: str = "x = 1\n") -> None:
    """A new head: the PR's files as before; ``compare_patch`` is HEAD...SECOND for app.py."""
    world.gh.update_pull(OWNER, NAME, NUMBER, head_sha=SECOND, files={"app.py": PATCH})
    world.gh.set_file(OWNER, NAME, "app.py", file_after, ref=SECOND)
    world.gh.set_compare(OWNER, NAME, HEAD, SECOND, files={"app.py": compare_patch})


def test_ignore_everywhere_keeps_the_finding_off_the_next_pr(world: FakeWorld) -> None:
    root = review_pr(world)
    world.deliver(
        "pull_request_review_comment",
        review_comment(world, "@argusai ignore everywhere", in_reply_to=root["id"]),
    )
    world.run_worker()
    (reply,) = replies_in_thread(world, root["id"])
    assert "not raise “SQL query built from user input” again in this repository" in reply["body"]
    (rule,) = world.rows(Suppression)
    assert rule.pr_number is None and rule.path_glob == "app.py"
    assert outcome(world).outcome == "dismissed"

    setup(world, number=8, head="d" * 40)
    world.deliver("pull_request", pr_event("opened", number=8, head="d" * 40))
    world.run_worker()
    assert ours(world, 8) == []
    assert "1 suppressed by this repository's rules" in summary(world, 8)
    (listed,) = json.loads(argus("suppressions", "list", "--repo", f"{OWNER}/{NAME}", "--json"))
    assert listed["id"] == rule.id and listed["scope"] == "repository" and listed["hits"] == 1
    assert listed["title"] == "SQL query built from user input"
    assert listed["created_by"] == "alice" and listed["path_glob"] == "app.py"
    assert "repository" in argus("suppressions", "list", "--repo", f"{OWNER}/{NAME}")

    argus("suppressions", "remove", "--repo", f"{OWNER}/{NAME}", str(rule.id))
    assert "no suppression rules" in argus("suppressions", "list", "--repo", f"{OWNER}/{NAME}")
    argus("suppressions", "remove", "--repo", f"{OWNER}/{NAME}", str(rule.id), code=1)
    setup(world, number=9, head="e" * 40)
    world.deliver("pull_request", pr_event("opened", number=9, head="e" * 40))
    world.run_worker()
    assert len(ours(world, 9)) == 1


def test_ignore_on_one_pr_catches_the_same_complaint_on_other_lines_there(
    world: FakeWorld,
) -> None:
    root = review_pr(world)
    world.deliver(
        "pull_request_review_comment",
        review_comment(world, "@argusai ignore", in_reply_to=root["id"]),
    )
    world.run_worker()
    assert "again on this pull request" in replies_in_thread(world, root["id"])[0]["body"]

    moved = {**FINDING, "line": 3, "message": "Still concatenated, now on line 3."}
    world.llm.responder = lambda _r: {"summary": "s", "findings": [moved]}
    world.gh.update_pull(OWNER, NAME, NUMBER, head_sha=SECOND)
    world.gh.set_compare(OWNER, NAME, HEAD, SECOND, files={"app.py": PATCH})
    world.deliver("pull_request", pr_event("synchronize", head=SECOND))
    world.run_worker()
    assert len(ours(world)) == 1  # only the first one
    assert "1 suppressed" in summary(world)

    setup(world, number=8, head="d" * 40)  # the rule is this PR's only
    world.deliver("pull_request", pr_event("opened", number=8, head="d" * 40))
    world.run_worker()
    assert len(ours(world, 8)) == 1


def test_a_thread_resolved_after_a_push_that_changed_its_lines_is_resolved(
    world: FakeWorld,
) -> None:
    root = review_pr(world)
    push(
        world, "@@ -1,3 +1,3 @@\n import os\n-query = 'SELECT' + user_id\n+query = param()\n x = 1"
    )
    answer = world.deliver(
        "pull_request_review_thread", thread_event(world, root["id"], "resolved")
    )
    assert answer.json()["status"] == "queued"
    world.run_worker()
    row = outcome(world)
    assert (row.outcome, row.thread_state, row.lines_changed) == ("resolved", "resolved", True)
    assert row.comment_id == root["id"] and row.path == "app.py"

    world.deliver("pull_request_review_thread", thread_event(world, root["id"], "unresolved"))
    world.run_worker()
    assert outcome(world).outcome == "open"


def test_a_thread_resolved_without_a_change_is_dismissed(world: FakeWorld) -> None:
    root = review_pr(world)
    push(world, "@@ -3,1 +3,2 @@\n x = 1\n+y = 2")  # elsewhere in the file
    world.deliver("pull_request_review_thread", thread_event(world, root["id"], "resolved"))
    world.run_worker()
    assert (outcome(world).outcome, outcome(world).lines_changed) == ("dismissed", False)


def test_thumbs_down_is_read_when_the_pr_closes(world: FakeWorld) -> None:
    root = review_pr(world)
    world.gh.add_reaction(root["id"], "-1", user="bob")
    world.gh.add_reaction(root["id"], "+1", user="dependabot[bot]")  # bots do not count
    answer = world.deliver("pull_request", pr_event("closed"))
    assert answer.json()["status"] == "queued"
    world.run_worker()
    row = outcome(world)
    assert (row.outcome, row.thumbs_down, row.thumbs_up) == ("dismissed", 1, 0)


def test_a_closed_pr_without_our_findings_reads_nothing(world: FakeWorld) -> None:
    answer = world.deliver("pull_request", pr_event("closed"))
    assert answer.json()["status"] == "ignored"
    assert world.rows(PRCommand) == []


def test_thumbs_up_is_read_when_a_new_review_runs(world: FakeWorld) -> None:
    root = review_pr(world)
    world.gh.add_reaction(root["id"], "+1", user="bob")
    push(world, "@@ -3,1 +3,2 @@\n x = 1\n+y = 2")
    world.deliver("pull_request", pr_event("synchronize", head=SECOND))
    world.run_worker()
    assert outcome(world).outcome == "accepted"
    (command,) = world.rows(PRCommand)
    assert command.source == "review" and command.result == "outcomes: 1 accepted"


def test_an_applied_suggestion_is_accepted(world: FakeWorld) -> None:
    fixed = "query = 'SELECT * FROM t WHERE id = %s'"
    world.llm.responder = lambda _r: {
        "summary": "s",
        "findings": [{**FINDING, "suggestion": fixed}],
    }
    review_pr(world)
    push(world, "@@ -2 +2 @@\n-query\n+fixed", file_after=f"import os\n{fixed}\nx = 1\n")
    world.deliver("pull_request", pr_event("closed", head=SECOND))
    world.run_worker()
    row = outcome(world)
    assert (row.outcome, row.suggestion_applied) == ("accepted", True)


def test_a_thread_on_another_bots_comment_changes_nothing(world: FakeWorld) -> None:
    review_pr(world)
    other = world.gh.add_review_comment(
        OWNER,
        NAME,
        NUMBER,
        path="app.py",
        line=2,
        body="copied <!-- argus:fp:0123456789abcdef -->",
        author="other[bot]",
    )
    world.deliver("pull_request_review_thread", thread_event(world, other, "resolved"))
    world.run_worker()
    assert world.rows(FindingOutcome) == []
    (command,) = world.rows(PRCommand)
    assert command.result == "a thread on another bot's comment"


def test_config_lists_the_rules(world: FakeWorld) -> None:
    root = review_pr(world)
    world.deliver(
        "pull_request_review_comment",
        review_comment(world, "@argusai ignore everywhere app/**/*.py", in_reply_to=root["id"]),
    )
    world.run_worker()
    world.deliver("issue_comment", issue_comment(world, "@argusai config"))
    world.run_worker()
    replies = [
        c["body"]
        for c in world.gh.issue_comments(OWNER, NAME, NUMBER)
        if c["user"]["login"] == BOT and SUMMARY_MARKER not in c["body"]
    ]
    assert "Suppression rules (1)" in replies[-1]
    assert "“SQL query built from user input” on `app/**/*.py`" in replies[-1]
