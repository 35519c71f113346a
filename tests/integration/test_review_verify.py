"""The verification pass, end to end: a second call per chunk confirms each finding before
it is posted; what it does not confirm is listed in the summary, never posted inline."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from argusai.store.models import Review
from tests.fakes.fake_llm import is_verification
from tests.support import FakeWorld
from tests.support.answers import llm_finding

OWNER, NAME, NUMBER = "octo", "shop", 9
HEAD = "b" * 40
LLM_KEY = "sk-test-llm-key-0123456789"
PATCH = (
    "@@ -1,2 +1,5 @@\n import os\n+password = 'hunter2'\n"
    "+query = 'SELECT ' + user_id\n+total = price * 2\n x = 1"
)


finding = partial(llm_finding, category="bug")


def opened() -> dict[str, Any]:
    return {
        "action": "opened",
        "number": NUMBER,
        "pull_request": {"number": NUMBER, "head": {"sha": HEAD}, "state": "open"},
        "repository": {"full_name": f"{OWNER}/{NAME}"},
        "installation": {"id": 1},
    }


def review_answer(_request: Any) -> dict[str, Any]:
    return {
        "summary": "Adds a query and a price.",
        "findings": [finding(2, "Hard-coded password"), finding(4, "Price doubled")],
    }


@pytest.fixture
def make(make_world: Callable[..., FakeWorld]) -> Callable[..., FakeWorld]:
    def build(**settings: Any) -> FakeWorld:
        world = make_world(llm_api_key=LLM_KEY, job_max_retries=0, **settings)
        world.gh.add_repo(OWNER, NAME, installation_id=1)
        world.gh.add_pull(OWNER, NAME, NUMBER, files={"app.py": PATCH}, head_sha=HEAD)
        world.llm.responder = review_answer
        return world

    return build


def verify_requests(world: FakeWorld) -> list[dict[str, Any]]:
    return [
        r.json for r in world.llm.requests if isinstance(r.json, dict) and is_verification(r.json)
    ]


def summary(world: FakeWorld) -> str:
    (comment,) = world.gh.issue_comments(OWNER, NAME, NUMBER)
    return str(comment["body"])


def test_unconfirmed_finding_is_listed_not_posted(make: Callable[..., FakeWorld]) -> None:
    world = make()
    world.llm.enqueue_verify(
        {
            "verdicts": [
                {"id": 0, "confirmed": True, "evidence_lines": [2], "reason": "Literal secret."},
                {"id": 1, "confirmed": False, "evidence_lines": [], "reason": "Intended."},
            ]
        }
    )
    world.deliver("pull_request", opened())
    world.run_worker()

    (comment,) = world.gh.review_comments(OWNER, NAME, NUMBER)
    assert comment["line"] == 2 and "verified (line 2)" in comment["body"]
    body = summary(world)
    assert "Not posted: 1 finding(s) not confirmed by verification" in body
    assert "Price doubled" in body and "not confirmed: Intended." in body
    assert "verification: 1 call(s)" in body
    # the verifier saw both candidates, the chunk's diff, and was asked for its schema
    (request,) = verify_requests(world)
    text = json.dumps(request)
    assert "[id 0] app.py:2" in text and "[id 1] app.py:4" in text and "price * 2" in text
    (row,) = world.rows(Review)
    assert row.comments_count == 1 and row.severity_high == 1
    assert row.cost_usd > 0


def test_a_confirmation_must_cite_a_line_of_the_diff(make: Callable[..., FakeWorld]) -> None:
    world = make()
    world.llm.enqueue_verify(
        {
            "verdicts": [
                {"id": 0, "confirmed": True, "evidence_lines": [999], "reason": "Trust me."},
                # id 1 has no verdict at all
            ]
        }
    )
    world.deliver("pull_request", opened())
    world.run_worker()
    assert world.gh.review_comments(OWNER, NAME, NUMBER) == []
    body = summary(world)
    assert "cited no line of the diff" in body
    assert "the verifier gave no verdict" in body


def test_garbage_from_the_verifier_posts_the_findings_unverified(
    make: Callable[..., FakeWorld],
) -> None:
    world = make()
    world.llm.enqueue_verify("not json", "{still not")
    world.deliver("pull_request", opened())
    world.run_worker()
    comments = world.gh.review_comments(OWNER, NAME, NUMBER)
    assert sorted(c["line"] for c in comments) == [2, 4]
    assert all("verified (" not in c["body"] for c in comments)
    body = summary(world)
    assert "verification failed" in body and "2 finding(s) posted unverified" in body
    assert len(verify_requests(world)) == 2  # the answer and one repair


def test_verify_off_for_the_repository(make: Callable[..., FakeWorld]) -> None:
    world = make()
    world.gh.set_file(OWNER, NAME, ".argus.yml", "verify: false\n")
    world.deliver("pull_request", opened())
    world.run_worker()
    assert verify_requests(world) == []
    assert len(world.gh.review_comments(OWNER, NAME, NUMBER)) == 2
    assert "verification:" not in summary(world)


def test_verify_off_for_the_server(make: Callable[..., FakeWorld]) -> None:
    world = make(llm_verify=False)
    world.deliver("pull_request", opened())
    world.run_worker()
    assert verify_requests(world) == []
    assert len(world.gh.review_comments(OWNER, NAME, NUMBER)) == 2


def test_the_verify_model_is_its_own(make: Callable[..., FakeWorld]) -> None:
    world = make(llm_verify_model="cheap-checker")
    world.deliver("pull_request", opened())
    world.run_worker()
    (request,) = verify_requests(world)
    assert request["model"].endswith("cheap-checker")
    reviews = [r.json for r in world.llm.review_requests if isinstance(r.json, dict)]
    assert reviews and all(not r["model"].endswith("cheap-checker") for r in reviews)
    assert len(world.gh.review_comments(OWNER, NAME, NUMBER)) == 2  # confirm_all


def test_findings_below_the_floor_and_checks_findings_are_not_verified(
    make: Callable[..., FakeWorld],
) -> None:
    world = make()
    key = "AKIA" + "Z7VQ3NWJ5TXK2PLM"  # pragma: allowlist secret
    world.gh.add_pull(
        OWNER,
        NAME,
        NUMBER,
        files={"app.py": PATCH + f"\n+AWS = '{key}'"},
        head_sha=HEAD,
    )
    world.gh.set_file(OWNER, NAME, ".argus.yml", "severity_threshold: high\n")
    world.llm.responder = lambda _r: {"summary": "s", "findings": [finding(4, "Nit", "low")]}
    world.deliver("pull_request", opened())
    world.run_worker()
    assert verify_requests(world) == []  # nothing at or above the floor from the LLM
    (comment,) = world.gh.review_comments(OWNER, NAME, NUMBER)
    assert "deterministic check" in comment["body"] and key not in comment["body"]


def test_a_cached_review_keeps_its_verification(make: Callable[..., FakeWorld]) -> None:
    world = make()
    world.llm.enqueue_verify(
        {
            "verdicts": [
                {"id": 0, "confirmed": True, "evidence_lines": [2], "reason": "Real."},
                {"id": 1, "confirmed": False, "evidence_lines": [], "reason": "Not real."},
            ]
        }
    )
    world.deliver("pull_request", opened())
    world.run_worker()
    calls = world.llm.request_count
    # the same head and base in another pull request: reused, not asked again
    base = world.gh.repo(OWNER, NAME).pulls[NUMBER].base_sha
    world.gh.add_pull(
        OWNER, NAME, NUMBER + 1, files={"app.py": PATCH}, head_sha=HEAD, base_sha=base
    )
    other = opened()
    other["number"] = other["pull_request"]["number"] = NUMBER + 1
    world.deliver("pull_request", other)
    world.run_worker()
    assert world.llm.request_count == calls
    (comment,) = world.gh.review_comments(OWNER, NAME, NUMBER + 1)
    assert comment["line"] == 2
    (second,) = world.gh.issue_comments(OWNER, NAME, NUMBER + 1)
    assert "Not real." in second["body"]
