"""One review, end to end: GitHub in (``job_inputs``), engine, GitHub out and the store
(``job_output``).

Order matters for "nothing doubled": fingerprints already on the PR are read from GitHub
right before posting, so a retry after a crash between posting and recording posts
nothing twice; the head SHA is checked again right before posting, so a stale review is
never posted. When the LLM stays unavailable through the last attempt, what needs no LLM
(the deterministic checks) is still posted, and the summary says the LLM part failed.
"""

from __future__ import annotations

from typing import Any

import structlog

from argusai.core.diff import ChangedFile
from argusai.errors import LLMTransientError, PermanentError, Superseded
from argusai.github.port import GitHubRepoClient, PullRequest
from argusai.llm.breaker import CircuitOpenError
from argusai.llm.port import Completion, LLMClient
from argusai.review import checkrun
from argusai.review import items as workitems
from argusai.review.context_files import fetch_context
from argusai.review.conversation.hooks import schedule_outcomes, suppressor
from argusai.review.engine import PRContext, ReviewOutcome, ReviewPlan, finalize, plan_review
from argusai.review.engine import run_review as run_engine
from argusai.review.figures import LLMTimer, figures_of
from argusai.review.fingerprint import extract_fingerprints
from argusai.review.intent import intent_tokens
from argusai.review.job_inputs import (
    cache_key,
    changed_files,
    load_config,
    pr_intent,
    secrets_allowlist,
)
from argusai.review.job_output import (
    post_review,
    record_done,
    record_skip,
    start_check,
    stored_fingerprints,
    upsert_summary,
)
from argusai.review.models import ChunkFailure
from argusai.review.outcome_json import outcome_from_json, outcome_to_json
from argusai.review.repo_config import RepoConfig
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


def process_review(rt: Runtime, item: Review) -> None:
    """Review the PR head of ``item`` and post the result (raises to signal the outcome)."""
    owner, repo = item.repo_name.split("/", 1)
    gh = rt.github.for_installation(item.installation_id)
    pr = gh.get_pull(owner, repo, item.pr_number)
    _check_current(pr, item)

    config, config_error, branch = load_config(rt, gh, owner, repo, item.installation_id)
    if not config.enabled:
        record_skip(rt, item.id, "disabled by .argus.yml")
        return
    if pr.draft and not (
        config.review_drafts if config.review_drafts is not None else rt.settings.review_drafts
    ):
        record_skip(rt, item.id, "draft pull request")
        return

    check_id = start_check(gh, owner, repo, item.sha)
    try:
        _review_and_post(rt, gh, item, pr, config, config_error, branch, check_id)
    except (Superseded, PermanentError) as exc:
        # the check run of this head must not stay "in progress"; a retry keeps it so
        gh.update_check_run(
            owner,
            repo,
            check_id,
            conclusion=checkrun.NEUTRAL,
            output=checkrun.skipped(f"Not reviewed: {rt.redactor.redact(str(exc))}"),
        )
        raise


def _verify_model(rt: Runtime, config: RepoConfig) -> str | None:
    """The verification pass's model, or None when it is off (for the server or the repo)."""
    on = config.verify if config.verify is not None else rt.settings.llm_verify
    return (rt.settings.llm_verify_model or rt.settings.llm_model) if on else None


