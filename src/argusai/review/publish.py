"""One review of a pull request head, posted: the path the App's job and the GitHub Action
share, so both post the same review, summary and check run.

plan → code context → engine (and its verification pass) → finalize → one review with
inline comments → the sticky summary, updated in place → the check run's conclusion.

What differs between the two comes in through a :class:`ReviewLedger`: the App's job keeps
a memory of earlier reviews in its database (incremental files, cached answers, stored
fingerprints, suppression rules, leases that a newer push takes away); the Action keeps
none (:class:`NoLedger`) and reads everything from GitHub. Fingerprints and the summary's
marks are read from GitHub right before posting by both: whichever comes second for a head
sees what the first posted and doubles nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from argusai.core.diff import ChangedFile
from argusai.errors import GitHubError, LLMTransientError, Superseded
from argusai.github.port import CheckRun, GitHubRepoClient, PullRequest
from argusai.llm.port import LLMClient
from argusai.review import checkrun
from argusai.review.context_files import fetch_context
from argusai.review.engine import (
    PRContext,
    ReviewOutcome,
    ReviewPlan,
    ReviewResult,
    finalize,
    plan_review,
)
from argusai.review.engine import run_review as run_engine
from argusai.review.figures import LLMTimer
from argusai.review.fingerprint import extract_fingerprints, fingerprint
from argusai.review.intent import intent_tokens
from argusai.review.job_inputs import pr_intent, secrets_allowlist
from argusai.review.models import ChunkFailure, Finding
from argusai.review.repo_config import RepoConfig
from argusai.review.summary_marks import every_finding, find_summary, with_head_mark
from argusai.runtime import Runtime

log = structlog.get_logger(__name__)

LLM_DOWN = "the LLM was unavailable through every attempt"


@dataclass(frozen=True)
class PullTarget:
    """The pull request head to review."""

    repo_name: str  # owner/name
    number: int
    sha: str

    @property
    def owner(self) -> str:
        return self.repo_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.repo_name.split("/", 1)[1]


@dataclass(frozen=True)
class LoadedConfig:
    """The repository's effective config, the problems to report, its default branch."""

    config: RepoConfig
    problem: str | None
    branch: str


class ReviewLedger(Protocol):
    """What the caller remembers about earlier reviews of this pull request."""

    def changed_files(
        self, gh: GitHubRepoClient, target: PullTarget, pr: PullRequest
    ) -> tuple[list[ChangedFile], str | None]:
        """The files to review and the head they are reviewed from (None: the whole PR)."""
        ...

    def recall(
        self, pr: PullRequest, since: str | None, config: RepoConfig, verify_model: str | None
    ) -> tuple[str | None, dict[str, Any] | None]:
        """(the cache key of this review's LLM answer, the answer kept for it); (None, None)
        without a cache."""
        ...

    def remember(self, key: str, outcome: ReviewOutcome) -> None:
        """Keep the LLM's answer under ``key`` at once (a retry does not pay again)."""
        ...

    def posted(self) -> set[str]:
        """Fingerprints the caller knows were posted inline on this pull request."""
        ...

    def suppress(self) -> Callable[[Finding, str], bool] | None:
        """The pull request's suppression rules (``finalize``'s ``suppress``)."""
        ...

    def guard(self, llm: LLMClient) -> LLMClient:
        """``llm``, stopping before each call once the review is no longer wanted."""
        ...

    def outage_is_final(self, exc: LLMTransientError) -> bool:
        """True: post what needs no LLM now; False: raise (the review is tried again)."""
        ...

    def still_current(self) -> None:
        """Raise Superseded when the review must not be posted (a newer push took over)."""
        ...


class NoLedger:
    """No memory: the whole PR, no cache, fingerprints from GitHub only (the Action)."""

    def changed_files(
        self, gh: GitHubRepoClient, target: PullTarget, pr: PullRequest
    ) -> tuple[list[ChangedFile], str | None]:
        """Every file of the pull request."""
        return gh.list_pull_files(target.owner, target.name, target.number), None

    def recall(
        self, pr: PullRequest, since: str | None, config: RepoConfig, verify_model: str | None
    ) -> tuple[str | None, dict[str, Any] | None]:
        """No cache."""
        return None, None

    def remember(self, key: str, outcome: ReviewOutcome) -> None:
        """Nothing to keep."""

    def posted(self) -> set[str]:
        """Nothing known beyond what GitHub shows."""
        return set()

    def suppress(self) -> Callable[[Finding, str], bool] | None:
        """No suppression rules (they live in the server's database)."""
        return None

    def guard(self, llm: LLMClient) -> LLMClient:
        """``llm`` as it is."""
        return llm

    def outage_is_final(self, exc: LLMTransientError) -> bool:
        """One attempt only: the checks' findings are posted and the summary says why."""
        return True

    def still_current(self) -> None:
        """Nothing but GitHub's head to check (done by the caller)."""


