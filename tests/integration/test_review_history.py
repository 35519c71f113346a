"""What a real review records for the history (issue 12), end to end on the fake world:
files and lines reviewed and skipped, timings, findings by source, where they went, the
trigger and the cache hit of a re-run; and the hourly rollup task over them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from argusai.stats.period import Period
from argusai.stats.reviews import review_summary, review_triggers
from argusai.stats.tasks import run_rollup
from argusai.store.models import FindingRecord, Review
from tests.support import FakeWorld
from tests.support.answers import llm_finding as finding

OWNER, NAME, NUMBER = "octo", "shop", 7
HEAD = "b" * 40
PATCH = "@@ -1,2 +1,5 @@\n import os\n+query = 'SELECT ' + user_id\n+<<<<<<< HEAD\n+x = 2\n y = 1"
LOCK = '@@ -1,1 +1,3 @@\n {\n+  "a": 1,\n+  "b": 2'


@pytest.fixture
def world(make_world: Callable[..., FakeWorld]) -> FakeWorld:
    world = make_world(llm_api_key="sk-test-llm-key-0123456789", job_max_retries=0)
    world.gh.add_repo(OWNER, NAME, installation_id=1)
    world.gh.add_pull(
        OWNER, NAME, NUMBER, files={"app.py": PATCH, "package-lock.json": LOCK}, head_sha=HEAD
    )
    return world


def opened() -> dict[str, Any]:
    return {
        "action": "opened",
        "number": NUMBER,
        "pull_request": {"number": NUMBER, "head": {"sha": HEAD}, "state": "open"},
        "repository": {"full_name": f"{OWNER}/{NAME}"},
        "installation": {"id": 1},
    }


def rerun() -> dict[str, Any]:
    return {
        "action": "rerequested",
        "check_run": {
            "name": "ArgusAI review",
            "head_sha": HEAD,
            "pull_requests": [{"number": NUMBER}],
        },
        "repository": {"full_name": f"{OWNER}/{NAME}"},
        "installation": {"id": 1},
    }


def test_a_review_records_what_it_covered_and_where_its_findings_went(world: FakeWorld) -> None:
    world.llm.responder = lambda _r: {
        "summary": "s",
        "findings": [
            finding(2, "SQL injection"),
            finding(40, "Off the diff", "medium"),
            finding(4, "Not so", "medium"),
        ],
    }
    world.llm.enqueue_verify(
        {
            "verdicts": [
                {"id": 0, "confirmed": True, "evidence_lines": [2], "reason": "Concatenated."},
                {"id": 1, "confirmed": True, "evidence_lines": [2], "reason": "Elsewhere."},
                {"id": 2, "confirmed": False, "evidence_lines": [], "reason": "Intended."},
            ]
        }
    )
    world.deliver("pull_request", opened())
    world.run_worker()

    (row,) = world.rows(Review)
    assert (row.status, row.trigger, row.cache_hit) == ("done", "pull_request.opened", False)
    assert (row.files_reviewed, row.files_skipped) == (1, 1)  # the lock file is skipped
    assert (row.lines_reviewed, row.lines_skipped) == (3, 2)
    assert row.findings_check >= 1  # the conflict marker, found without the LLM
    assert row.findings_llm == 2
    assert row.summarised_count == 1  # line 40 is not in the diff: summary only
    assert row.comments_count == row.findings_llm + row.findings_check - 1
    assert row.rejected_count == 1  # "Not so": not confirmed by the verification pass
    assert row.experiment_arm is None
    assert row.llm_ms is not None and row.llm_ms >= 0
    assert row.queue_wait_ms is not None and row.total_ms is not None
    assert row.total_ms >= row.queue_wait_ms
    sources = {f.title: f.source for f in world.rows(FindingRecord)}
    assert sources["SQL injection"] == "llm"
    assert "check" in sources.values()

    asked = world.llm.request_count  # the review and its verification
    world.deliver("check_run", rerun())
    world.run_worker()
    first, again = world.rows(Review)
    assert (again.trigger, again.cache_hit, again.llm_ms) == ("check_run.rerequested", True, None)
    assert (again.prompt_tokens, again.cost_usd, again.context_tokens) == (0, 0.0, 0)
    assert again.files_reviewed == first.files_reviewed
    assert world.llm.request_count == asked  # the re-run asked nothing

    period = Period.last(1)
    summary = review_summary(world.rt.db, period)
    assert (summary.reviews, summary.cache_hits, summary.files_skipped) == (2, 1, 2)
    assert summary.p50_ms is not None
    kinds = {t.trigger: t.reviews for t in review_triggers(world.rt.db, period)}
    assert kinds == {"push": 1, "rerun": 1}

    report = run_rollup(world.rt)  # what the hourly task runs
    assert report is not None and report.rows == 1
