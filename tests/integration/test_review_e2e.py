"""End to end: a signed real payload → worker → one review + one summary on the fake GitHub.

The real clients run: githubkit against FakeGitHub, the openai SDK against FakeLLMServer,
Huey on a SQLite file, the FastAPI app through its TestClient.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from argusai.store.models import DeadLetter, FindingRecord, Review
from tests.conftest import SHARED, shared_path
from tests.fakes.fake_llm import Reply
from tests.support import WEBHOOK_SECRET, FakeWorld, load_fixture
from tests.support.answers import llm_finding as finding

OWNER, NAME, NUMBER = "Codertocat", "Hello-World", 2
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
HEAD2 = "f" * 40
LLM_KEY = "sk-test-llm-key-0123456789"
APP_ID = 4242

PATCH_V1 = (
    "@@ -1,3 +1,5 @@\n import os\n+password = 'hunter2'\n"
    "+query = 'SELECT * FROM t WHERE id=' + user_id\n x = 1\n y = 2"
)
PATCH_V2_NEW = "@@ -10,2 +10,3 @@\n def f():\n+    return eval(data)\n     pass"


@pytest.fixture
def world(make_world: Callable[..., FakeWorld]) -> FakeWorld:
    shared_path("fixtures", "webhooks")
    world = make_world(app_id=APP_ID, llm_api_key=LLM_KEY, job_max_retries=2)
    world.gh.add_repo(OWNER, NAME, installation_id=1)
    world.gh.add_pull(
        OWNER,
        NAME,
        NUMBER,
        files={"app.py": PATCH_V1},
        head_sha=HEAD,
        title="Add a query",
        body="Please review",
    )
    return world


def opened_payload() -> dict[str, Any]:
    return load_fixture(SHARED, "pull_request", "opened.json")


def test_opened_pr_gets_one_review_and_one_summary(world: FakeWorld) -> None:
    world.llm.responder = lambda _req: {
        "summary": "Adds a query built from user input.",
        "findings": [
            finding(3, "SQL injection"),
            finding(2, "Hard-coded password", "critical"),
            finding(99, "Off-diff remark", "medium"),
        ],
        "walkthrough": [{"path": "app.py", "change": "Builds a query from the user id."}],
        "risk": "high",
        "risk_reason": "User input reaches SQL.",
    }
    response = world.deliver("pull_request", opened_payload(), delivery_id="e2e-1")
    assert response.status_code == 202
    assert world.llm.request_count == 0  # nothing happens inside the request
    world.run_worker()

    reviews = world.gh.reviews(OWNER, NAME, NUMBER)
    assert len(reviews) == 1
    comments = world.gh.review_comments(OWNER, NAME, NUMBER)
    assert sorted(c["line"] for c in comments) == [2, 3]
    assert all(c["path"] == "app.py" for c in comments)
    assert any("SQL injection" in c["body"] and "<!-- argus:fp:" in c["body"] for c in comments)

    summaries = world.gh.issue_comments(OWNER, NAME, NUMBER)
    assert len(summaries) == 1
    summary = summaries[0]["body"]
    assert "<!-- argus:summary -->" in summary
    assert "Off-diff remark" in summary  # not anchored → listed in the summary
    assert "Adds a query built from user input." in summary
    assert "- `app.py` — Builds a query from the user id." in summary
    assert "**Risk:** 🔴 high — User input reaches SQL." in summary

    (row,) = world.rows(Review)
    assert (row.status, row.comments_count, row.severity_critical, row.severity_high) == (
        "done",
        2,
        1,
        1,
    )
    assert row.prompt_tokens > 0 and row.github_review_id == reviews[0]["id"]
    sent = world.llm.requests[0]
    assert sent.json["model"] == "gpt-4o-mini"
    assert sent.json["response_format"]["type"] == "json_schema"


def test_second_push_updates_summary_in_place_and_posts_no_duplicate(world: FakeWorld) -> None:
    world.llm.responder = lambda _req: {"summary": "v1", "findings": [finding(3, "SQL injection")]}
    world.deliver("pull_request", opened_payload())
    world.run_worker()
    assert len(world.gh.review_comments(OWNER, NAME, NUMBER)) == 1

    # a push: new head whose compare with the reviewed head is "ahead"
    world.gh.update_pull(
        OWNER, NAME, NUMBER, head_sha=HEAD2, files={"app.py": PATCH_V1, "lib.py": PATCH_V2_NEW}
    )
    world.gh.set_compare(OWNER, NAME, HEAD, HEAD2, files={"lib.py": PATCH_V2_NEW})
    world.llm.responder = lambda _req: {
        "summary": "v2",
        "findings": [
            finding(3, "SQL injection"),  # same finding again: must not repost
            finding(11, "eval of untrusted data", "critical", path="lib.py"),
        ],
    }
    payload = opened_payload()
    payload["action"] = "synchronize"
    payload["pull_request"]["head"]["sha"] = HEAD2
    assert world.deliver("pull_request", payload).json()["status"] == "queued"
    world.run_worker()

    comments = world.gh.review_comments(OWNER, NAME, NUMBER)
    assert sorted((c["path"], c["line"]) for c in comments) == [("app.py", 3), ("lib.py", 11)]
    assert len(world.gh.reviews(OWNER, NAME, NUMBER)) == 2
    summaries = world.gh.issue_comments(OWNER, NAME, NUMBER)
    assert len(summaries) == 1 and "v2" in summaries[0]["body"]
    # incremental: the second LLM call saw only lib.py
    second_prompt = json.dumps(world.llm.review_requests[-1].json["messages"])
    assert "lib.py" in second_prompt and "app.py" not in second_prompt
    rows = world.rows(Review)
    assert [(r.status, r.incremental, r.base_sha) for r in rows] == [
        ("done", False, None),
        ("done", True, HEAD),
    ]


def test_force_push_reviews_the_whole_pr_again(world: FakeWorld) -> None:
    world.llm.responder = lambda _req: {"summary": "ok", "findings": []}
    world.deliver("pull_request", opened_payload())
    world.run_worker()
    world.gh.update_pull(
        OWNER, NAME, NUMBER, head_sha=HEAD2, files={"app.py": PATCH_V1, "lib.py": PATCH_V2_NEW}
    )
    world.gh.set_compare(
        OWNER, NAME, HEAD, HEAD2, status="diverged", behind_by=1, files={"lib.py": PATCH_V2_NEW}
    )
    payload = opened_payload()
    payload["action"] = "synchronize"
    payload["pull_request"]["head"]["sha"] = HEAD2
    world.deliver("pull_request", payload)
    world.run_worker()
    prompt = json.dumps(world.llm.requests[-1].json["messages"])
    assert "app.py" in prompt and "lib.py" in prompt
    assert world.rows(Review)[-1].incremental is False


def test_duplicate_delivery_runs_one_review(world: FakeWorld) -> None:
    world.llm.responder = lambda _req: {"summary": "s", "findings": [finding(2, "Password")]}
    for _ in range(3):
        world.deliver("pull_request", opened_payload(), delivery_id="same-id")
    world.run_worker()
    assert len(world.gh.reviews(OWNER, NAME, NUMBER)) == 1
    assert len(world.llm.review_requests) == 1


def test_stale_head_is_never_posted(world: FakeWorld) -> None:
    world.llm.responder = lambda _req: {"summary": "s", "findings": [finding(2, "Password")]}
    world.deliver("pull_request", opened_payload())
    world.gh.update_pull(OWNER, NAME, NUMBER, head_sha=HEAD2)  # pushed before the worker ran
    world.run_worker()
    assert world.gh.reviews(OWNER, NAME, NUMBER) == []
    assert world.gh.issue_comments(OWNER, NAME, NUMBER) == []
    assert world.rows(Review)[0].status == "superseded"


def test_llm_garbage_gets_one_repair_then_chunk_is_reported(world: FakeWorld) -> None:
    world.llm.enqueue("this is not json at all", "still {not json")
    world.deliver("pull_request", opened_payload())
    world.run_worker()
    assert world.llm.request_count == 2  # the answer plus one repair request
    assert world.gh.reviews(OWNER, NAME, NUMBER) == []
    (summary,) = world.gh.issue_comments(OWNER, NAME, NUMBER)
    assert "app.py" in summary["body"]
    assert world.rows(Review)[0].status == "done"


def test_llm_down_through_every_attempt_posts_what_needs_no_llm(world: FakeWorld) -> None:
    """The last attempt posts the checks' findings and says the LLM part failed, instead of
    a dead letter; the outage is not cached, so a retry asks the LLM again."""
    key = "AKIA" + "Z7VQ3NWJ5TXK2PLM"  # an AWS access key id shape  # pragma: allowlist secret
    world.gh.add_pull(
        OWNER,
        NAME,
        NUMBER,
        files={"app.py": PATCH_V1 + f"\n+AWS_KEY = '{key}'"},
        head_sha=HEAD,
        title="Add a query",
        body="Please review",
    )
    world.llm.responder = lambda _req: Reply.error(429, retry_after=0)
    world.deliver("pull_request", opened_payload())
    # every attempt is re-dispatched with a delay; run them as the scheduler would
    for _ in range(5):
        world.run_worker()
        for task in world.rt.huey.scheduled():
            world.rt.huey.execute(task)
        world.rt.huey.storage.flush_schedule()
    (row,) = world.rows(Review)
    assert row.status == "done"
    assert world.rows(DeadLetter) == []
    assert row.attempts == 3  # job_max_retries=2: the third attempt was the last
    (comment,) = world.gh.review_comments(OWNER, NAME, NUMBER)
    assert comment["line"] == 6 and "deterministic check" in comment["body"]
    assert key not in comment["body"]
    (summary,) = world.gh.issue_comments(OWNER, NAME, NUMBER)
    assert "Parts not reviewed" in summary["body"]
    assert "LLM was unavailable through every attempt" in summary["body"]
    assert row.cache_key is None  # never reused as this head's answer


def test_github_500_is_retried_and_review_posted_once(world: FakeWorld) -> None:
    world.llm.responder = lambda _req: {"summary": "s", "findings": [finding(2, "Password")]}
    world.gh.fail("POST", f"/repos/{OWNER}/{NAME}/pulls/{NUMBER}/reviews", 502)
    world.deliver("pull_request", opened_payload())
    for _ in range(3):
        world.run_worker()
        for task in world.rt.huey.scheduled():
            world.rt.huey.execute(task)
        world.rt.huey.storage.flush_schedule()
    assert len(world.gh.reviews(OWNER, NAME, NUMBER)) == 1
    assert len(world.gh.issue_comments(OWNER, NAME, NUMBER)) == 1
    assert world.rows(Review)[0].status == "done"
    assert len(world.llm.review_requests) == 1  # the retry reused the stored LLM answer


def test_crash_after_posting_does_not_double_post(world: FakeWorld) -> None:
    """The worker posted but died before recording: the retry finds the markers on GitHub."""
    world.llm.responder = lambda _req: {"summary": "s", "findings": [finding(2, "Password")]}
    world.gh.fail("POST", f"/repos/{OWNER}/{NAME}/issues/{NUMBER}/comments", 500)
    world.deliver("pull_request", opened_payload())
    world.run_worker()  # review posted, summary failed → retry scheduled
    assert len(world.gh.reviews(OWNER, NAME, NUMBER)) == 1
    for task in world.rt.huey.scheduled():
        world.rt.huey.execute(task)
    assert len(world.gh.reviews(OWNER, NAME, NUMBER)) == 1  # no second review
    assert len(world.gh.issue_comments(OWNER, NAME, NUMBER)) == 1


def test_secrets_never_reach_logs_comments_or_database(world: FakeWorld) -> None:
    world.llm.responder = lambda _req: {
        "summary": f"key is {LLM_KEY} @octocat <script>alert(1)</script>",
        "findings": [finding(2, f"Leaked {WEBHOOK_SECRET} cc @org/team")],
    }
    with capture_logs() as logs:
        world.deliver("pull_request", opened_payload())
        world.run_worker()
    private_pem = world.rt.settings.private_key_pem() or ""
    secrets = [LLM_KEY, WEBHOOK_SECRET, *[ln for ln in private_pem.splitlines() if len(ln) > 20]]
    dumped = json.dumps(logs, default=str)
    for secret in secrets:
        assert secret not in dumped
    posted = json.dumps(
        [
            world.gh.issue_comments(OWNER, NAME, NUMBER),
            world.gh.review_comments(OWNER, NAME, NUMBER),
        ]
    )
    assert "<script>" not in posted
    assert "@octocat" not in posted and "@org/team" not in posted
    db_file = Path(world.rt.settings.data_dir / "argus.db").read_bytes()
    assert LLM_KEY.encode() not in db_file and WEBHOOK_SECRET.encode() not in db_file


def test_findings_are_recorded_with_fingerprints(world: FakeWorld) -> None:
    world.llm.responder = lambda _req: {"summary": "s", "findings": [finding(2, "Password")]}
    world.deliver("pull_request", opened_payload())
    world.run_worker()
    rows = world.rows(FindingRecord)
    assert [(r.path, r.line, r.inline) for r in rows] == [("app.py", 2, True)]
    assert len(rows[0].fingerprint) >= 8


def test_same_head_and_base_in_another_pr_reuses_the_cached_review(world: FakeWorld) -> None:
    world.llm.responder = lambda _req: {
        "summary": "s",
        "findings": [finding(2, "Password")],
        "walkthrough": [{"path": "app.py", "change": "Stores a password."}],
        "risk": "medium",
        "risk_reason": "A secret in code.",
    }
    world.deliver("pull_request", opened_payload())
    world.run_worker()
    assert len(world.llm.review_requests) == 1
    base = world.gh.repo(OWNER, NAME).pulls[NUMBER].base_sha
    world.gh.add_pull(OWNER, NAME, 3, files={"app.py": PATCH_V1}, head_sha=HEAD, base_sha=base)
    payload = opened_payload()
    payload["number"] = 3
    payload["pull_request"]["number"] = 3
    world.deliver("pull_request", payload)
    world.run_worker()
    # reused: same repo, head, base, config, model, prompt
    assert len(world.llm.review_requests) == 1
    assert len(world.gh.review_comments(OWNER, NAME, 3)) == 1
    assert [r.status for r in world.rows(Review)] == ["done", "done"]
    (cached,) = world.gh.issue_comments(OWNER, NAME, 3)  # the cache hit shows the same section
    assert "- `app.py` — Stores a password." in cached["body"]
    assert "**Risk:** 🟡 medium — A secret in code." in cached["body"]


def test_job_logs_carry_delivery_installation_repo_pr_and_job(world: FakeWorld) -> None:
    world.llm.responder = lambda _req: {"summary": "s", "findings": []}
    world.deliver("pull_request", opened_payload(), delivery_id="corr-1")
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        world.run_worker()
    posted = [e for e in logs if e["event"] == "review posted"]
    assert len(posted) == 1
    assert {k: posted[0][k] for k in ("delivery_id", "installation_id", "repo", "pr")} == {
        "delivery_id": "corr-1",
        "installation_id": 1,
        "repo": f"{OWNER}/{NAME}",
        "pr": NUMBER,
    }
    assert posted[0]["job_id"] == world.rows(Review)[0].id