@dataclass
class Posted:
    """What one review posted, and what it was made of."""

    result: ReviewResult
    outcome: ReviewOutcome
    plan: ReviewPlan
    files: list[ChangedFile]
    since: str | None
    cache_key: str | None  # None when the answer must not be reused (no cache, an outage)
    cache_hit: bool
    llm_ms: int | None
    review_id: int | None
    summary_id: int
    already: set[str] = field(default_factory=set)  # fingerprints posted before
    #: every finding at or above the floor, those posted before included (gates, outputs)
    every: list[Finding] = field(default_factory=list)
    verdict: str = checkrun.NEUTRAL


def verify_model(rt: Runtime, config: RepoConfig) -> str | None:
    """The verification pass's model, or None when it is off (for the server or the repo)."""
    on = config.verify if config.verify is not None else rt.settings.llm_verify
    return (rt.settings.llm_verify_model or rt.settings.llm_model) if on else None


def start_check(
    gh: GitHubRepoClient, target: PullTarget, *, mine: Callable[[CheckRun], bool]
) -> int:
    """Our check run of this head, in progress (found again on a retry, else created).
    ``mine``: the runs this client may update (only the App that made a check run may)."""
    wanted = checkrun.external_id(target.sha)
    for check in gh.list_check_runs(
        target.owner, target.name, target.sha, name=checkrun.CHECK_NAME
    ):
        if check.external_id == wanted and mine(check):
            gh.update_check_run(
                target.owner,
                target.name,
                check.id,
                conclusion=None,
                output=checkrun.started(target.sha),
            )
            return check.id
    return gh.create_check_run(
        target.owner,
        target.name,
        name=checkrun.CHECK_NAME,
        head_sha=target.sha,
        external_id=wanted,
        conclusion=None,
        output=checkrun.started(target.sha),
    )


def review_and_post(
    rt: Runtime,
    gh: GitHubRepoClient,
    target: PullTarget,
    pr: PullRequest,
    loaded: LoadedConfig,
    *,
    ledger: ReviewLedger,
    check_id: int | None,
    full: bool = False,
    footer: str | None = None,
) -> Posted:
    """Review ``target`` and post the result (review, summary, check run ``check_id``).

    ``full``: the whole PR, no cached answer (``@argus full review``); ``footer``: a line
    under the summary (the Action names its run)."""
    owner, repo, config = target.owner, target.name, loaded.config
    if full:
        files, since = gh.list_pull_files(owner, repo, target.number), None
    else:
        files, since = ledger.changed_files(gh, target, pr)
    issues, guidance = pr_intent(gh, owner, repo, pr, loaded.branch)
    ctx = PRContext(
        repo=target.repo_name,
        number=target.number,
        title=pr.title,
        body=pr.body,
        head_sha=target.sha,
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
        secrets_allowlist=secrets_allowlist(gh, owner, repo, loaded.branch, config),
        intent_tokens=intent_tokens(issues, guidance),
    )
    verifier_model = verify_model(rt, config)
    key, cached = ledger.recall(pr, since, config, verifier_model)
    if full:
        cached = None
    timer = LLMTimer()
    if cached is not None:
        from argusai.review.outcome_json import outcome_from_json

        outcome = outcome_from_json(cached, ctx)
        log.info("review reused from cache", cache_key=(key or "")[:12])
    else:
        outcome = _ask_llm(rt, gh, target, plan, ctx, config, files, verifier_model, ledger, timer)
        if key is not None and not llm_down(outcome):
            ledger.remember(key, outcome)

    already = extract_fingerprints(gh.list_review_comment_bodies(owner, repo, target.number))
    already |= ledger.posted()
    result = finalize(
        outcome,
        plan,
        config,
        already_posted=already,
        max_comments=rt.settings.max_comments_per_review,
        config_error=loaded.problem,
        redactor=rt.redactor,
        suppress=ledger.suppress(),
    )
    # what this review found: posted now, or posted before (not what suppression kept out)
    earlier = [
        f
        for f in every_finding([*plan.check_findings, *outcome.findings], config.severity_threshold)
        if fingerprint(f) in already
    ]
    every = [*result.findings, *earlier]

    # last look before anything becomes visible
    ledger.still_current()
    latest = gh.get_pull(owner, repo, target.number)
    check_current(latest, target.sha)

    review_id = post_review(gh, target, result)
    body = f"{result.summary}\n{footer}" if footer else result.summary
    if not result.failed:  # complete: whoever comes second for this head need not ask again
        body = with_head_mark(body, target.sha, every)
    summary_id = upsert_summary(gh, target, body)
    verdict = checkrun.NEUTRAL
    if check_id is not None:
        verdict, output = checkrun.finished(
            result.findings,
            result.summary,
            config.fail_on,
            rt.redactor.redact,
            unreviewed=len(result.failed),
        )
        gh.update_check_run(owner, repo, check_id, conclusion=verdict, output=output)
    return Posted(
        result=result,
        outcome=outcome,
        plan=plan,
        files=files,
        since=since,
        # an outage is never reused as the answer for this head
        cache_key=None if llm_down(outcome) else key,
        cache_hit=cached is not None,
        llm_ms=timer.ms,
        review_id=review_id,
        summary_id=summary_id,
        already=already,
        every=every,
        verdict=verdict,
    )


