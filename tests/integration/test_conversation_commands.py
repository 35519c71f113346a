"""Talking to ArgusAI in a pull request, end to end against the fakes: commands in
comments, answers in threads, permissions, bots, pause / resume, duplicates."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from argusai.review.conversation.models import PRCommand
from argusai.store.models import Review
from tests.support import FakeWorld
from tests.support.conversation import (
    ANSWER,
    BOT,
    NAME,
    NUMBER,
    OWNER,
    PATCH,
    answer_prompts,
    conversation_replies,
    issue_comment,
    pr_event,
    replies_in_thread,
    review_comment,
    review_pr,
    setup,
)


@pytest.fixture
def world(make_world: Callable[..., FakeWorld]) -> FakeWorld:
    world = make_world(job_max_retries=0, llm_verify=False)
    setup(world)
    world.gh.set_permission(OWNER, NAME, "alice", "write")
    return world


def test_a_collaborators_review_command_runs_a_review(world: FakeWorld) -> None:
    payload = issue_comment(world, "@argusai review")
    answer = world.deliver("issue_comment", payload)
    assert answer.status_code == 202 and answer.json()["status"] == "queued"
    world.run_worker()

    assert [
        r["content"] for r in world.gh.reactions(payload["comment"]["id"], review_comment=False)
    ] == ["eyes"]
    (reply,) = conversation_replies(world)
    assert "A review of `aaaaaaaaaaaa` is queued" in reply
    ours = [c for c in world.gh.review_comments(OWNER, NAME, NUMBER) if c["user"]["login"] == BOT]
    assert len(ours) == 1 and "SQL query built from user input" in ours[0]["body"]
    (review,) = world.rows(Review)
    assert review.status == "done" and review.trigger == "comment.review"
    assert len(world.llm.review_requests) == 1


def test_review_again_says_nothing_new_and_full_review_ignores_the_cache(
    world: FakeWorld,
) -> None:
    review_pr(world)
    world.deliver("issue_comment", issue_comment(world, "@argusai review"))
    world.run_worker()
    assert "reviewed already and nothing was pushed since" in conversation_replies(world)[-1]
    assert len(world.llm.review_requests) == 1

    world.deliver("issue_comment", issue_comment(world, "/argus full review"))
    world.run_worker()
    assert "A full review" in conversation_replies(world)[-1]
    assert len(world.llm.review_requests) == 2  # the same head, asked again: no cache
    reviews = world.rows(Review)
    assert [r.status for r in reviews] == ["done", "done"]
    assert reviews[-1].trigger == "comment.full-review"
    # the finding was posted by the first review: not twice
    assert (
        len([c for c in world.gh.review_comments(OWNER, NAME, NUMBER) if c["user"]["login"] == BOT])
        == 1
    )


def test_a_read_only_user_gets_one_refusal_and_no_llm_call(world: FakeWorld) -> None:
    first = issue_comment(world, "@argusai full review", author="mallory")
    world.deliver("issue_comment", first)
    world.deliver("issue_comment", issue_comment(world, "@argusai why?", author="mallory"))
    world.run_worker()

    (refusal,) = conversation_replies(world)
    assert "sorry @mallory" in refusal and "needs write access" in refusal
    assert world.llm.requests == []
    assert world.rows(Review) == []
    assert world.gh.reactions(first["comment"]["id"], review_comment=False) == []
    first_row, second_row = world.rows(PRCommand)
    assert first_row.result == "refused: mallory has read access"
    assert second_row.result == "refused quietly: mallory has read access (told before)"


def test_help_is_open_to_everyone(world: FakeWorld) -> None:
    world.deliver("issue_comment", issue_comment(world, "/argus help", author="mallory"))
    world.run_worker()
    (reply,) = conversation_replies(world)
    assert "`@argusai full review`" in reply and "`@argusai ignore everywhere [glob]`" in reply


@pytest.mark.parametrize("author", [BOT, "dependabot[bot]"])
def test_bots_trigger_nothing(world: FakeWorld, author: str) -> None:
    payload = issue_comment(world, "@argusai review", author=author)
    seeded = len(world.gh.issue_comments(OWNER, NAME, NUMBER))
    answer = world.deliver("issue_comment", payload)
    assert answer.json() == {"status": "ignored", "reason": "comment by a bot"}
    world.run_worker()
    assert world.rows(PRCommand) == [] and world.llm.requests == []
    assert len(world.gh.issue_comments(OWNER, NAME, NUMBER)) == seeded
    assert world.gh.reactions(payload["comment"]["id"], review_comment=False) == []


def test_edits_and_comments_for_someone_else_are_ignored(world: FakeWorld) -> None:
    edited = issue_comment(world, "@argusai review")
    edited["action"] = "edited"
    assert world.deliver("issue_comment", edited).json()["status"] == "ignored"
    other = world.deliver("issue_comment", issue_comment(world, "@bob can you review?"))
    assert other.json()["status"] == "queued"  # no slug configured: the worker checks it
    world.run_worker()
    assert world.rows(Review) == [] and conversation_replies(world) == []
    (command,) = world.rows(PRCommand)
    assert command.result == "not addressed to ArgusAI"


def test_a_configured_slug_filters_in_the_request_path(
    make_world: Callable[..., FakeWorld],
) -> None:
    world = make_world(job_max_retries=0, github_app_slug="argusai")
    setup(world)
    answer = world.deliver("issue_comment", issue_comment(world, "@bob can you review?"))
    assert answer.json() == {"status": "ignored", "reason": "not addressed to ArgusAI"}


def test_a_duplicate_delivery_runs_nothing_twice(world: FakeWorld) -> None:
    payload = issue_comment(world, "@argusai what does this PR change?")
    first = world.deliver("issue_comment", payload, delivery_id="d-1")
    again = world.deliver("issue_comment", payload, delivery_id="d-1")
    other = world.deliver("issue_comment", payload, delivery_id="d-2")  # same comment
    assert [first.json()["status"], again.json()["status"], other.json()["status"]] == [
        "queued",
        "duplicate",
        "ignored",
    ]
    world.run_worker()
    (reply,) = conversation_replies(world)
    assert ANSWER.split("`")[0] in reply and "replying to @alice" in reply
    assert len(answer_prompts(world)) == 1


def test_a_conversation_question_is_answered_from_the_diff(world: FakeWorld) -> None:
    world.deliver("issue_comment", issue_comment(world, "@argusai is user_id escaped?"))
    world.run_worker()
    (prompt,) = answer_prompts(world)
    assert "SELECT * FROM t WHERE id" in prompt and "Look up rows by id" in prompt
    assert "is user_id escaped?" in prompt
    (reply,) = conversation_replies(world)
    assert "> is user_id escaped?" in reply


def test_a_reply_in_our_thread_is_answered_in_that_thread_with_the_context(
    world: FakeWorld,
) -> None:
    root = review_pr(world)
    payload = review_comment(world, "Is it really exploitable here?", in_reply_to=root["id"])
    assert world.deliver("pull_request_review_comment", payload).json()["status"] == "queued"
    world.run_worker()

    (reply,) = replies_in_thread(world, root["id"])
    assert ANSWER.split("`")[0] in reply["body"]
    assert [r["content"] for r in world.gh.reactions(payload["comment"]["id"])] == ["eyes"]
    (prompt,) = answer_prompts(world)
    assert "Is it really exploitable here?" in prompt  # the question
    assert "+query = 'SELECT" in prompt.replace("     2 +", "+")  # the hunk
    assert "app.py at the head commit, lines 1-4" in prompt  # the file
    assert "SQL query built from user input" in prompt  # our finding
    assert "Look up rows by id" in prompt  # the PR


def test_a_reply_in_someone_elses_thread_is_not_for_us(world: FakeWorld) -> None:
    review_pr(world)
    human = world.gh.add_review_comment(OWNER, NAME, NUMBER, path="app.py", line=2, body="hmm")
    world.deliver("pull_request_review_comment", review_comment(world, "why?", in_reply_to=human))
    world.run_worker()
    assert replies_in_thread(world, human) == [] and answer_prompts(world) == []
    assert (
        world.rows(PRCommand)[-1].result == "a reply in a thread that is not on ArgusAI's comment"
    )


def test_explain_in_our_thread_and_outside(world: FakeWorld) -> None:
    root = review_pr(world)
    world.deliver(
        "pull_request_review_comment",
        review_comment(world, "@argusai explain", in_reply_to=root["id"]),
    )
    world.deliver("issue_comment", issue_comment(world, "@argusai explain"))
    world.run_worker()
    (reply,) = replies_in_thread(world, root["id"])
    assert ANSWER.split("`")[0] in reply["body"]
    (prompt,) = answer_prompts(world)
    assert "Explain your earlier comment in more depth" in prompt
    (outside,) = conversation_replies(world)
    assert "works in a reply to one of my inline comments" in outside


def test_pause_stops_automatic_reviews_and_resume_starts_them_again(world: FakeWorld) -> None:
    world.deliver("issue_comment", issue_comment(world, "@argusai pause"))
    world.run_worker()
    assert "paused on this pull request" in conversation_replies(world)[-1]

    answer = world.deliver("pull_request", pr_event("synchronize"))
    assert answer.json()["reason"] == "automatic reviews are paused on this pull request"
    world.run_worker()
    assert world.rows(Review) == [] and world.llm.review_requests == []

    world.deliver("issue_comment", issue_comment(world, "/argus resume"))
    world.run_worker()
    assert "on again" in conversation_replies(world)[-1]
    second = "c" * 40
    world.gh.update_pull(OWNER, NAME, NUMBER, head_sha=second, files={"app.py": PATCH})
    world.gh.set_file(OWNER, NAME, "app.py", "x\n", ref=second)
    world.deliver("pull_request", pr_event("synchronize", head=second))
    world.run_worker()
    (review,) = world.rows(Review)
    assert review.status == "done" and review.sha == second


def test_config_shows_each_value_with_its_source(world: FakeWorld) -> None:
    world.gh.set_file(OWNER, NAME, ".argus.yml", "language: Deutsch\n")
    world.deliver("issue_comment", issue_comment(world, "@argusai config", author="mallory"))
    world.run_worker()
    (reply,) = conversation_replies(world)
    assert 'language: "Deutsch"  # repository (.argus.yml)' in reply
    assert "severity_threshold:" in reply and "# default" in reply
    assert "Suppression rules (0)" in reply
    assert "Automatic reviews are on" in reply


def test_over_the_per_person_limit_one_notice(make_world: Callable[..., FakeWorld]) -> None:
    world = make_world(job_max_retries=0, commands_per_hour_per_user=1, llm_verify=False)
    setup(world)
    world.gh.set_permission(OWNER, NAME, "alice", "admin")
    for question in ("@argusai first?", "@argusai second?", "@argusai third?"):
        world.deliver("issue_comment", issue_comment(world, question))
    world.run_worker()
    replies = conversation_replies(world)
    assert len(answer_prompts(world)) == 1
    assert len(replies) == 2 and "more than 1 commands in an hour" in replies[1]


def test_installation_limit_waits_for_commands_and_counts_thread_replies_once_ours(
    make_world: Callable[..., FakeWorld],
) -> None:
    world = make_world(job_max_retries=0, commands_per_hour_per_installation=1, llm_verify=False)
    setup(world)
    world.gh.set_permission(OWNER, NAME, "alice", "write")
    root = review_pr(world)
    human = world.gh.add_review_comment(OWNER, NAME, NUMBER, path="app.py", line=2, body="hmm")
    # a reply in someone else's thread takes no permit; the one in ours does
    world.deliver("pull_request_review_comment", review_comment(world, "ok", in_reply_to=human))
    world.deliver(
        "pull_request_review_comment", review_comment(world, "why?", in_reply_to=root["id"])
    )
    world.deliver(
        "pull_request_review_comment", review_comment(world, "and?", in_reply_to=root["id"])
    )
    world.deliver("issue_comment", issue_comment(world, "@argusai what changed?"))
    world.run_worker()

    assert len(answer_prompts(world)) == 1
    (answer, notice) = replies_in_thread(world, root["id"])
    assert ANSWER.split("`")[0] in answer["body"]
    assert "more than this installation may ask in an hour" in notice["body"]
    # the addressed question waits for the next slot instead (deferred, not dropped)
    last = world.rows(PRCommand)[-1]
    assert last.status == "queued" and "commands/hour for this installation" in (
        last.error_message or ""
    )
    assert conversation_replies(world) == []