def _review_and_post(
    rt: Runtime,
    gh: GitHubRepoClient,
    item: Review,
    pr: PullRequest,
    config: RepoConfig,
    config_error: str | None,
    branch: str,
    check_id: int,
) -> None:
    owner, repo = item.repo_name.split("/", 1)
    full = workitems.is_full_review(item)  # "@argus full review": the whole PR, no cache
    if full:
        files, since = gh.list_pull_files(owner, repo, item.pr_number), None
    else:
        files, since = changed_files(rt, gh, owner, repo, item, pr)
    issues, guidance = pr_intent(gh, owner, repo, pr, branch)
    ctx = PRContext(
        repo=item.repo_name,
        number=item.pr_number,
        title=pr.title,
        body=pr.body,
        head_sha=item.sha,
        base_sha=pr.base_sha,
        incremental_base=since,
        linked_issues=issues,
        guidance=guidance,
    )
    plan = plan_review(
        files,
        config,
        max_files=rt.settings.max_files_per_review,
        token_budget=rt.settings.llm_context_tokens,
        secrets_allowlist=secrets_allowlist(gh, owner, repo, branch, config),
        intent_tokens=intent_tokens(issues, guidance),
    )
    verify_model = _verify_model(rt, config)
    key = cache_key(item, pr.base_sha, since, config, rt.settings.llm_model, verify_model)
    cached = None if full else workitems.cached_result(rt.db, key)
    timer = LLMTimer()
    if cached is not None:
        outcome = outcome_from_json(cached, ctx)
        log.info("review reused from cache", cache_key=key[:12])
    else:
        outcome = _ask_llm(rt, gh, item, plan, ctx, config, files, verify_model, timer)
        if not _llm_down(outcome):
            workitems.store_outcome(rt.db, item.id, key, outcome_to_json(outcome))

    already = extract_fingerprints(gh.list_review_comment_bodies(owner, repo, item.pr_number))
    already |= stored_fingerprints(rt, item)
    suppress = suppressor(rt.db, item.repo_name, item.pr_number)  # ignore / ignore everywhere
    result = finalize(
        outcome,
        plan,
        config,
        already_posted=already,
        max_comments=rt.settings.max_comments_per_review,
        config_error=config_error,
        redactor=rt.redactor,
        suppress=suppress,
    )

    # last look before anything becomes visible
    if not workitems.still_current(rt.db, item.id, item.lease_owner):
        raise Superseded("a newer push superseded this review")
    _check_current(gh.get_pull(owner, repo, item.pr_number), item)

    review_id = post_review(gh, owner, repo, item, result)
    summary_id = upsert_summary(gh, owner, repo, item.pr_number, result.summary)
    verdict, output = checkrun.finished(
        result.findings,
        result.summary,
        config.fail_on,
        rt.redactor.redact,
        unreviewed=len(result.failed),
    )
    gh.update_check_run(owner, repo, check_id, conclusion=verdict, output=output)
    # an outage is never reused as the answer for this head
    stored_key = None if _llm_down(outcome) else key
    figures = figures_of(plan, files, outcome, cache_hit=cached is not None, llm_ms=timer.ms)
    record_done(rt, item, result, outcome, stored_key, review_id, summary_id, since, figures)
    suppress.record_hits()
    if already:  # earlier findings: read their reactions now (reactions send no webhook)
        schedule_outcomes(rt, item)
    log.info(
        "review posted",
        inline=len(result.inline_comments),
        not_confirmed=len(result.rejected),
        github_review_id=review_id,
        summary_comment_id=summary_id,
        incremental=since is not None,
        prompt_tokens=result.usage.prompt_tokens,
        cost_usd=round(result.usage.cost_usd, 6),
    )


_LLM_DOWN = "the LLM was unavailable through every attempt"


def _ask_llm(
    rt: Runtime,
    gh: GitHubRepoClient,
    item: Review,
    plan: ReviewPlan,
    ctx: PRContext,
    config: RepoConfig,
    files: list[ChangedFile],
    verify_model: str | None,
    timer: LLMTimer | None = None,
) -> ReviewOutcome:
    """The engine's outcome; on the last attempt, an LLM outage becomes an outcome whose
    every part failed (the checks' findings still get posted) instead of a dead letter."""
    owner, repo = item.repo_name.split("/", 1)
    # fetched only when the LLM is asked: a cached outcome carries its context report
    context = fetch_context(
        gh, owner, repo, item.sha, plan.files, [f.path for f in files], blobs=rt.blobs
    )
    timer = timer or LLMTimer()
    llm = _CheckedLLM(timer.wrap(rt.llm), rt, item.id, item.lease_owner)
    verifier = (
        _CheckedLLM(timer.wrap(rt.verify_llm), rt, item.id, item.lease_owner)
        if verify_model
        else None
    )
    try:
        return run_engine(llm, plan, ctx, config, context=context, verifier=verifier)
    except LLMTransientError as exc:
        last = item.attempts > rt.settings.job_max_retries
        if not last or isinstance(exc, CircuitOpenError) or not plan.chunks:
            raise
        log.warning("LLM down on the last attempt; posting the checks' findings only")
        reason = f"{_LLM_DOWN} ({rt.redactor.redact(str(exc))[:200]})"
        outcome = ReviewOutcome(ctx=ctx)
        outcome.failed = [ChunkFailure(c.index, c.files, reason) for c in plan.chunks]
        outcome.context_notes.extend(context.notes)
        return outcome


def _llm_down(outcome: ReviewOutcome) -> bool:
    return any(f.reason.startswith(_LLM_DOWN) for f in outcome.failed)


def _check_current(pr: PullRequest, item: Review) -> None:
    if pr.state != "open":
        raise Superseded(f"pull request is {pr.state}")
    if pr.head_sha != item.sha:
        raise Superseded(f"head moved from {item.sha[:10]} to {pr.head_sha[:10]}")