def _ask_llm(
    rt: Runtime,
    gh: GitHubRepoClient,
    target: PullTarget,
    plan: ReviewPlan,
    ctx: PRContext,
    config: RepoConfig,
    files: list[ChangedFile],
    verifier_model: str | None,
    ledger: ReviewLedger,
    timer: LLMTimer,
) -> ReviewOutcome:
    """The engine's outcome; when the ledger says an outage is final, an outcome whose every
    part failed (the checks' findings still get posted) instead of an error."""
    # fetched only when the LLM is asked: a cached outcome carries its context report
    context = fetch_context(
        gh,
        target.owner,
        target.name,
        target.sha,
        plan.files,
        [f.path for f in files],
        blobs=rt.blobs,
    )
    llm = ledger.guard(timer.wrap(rt.llm))
    verifier = ledger.guard(timer.wrap(rt.verify_llm)) if verifier_model else None
    try:
        return run_engine(llm, plan, ctx, config, context=context, verifier=verifier)
    except LLMTransientError as exc:
        if not plan.chunks or not ledger.outage_is_final(exc):
            raise
        log.warning("LLM down on the last attempt; posting the checks' findings only")
        reason = f"{LLM_DOWN} ({rt.redactor.redact(str(exc))[:200]})"
        outcome = ReviewOutcome(ctx=ctx)
        outcome.failed = [ChunkFailure(c.index, c.files, reason) for c in plan.chunks]
        outcome.context_notes.extend(context.notes)
        return outcome


def llm_down(outcome: ReviewOutcome) -> bool:
    """True when the LLM part of ``outcome`` failed for an outage (not worth caching)."""
    return any(f.reason.startswith(LLM_DOWN) for f in outcome.failed)


def check_current(pr: PullRequest, sha: str) -> None:
    """Superseded unless the pull request is open at ``sha``."""
    if pr.state != "open":
        raise Superseded(f"pull request is {pr.state}")
    if pr.head_sha != sha:
        raise Superseded(f"head moved from {sha[:10]} to {pr.head_sha[:10]}")


def post_review(gh: GitHubRepoClient, target: PullTarget, result: ReviewResult) -> int | None:
    """The inline comments as one review (None: nothing to post inline)."""
    from argusai.github.port import ReviewCommentDraft

    if not result.inline_comments or result.review_body is None:
        return None
    drafts = [
        ReviewCommentDraft(path=c.path, line=c.line, body=c.body, start_line=c.start_line)
        for c in result.inline_comments
    ]
    try:
        return gh.create_review(
            target.owner,
            target.name,
            target.number,
            commit_id=target.sha,
            body=result.review_body,
            comments=drafts,
        )
    except GitHubError as exc:
        if exc.status == 422:
            # anchoring should make this impossible; say so loudly rather than lose the review
            log.error("GitHub rejected the inline comments", status=422)
        raise


def upsert_summary(gh: GitHubRepoClient, target: PullTarget, body: str) -> int:
    """Update our summary comment in place (the App's or the Action's), or create it."""
    found = find_summary(gh.list_issue_comments(target.owner, target.name, target.number))
    if found is not None:
        gh.update_issue_comment(target.owner, target.name, found.id, body)
        return found.id
    return gh.create_issue_comment(target.owner, target.name, target.number, body)
