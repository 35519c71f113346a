"""One review by the App, end to end: the queue's side of it (leases, superseding pushes,
the review row) around the posting path the GitHub Action shares (``publish``).

Order matters for "nothing doubled": fingerprints already on the PR are read from GitHub
right before posting, so a retry after a crash between posting and recording posts
nothing twice; the head SHA is checked again right before posting, so a stale review is
never posted. When the LLM stays unavailable through the last attempt, what needs no LLM
(the deterministic checks) is still posted, and the summary says the LLM part failed.
When the server cannot review in time (``fallback``), the review is handed to the
repository's GitHub Actions workflow instead (``handoff``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from argusai.core.diff import ChangedFile
from argusai.errors import LLMTransientError, PermanentError, Superseded
from argusai.github.port import CheckRun, GitHubRepoClient, PullRequest
from argusai.github.token_client import ACTIONS_APP_SLUG
from argusai.llm.breaker import CircuitOpenError
from argusai.llm.port import Completion, LLMClient
from argusai.review import checkrun, experiments, fallback, handoff
from argusai.review import items as workitems
from argusai.review.config_layers import Layer
from argusai.review.conversation.hooks import Suppressor, schedule_outcomes, suppressor
from argusai.review.engine import ReviewOutcome
from argusai.review.figures import figures_of
from argusai.review.job_inputs import cache_key, changed_files, load_config
from argusai.review.job_output import record_done, record_skip, stored_fingerprints
from argusai.review.models import Finding
from argusai.review.outcome_json import outcome_to_json
from argusai.review.publish import (
    LoadedConfig,
    PullTarget,
    check_current,
    review_and_post,
    start_check,
)
from argusai.review.repo_config import RepoConfig
from argusai.review.summary_marks import reviewed_head
from argusai.runtime import Runtime
from argusai.store.models import Review

log = structlog.get_logger(__name__)


class _CheckedLLM:
    """Before each LLM call, stop if a newer push superseded us or our lease was taken."""

    def __init__(self, inner: LLMClient, rt: Runtime, review_id: int, owner: str | None) -> None:
        self.inner, self.rt, self.review_id, self.owner = inner, rt, review_id, owner

    def complete_json(
        self, *, system: str, user: str, schema: dict[str, Any], schema_name: str
    ) -> Completion:
        if not workitems.still_current(self.rt.db, self.review_id, self.owner):
            raise Superseded("a newer push superseded this review")
        return self.inner.complete_json(
            system=system, user=user, schema=schema, schema_name=schema_name
        )


class AppLedger:
    """The App's memory of a pull request: its database (``publish.ReviewLedger``)."""

    def __init__(self, rt: Runtime, item: Review) -> None:
        self.rt, self.item = rt, item
        self.suppressor: Suppressor | None = None

    def changed_files(
        self, gh: GitHubRepoClient, target: PullTarget, pr: PullRequest
    ) -> tuple[list[ChangedFile], str | None]:
        """Only the commits since the last reviewed head, unless history was rewritten."""
        return changed_files(self.rt, gh, target.owner, target.name, self.item, pr)

    def recall(
        self, pr: PullRequest, since: str | None, config: RepoConfig, verify_model: str | None
    ) -> tuple[str | None, dict[str, Any] | None]:
        """The cache key and the LLM's answer kept for it (same head, config, model …)."""
        key = cache_key(
            self.item, pr.base_sha, since, config, self.rt.settings.llm_model, verify_model
        )
        return key, workitems.cached_result(self.rt.db, key)

    def remember(self, key: str, outcome: ReviewOutcome) -> None:
        """Keep the answer on the review row at once."""
        workitems.store_outcome(self.rt.db, self.item.id, key, outcome_to_json(outcome))

    def posted(self) -> set[str]:
        """Fingerprints of the findings this PR's earlier reviews posted inline."""
        return stored_fingerprints(self.rt, self.item)

    def suppress(self) -> Callable[[Finding, str], bool] | None:
        """The PR's suppression rules (``ignore`` / ``ignore everywhere``)."""
        self.suppressor = suppressor(self.rt.db, self.item.repo_name, self.item.pr_number)
        return self.suppressor

    def guard(self, llm: LLMClient) -> LLMClient:
        """Stop before each call once a newer push or another worker took the review."""
        return _CheckedLLM(llm, self.rt, self.item.id, self.item.lease_owner)

    def outage_is_final(self, exc: LLMTransientError) -> bool:
        """Only on the last attempt, and not for an open breaker (that is a wait)."""
        last = self.item.attempts > self.rt.settings.job_max_retries
        return last and not isinstance(exc, CircuitOpenError)

    def still_current(self) -> None:
        """Superseded once a newer push took the review or its lease was taken."""
        if not workitems.still_current(self.rt.db, self.item.id, self.item.lease_owner):
            raise Superseded("a newer push superseded this review")


