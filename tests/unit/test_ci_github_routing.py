"""``workflow_run`` deliveries → CI requests: which conclusions, which PRs, which switch."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argusai.app import build_router
from argusai.ci.events import CIIntent
from argusai.core.router import Delivery, Ignored
from tests.conftest import make_settings


def payload(**run: Any) -> dict[str, Any]:
    base = {
        "id": 77,
        "run_attempt": 1,
        "head_sha": "a" * 40,
        "conclusion": "failure",
        "name": "CI",
        "html_url": "https://github.com/o/r/actions/runs/77",
        "pull_requests": [
            {"number": 5, "base": {"repo": {"id": 10}}},
            {"number": 9, "base": {"repo": {"id": 999}}},  # a PR of another repository
        ],
    }
    base.update(run)
    return {
        "action": "completed",
        "workflow_run": base,
        "repository": {"id": 10, "full_name": "o/r"},
        "installation": {"id": 3},
    }


@dataclass(frozen=True)
class Routed:
    ci: Any
    ignored_reason: str | None


def routed(data: dict[str, Any], *, ci_enabled: bool = True) -> Routed:
    """What the app's router makes of a workflow_run delivery (review events: opened only)."""
    settings = make_settings(
        Path(tempfile.mkdtemp()),
        ci_enabled=ci_enabled,
        review_enabled_events="pull_request.opened",
    )
    intents = build_router(settings).intents(Delivery("workflow_run", "d", data))
    if not intents:
        return Routed(None, None)  # no handler: the endpoint answers "not enabled"
    (intent,) = intents
    if isinstance(intent, CIIntent):
        return Routed(intent.request, None)
    assert isinstance(intent, Ignored)
    return Routed(None, intent.reason)


def test_failed_run_becomes_a_ci_request_with_its_own_prs_only() -> None:
    r = routed(payload())
    assert r.ci is not None
    assert (r.ci.run_id, r.ci.run_attempt, r.ci.repo_name) == (77, 1, "o/r")
    assert r.ci.pr_numbers == (5,)
    assert r.ci.installation_id == 3 and r.ci.workflow_name == "CI"


def test_timed_out_is_explained_too() -> None:
    assert routed(payload(conclusion="timed_out")).ci is not None


def test_success_is_routed_to_tell_flaky_failures() -> None:
    # Changed with issue 14: a first passing run is routed too (a later run of a commit that
    # failed makes the failure flaky); recording it creates work only for such a commit
    # (tests/integration/test_ci_flaky.py)
    first = routed(payload(conclusion="success"))
    assert first.ci is not None and first.ci.conclusion == "success"
    rerun = routed(payload(conclusion="success", run_attempt=2))
    assert rerun.ci is not None and rerun.ci.conclusion == "success"


def test_where_the_run_ran_is_kept() -> None:
    r = routed(
        payload(
            workflow_id=2823525,
            head_branch="fix-cart",
            event="pull_request",
            pull_requests=[{"number": 5, "base": {"ref": "main", "repo": {"id": 10}}}],
        )
    )
    assert r.ci is not None
    assert (r.ci.workflow_id, r.ci.head_branch, r.ci.base_ref, r.ci.event) == (
        2823525,
        "fix-cart",
        "main",
        "pull_request",
    )


def test_cancelled_and_in_progress_are_ignored() -> None:
    assert routed(payload(conclusion="cancelled")).ci is None
    requested = payload()
    requested["action"] = "requested"
    assert routed(requested).ci is None


def test_routed_regardless_of_review_events_but_not_when_ci_is_off() -> None:
    assert routed(payload()).ci is not None  # ENABLED has no workflow_run
    off = routed(payload(), ci_enabled=False)
    assert off.ci is None and off.ignored_reason is None  # no CI handler registered at all


def test_bad_payloads_are_ignored_not_errors() -> None:
    no_inst = payload()
    del no_inst["installation"]
    assert routed(no_inst).ignored_reason == "no installation in payload"
    assert routed(payload(id=-1)).ci is None
    assert routed(payload(head_sha="")).ci is None
    assert routed({"action": "completed"}).ci is None
