"""What the review reads besides the diff: the issues a PR closes, the contribution guide,
and the repository's settings for the deterministic checks (off switches, allowlist,
detect-secrets baseline)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from argusai.review.checks.secrets import secret_hash
from tests.support import FakeWorld

OWNER, NAME, NUMBER = "octo", "shop", 11
HEAD = "c" * 40
LLM_KEY = "sk-test-llm-key-0123456789"
SECRET = "AKIA" + "Z7VQ3NWJ5TXK2PLM"  # an AWS access key id shape  # pragma: allowlist secret
PATCH = f"@@ -1,2 +1,3 @@\n import os\n+AWS = '{SECRET}'\n x = 1"


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
    world.llm.responder = lambda _r: {"summary": "s", "findings": []}
    return world


def prompts(world: FakeWorld) -> str:
    return "\n".join(json.dumps(r.json) for r in world.llm.review_requests)


def test_closed_issues_and_the_contribution_guide_reach_the_prompt(world: FakeWorld) -> None:
    world.gh.add_pull(
        OWNER,
        NAME,
        NUMBER,
        files={"cart.py": "@@ -1 +1,2 @@\n x = 1\n+total = sum(prices)"},
        head_sha=HEAD,
        title="Fix totals",
        body="Fixes #5. Also closes other/repo#6 and mentions #8.",
    )
    world.gh.add_issue(OWNER, NAME, 5, "Cart total ignores discounts", body="Apply them first.")
    world.gh.add_issue(OWNER, NAME, 8, "Unrelated issue", body="Not closed by this PR.")
    world.gh.set_file(
        OWNER, NAME, ".github/CONTRIBUTING.md", "# Contributing\n\n## Code style\nUse snake_case."
    )
    world.deliver("pull_request", opened())
    world.run_worker()
    text = prompts(world)
    assert "#5 Cart total ignores discounts" in text and "Apply them first." in text
    assert "Unrelated issue" not in text
    assert "untrusted_contribution_guide" in text and "Use snake_case." in text


def test_an_unreadable_issue_is_left_out_and_the_review_goes_on(world: FakeWorld) -> None:
    world.gh.add_pull(
        OWNER, NAME, NUMBER, files={"a.py": "@@ -1 +1,2 @@\n x\n+y = 2"}, head_sha=HEAD,
        body="Fixes #404",
    )  # fmt: skip
    world.deliver("pull_request", opened())
    world.run_worker()
    assert "untrusted_linked_issues" not in prompts(world)
    assert len(world.gh.issue_comments(OWNER, NAME, NUMBER)) == 1


def secret_comments(world: FakeWorld) -> list[dict[str, Any]]:
    world.gh.add_pull(OWNER, NAME, NUMBER, files={"app.py": PATCH}, head_sha=HEAD)
    world.deliver("pull_request", opened())
    world.run_worker()
    return [c for c in world.gh.review_comments(OWNER, NAME, NUMBER) if "AWS" in c["body"]]


def test_the_secret_is_found_by_default(world: FakeWorld) -> None:
    (comment,) = secret_comments(world)
    assert SECRET not in comment["body"]


def test_secrets_check_can_be_turned_off(world: FakeWorld) -> None:
    world.gh.set_file(OWNER, NAME, ".argus.yml", "checks:\n  secrets: false\n")
    assert secret_comments(world) == []


def test_an_allowlisted_secret_is_not_reported(world: FakeWorld) -> None:
    world.gh.set_file(
        OWNER, NAME, ".argus.yml", f"checks:\n  secrets_allowlist: ['{secret_hash(SECRET)}']\n"
    )
    assert secret_comments(world) == []


def test_the_repositorys_detect_secrets_baseline_is_honoured(world: FakeWorld) -> None:
    baseline = {"results": {"app.py": [{"hashed_secret": secret_hash(SECRET), "type": "AWS"}]}}
    world.gh.set_file(OWNER, NAME, ".secrets.baseline", json.dumps(baseline))
    assert secret_comments(world) == []


def test_a_bad_checks_setting_is_reported_and_the_rest_kept(world: FakeWorld) -> None:
    world.gh.set_file(OWNER, NAME, ".argus.yml", "checks:\n  secrets_allowlist: ['not-a-hash']\n")
    assert len(secret_comments(world)) == 1
    (summary,) = world.gh.issue_comments(OWNER, NAME, NUMBER)
    assert "checks" in summary["body"] and "not a SHA-1" in summary["body"]


def test_the_guide_is_read_once_for_a_burst_of_reviews(world: FakeWorld) -> None:
    world.gh.set_file(OWNER, NAME, "CONTRIBUTING.md", "## Style\nTabs.")
    for number, head in ((NUMBER, HEAD), (NUMBER + 1, "d" * 40)):
        world.gh.add_pull(
            OWNER, NAME, number, files={"a.py": "@@ -1 +1,2 @@\n x\n+y = 2"}, head_sha=head
        )
        payload = opened()
        payload["number"] = payload["pull_request"]["number"] = number
        payload["pull_request"]["head"]["sha"] = head
        world.deliver("pull_request", payload)
        world.run_worker()
    assert len(world.llm.review_requests) == 2
    assert all("Tabs." in json.dumps(r.json) for r in world.llm.review_requests)
    guide_reads = [r for r in world.gh.requests("GET") if r.path.endswith("/CONTRIBUTING.md")]
    assert len(guide_reads) == 1