def _mine(check: CheckRun) -> bool:
    """The App's check runs (one made by a workflow's token is not the App's to update)."""
    return check.app_slug != ACTIONS_APP_SLUG


def _automatic(item: Review) -> bool:
    """A review asked for by a push (not a re-run or ``@argus full review``)."""
    return item.trigger.startswith("pull_request")


def process_review(rt: Runtime, item: Review) -> None:
    """Review the PR head of ``item`` and post the result (raises to signal the outcome)."""
    target = PullTarget(item.repo_name, item.pr_number, item.sha)
    gh = rt.github.for_installation(item.installation_id)
    pr = gh.get_pull(target.owner, target.name, item.pr_number)
    check_current(pr, item.sha)

    arm_layer = None
    assigned = experiments.assign(rt.db, item.repo_name, item.installation_id, item.pr_number)
    if assigned is not None:  # the arm's model, template and switches (see ``experiments``)
        rt = assigned.runtime(rt)
        arm_layer = Layer(f"experiment {assigned.label or assigned.arm.name}", assigned.arm.layer())
        experiments.record_arm(rt.db, item.id, assigned.label)
    config, config_error, branch = load_config(
        rt, gh, target.owner, target.name, item.installation_id, arm_layer
    )
    if not config.enabled:
        record_skip(rt, item.id, "disabled by .argus.yml")
        return
    if pr.draft and not (
        config.review_drafts if config.review_drafts is not None else rt.settings.review_drafts
    ):
        record_skip(rt, item.id, "draft pull request")
        return
    if _automatic(item):
        # the repository's ArgusAI workflow may have reviewed this head already
        mark = reviewed_head(gh.list_issue_comments(target.owner, target.name, pr.number), item.sha)
        if mark is not None:
            record_skip(rt, item.id, f"already reviewed at this head by {mark.author}")
            return
    if _handed_off(rt, gh, item, target, branch):
        return

    check_id = start_check(gh, target, mine=_mine)
    try:
        _review_and_post(
            rt, gh, item, target, pr, LoadedConfig(config, config_error, branch), check_id
        )
    except (Superseded, PermanentError) as exc:
        # the check run of this head must not stay "in progress"; a retry keeps it so
        gh.update_check_run(
            target.owner,
            target.name,
            check_id,
            conclusion=checkrun.NEUTRAL,
            output=checkrun.skipped(f"Not reviewed: {rt.redactor.redact(str(exc))}"),
        )
        raise


def _handed_off(
    rt: Runtime, gh: GitHubRepoClient, item: Review, target: PullTarget, branch: str
) -> bool:
    """Hand the review to the repository's workflow when the server cannot make it in time."""
    reason = fallback.pressure(rt.settings, rt.db, waiting_since=item.created_at).reason(
        rt.settings
    )
    if reason is None:
        return False
    workflow = rt.settings.fallback_workflow_path
    if not handoff.hand_off(gh, target, branch=branch, workflow=workflow, reason=reason):
        return False
    if not workitems.mark_handed_off(rt.db, item.id, item.lease_owner, reason):
        log.info("handed off, but the review was no longer ours to close")
    return True


def _review_and_post(
    rt: Runtime,
    gh: GitHubRepoClient,
    item: Review,
    target: PullTarget,
    pr: PullRequest,
    loaded: LoadedConfig,
    check_id: int,
) -> None:
    ledger = AppLedger(rt, item)
    posted = review_and_post(
        rt,
        gh,
        target,
        pr,
        loaded,
        ledger=ledger,
        check_id=check_id,
        full=workitems.is_full_review(item),  # "@argus full review": the whole PR, no cache
    )
    result = posted.result
    figures = figures_of(
        posted.plan, posted.files, posted.outcome, cache_hit=posted.cache_hit, llm_ms=posted.llm_ms
    )
    record_done(
        rt,
        item,
        result,
        posted.outcome,
        posted.cache_key,
        posted.review_id,
        posted.summary_id,
        posted.since,
        figures,
    )
    if ledger.suppressor is not None:
        ledger.suppressor.record_hits()
    if posted.already:  # earlier findings: read their reactions now (reactions send no webhook)
        schedule_outcomes(rt, item)
    log.info(
        "review posted",
        inline=len(result.inline_comments),
        not_confirmed=len(result.rejected),
        github_review_id=posted.review_id,
        summary_comment_id=posted.summary_id,
        incremental=posted.since is not None,
        prompt_tokens=result.usage.prompt_tokens,
        cost_usd=round(result.usage.cost_usd, 6),
    )
