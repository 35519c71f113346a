"""One review, end to end: GitHub in, engine, GitHub out, recorded in the store.

Order matters for "nothing doubled": fingerprints already on the PR are read from GitHub
right before posting, so a retry after a crash between posting and recording posts
nothing twice; the head SHA is checked again right before posting, so a stale review is
never posted.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from argusai.core.diff import ChangedFile
from argusai.errors import GitHubError, PermanentError, Superseded
from argusai.github.port import GitHubRepoClient, PullRequest, ReviewCommentDraft
from argusai.llm.port import Completion, LLMClient
from argusai.review import checkrun
from argusai.review import items as workitems
from argusai.review.context_files import fetch_context
from argusai.review.engine import (
    PRContext,
    ReviewOutcome,
    ReviewPlan,
    ReviewResult,
    finalize,
    plan_review,
    run_review,
)
from argusai.review.fingerprint import extract_fingerprints
from argusai.review.format import SUMMARY_MARKER
from argusai.review.models import Category, ChunkFailure, Finding, Severity, Usage
from argusai.review.prompt import PROMPT_VERSION
from argusai.review.repo_config import RepoConfig, parse_repo_config
from argusai.review.walkthrough import Walkthrough
from argusai.runtime import Runtime
from argusai.store.models import FindingRecord, Review, ReviewStatus, utcnow

log = structlog.get_logger(__name__)

CONFIG_PATH = ".argus.yml"


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

    config, config_error = _load_config(gh, owner, repo)
    if not config.enabled:
        _record_skip(rt, item.id, "disabled by .argus.yml")
        return
    if pr.draft and not (
        config.review_drafts if config.review_drafts is not None else rt.settings.review_drafts
    ):
        _record_skip(rt, item.id, "draft pull request")
        return

    check_id = _start_check(gh, owner, repo, item.sha)
    try:
        _review_and_post(rt, gh, owner, repo, item, pr, config, config_error, check_id)
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


def _review_and_post(
    rt: Runtime,
    gh: GitHubRepoClient,
    owner: str,
    repo: str,
    item: Review,
    pr: PullRequest,
    config: RepoConfig,
    config_error: str | None,
    check_id: int,
) -> None:
    files, since = _changed_files(rt, gh, owner, repo, item, pr)
    ctx = PRContext(
        repo=item.repo_name,
        number=item.pr_number,
        title=pr.title,
        body=pr.body,
        head_sha=item.sha,
        base_sha=pr.base_sha,
        incremental_base=since,
    )
    plan = plan_review(
        files,
        config,
        max_files=rt.settings.max_files_per_review,
        token_budget=rt.settings.llm_context_tokens,
    )
    key = _cache_key(item, pr.base_sha, since, config, rt.settings.llm_model)
    cached = workitems.cached_result(rt.db, key)
    if cached is not None:
        outcome = outcome_from_json(cached, ctx)
        log.info("review reused from cache", cache_key=key[:12])
    else:
        # fetched only when the LLM is asked: a cached outcome carries its context report
        context = fetch_context(gh, owner, repo, item.sha, plan.files, [f.path for f in files])
        outcome = run_review(
            _CheckedLLM(rt.llm, rt, item.id, item.lease_owner), plan, ctx, config, context=context
        )
        workitems.store_outcome(rt.db, item.id, key, outcome_to_json(outcome))

    already = extract_fingerprints(gh.list_review_comment_bodies(owner, repo, item.pr_number))
    already |= _stored_fingerprints(rt, item)
    result = finalize(
        outcome,
        plan,
        config,
        already_posted=already,
        max_comments=rt.settings.max_comments_per_review,
        config_error=config_error,
        redactor=rt.redactor,
    )

    # last look before anything becomes visible
    if not workitems.still_current(rt.db, item.id, item.lease_owner):
        raise Superseded("a newer push superseded this review")
    _check_current(gh.get_pull(owner, repo, item.pr_number), item)

    review_id = _post_review(gh, owner, repo, item, result)
    summary_id = _upsert_summary(gh, owner, repo, item.pr_number, result.summary)
    verdict, output = checkrun.finished(
        result.findings,
        result.summary,
        config.fail_on,
        rt.redactor.redact,
        unreviewed=len(result.failed),
    )
    gh.update_check_run(owner, repo, check_id, conclusion=verdict, output=output)
    _record_done(rt, item, result, outcome, plan, key, review_id, summary_id, since)
    log.info(
        "review posted",
        inline=len(result.inline_comments),
        github_review_id=review_id,
        summary_comment_id=summary_id,
        incremental=since is not None,
        prompt_tokens=result.usage.prompt_tokens,
        cost_usd=round(result.usage.cost_usd, 6),
    )


def _start_check(gh: GitHubRepoClient, owner: str, repo: str, head_sha: str) -> int:
    """Our check run of this head, in progress (found again on a retry, else created)."""
    wanted = checkrun.external_id(head_sha)
    for check in gh.list_check_runs(owner, repo, head_sha, name=checkrun.CHECK_NAME):
        if check.external_id == wanted:
            gh.update_check_run(
                owner, repo, check.id, conclusion=None, output=checkrun.started(head_sha)
            )
            return check.id
    return gh.create_check_run(
        owner,
        repo,
        name=checkrun.CHECK_NAME,
        head_sha=head_sha,
        external_id=wanted,
        conclusion=None,
        output=checkrun.started(head_sha),
    )


def _check_current(pr: PullRequest, item: Review) -> None:
    if pr.state != "open":
        raise Superseded(f"pull request is {pr.state}")
    if pr.head_sha != item.sha:
        raise Superseded(f"head moved from {item.sha[:10]} to {pr.head_sha[:10]}")


def _load_config(gh: GitHubRepoClient, owner: str, repo: str) -> tuple[RepoConfig, str | None]:
    branch = gh.default_branch(owner, repo)
    return parse_repo_config(gh.get_file_text(owner, repo, CONFIG_PATH, branch))


def _changed_files(
    rt: Runtime, gh: GitHubRepoClient, owner: str, repo: str, item: Review, pr: PullRequest
) -> tuple[list[ChangedFile], str | None]:
    """Only the commits since the last reviewed head, unless history was rewritten."""
    last = workitems.last_reviewed_sha(rt.db, item.repo_name, item.pr_number, item.id)
    if last and last != item.sha:
        comparison = gh.compare(owner, repo, last, item.sha)
        if comparison.status == "ahead":
            return comparison.files, last
        log.info(
            "history rewritten since last review; reviewing the whole PR",
            compare_status=comparison.status,
            last_sha=last[:10],
        )
    return gh.list_pull_files(owner, repo, item.pr_number), None


def _cache_key(
    item: Review, base_sha: str, since: str | None, config: RepoConfig, model: str
) -> str:
    parts = [
        item.repo_name,
        item.sha,
        base_sha,
        since or "",
        config.model_dump_json(),
        model,
        PROMPT_VERSION,
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _stored_fingerprints(rt: Runtime, item: Review) -> set[str]:
    with rt.db.session() as s:
        rows = s.scalars(
            select(FindingRecord.fingerprint).where(
                FindingRecord.repo_name == item.repo_name,
                FindingRecord.pr_number == item.pr_number,
                FindingRecord.inline.is_(True),
            )
        )
        return set(rows)


def _post_review(
    gh: GitHubRepoClient, owner: str, repo: str, item: Review, result: ReviewResult
) -> int | None:
    if not result.inline_comments or result.review_body is None:
        return None
    drafts = [
        ReviewCommentDraft(path=c.path, line=c.line, body=c.body, start_line=c.start_line)
        for c in result.inline_comments
    ]
    try:
        return gh.create_review(
            owner,
            repo,
            item.pr_number,
            commit_id=item.sha,
            body=result.review_body,
            comments=drafts,
        )
    except GitHubError as exc:
        if exc.status == 422:
            # anchoring should make this impossible; say so loudly rather than lose the review
            log.error("GitHub rejected the inline comments", status=422)
        raise


def _upsert_summary(gh: GitHubRepoClient, owner: str, repo: str, number: int, body: str) -> int:
    for comment in gh.list_issue_comments(owner, repo, number):
        # only a bot's comment: anyone can paste our marker into a comment of their own
        if SUMMARY_MARKER in comment.body and comment.author.endswith("[bot]"):
            gh.update_issue_comment(owner, repo, comment.id, body)
            return comment.id
    return gh.create_issue_comment(owner, repo, number, body)


def _record_skip(rt: Runtime, review_id: int, reason: str) -> None:
    log.info("review skipped", reason=reason)
    with rt.db.session() as s:
        row = s.get(Review, review_id)
        if row is not None:
            row.status = ReviewStatus.DONE.value
            row.completed_at = utcnow()
            row.error_message = f"skipped: {reason}"
            row.lease_expires_at = None


def _record_done(
    rt: Runtime,
    item: Review,
    result: ReviewResult,
    outcome: ReviewOutcome,
    plan: ReviewPlan,
    key: str,
    review_id: int | None,
    summary_id: int,
    since: str | None,
) -> None:
    inline_fps = {c.fingerprint: c for c in result.inline_comments}
    counts = result.counts
    with rt.db.session() as s:
        row = s.get(Review, item.id)
        assert row is not None
        if row.status != ReviewStatus.RUNNING.value or row.lease_owner != item.lease_owner:
            log.info("review posted but no longer ours to close (superseded or taken over)")
            return
        row.status = ReviewStatus.DONE.value
        row.completed_at = utcnow()
        row.lease_expires_at = None
        row.error_message = None
        row.cache_key = key
        row.base_sha = since
        row.incremental = since is not None
        row.model = ",".join(result.usage.models) or rt.settings.llm_model
        row.prompt_version = PROMPT_VERSION
        row.comments_count = len(result.inline_comments)
        row.severity_critical = counts.get(Severity.CRITICAL, 0)
        row.severity_high = counts.get(Severity.HIGH, 0)
        row.severity_medium = counts.get(Severity.MEDIUM, 0)
        row.severity_low = counts.get(Severity.LOW, 0)
        row.prompt_tokens = result.usage.prompt_tokens
        row.completion_tokens = result.usage.completion_tokens
        row.cost_usd = result.usage.cost_usd
        row.github_review_id = review_id
        row.summary_comment_id = summary_id
        row.result = outcome_to_json(outcome)
        s.flush()
        from argusai.review.fingerprint import fingerprint

        rows = []
        for finding in result.findings:
            fp = fingerprint(finding)
            rows.append(
                {
                    "review_id": item.id,
                    "repo_name": item.repo_name,
                    "pr_number": item.pr_number,
                    "fingerprint": fp,
                    "path": finding.path[:1024],
                    "line": finding.line,
                    "severity": finding.severity.value,
                    "category": finding.category.value,
                    "title": finding.title,
                    "inline": fp in inline_fps,
                    "created_at": utcnow(),
                }
            )
        if rows:
            dialect = s.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            s.execute(insert(FindingRecord).values(rows).on_conflict_do_nothing())
    del plan


# ---- the cached outcome (what the LLM said), stored with the review ----------------------


def outcome_to_json(outcome: ReviewOutcome) -> dict[str, Any]:
    """Serialise what the LLM said so the same head can be re-finalised without a call."""
    return {
        "findings": [
            {**asdict(f), "severity": f.severity.value, "category": f.category.value}
            for f in outcome.findings
        ],
        "summaries": list(outcome.summaries),
        "failed": [asdict(f) for f in outcome.failed],
        "usage": asdict(outcome.usage),
        "dropped_findings": outcome.dropped_findings,
        "context_used": outcome.context_used,
        "context_left_out": outcome.context_left_out,
        "context_notes": outcome.context_notes,
        "walkthrough": outcome.walkthrough.to_json(),
    }


def outcome_from_json(data: dict[str, Any], ctx: PRContext) -> ReviewOutcome:
    """Rebuild a cached outcome; its usage is reported as zero (no new LLM call)."""
    findings = [
        Finding(**{**f, "severity": Severity(f["severity"]), "category": Category(f["category"])})
        for f in data.get("findings", [])
    ]
    failed = [ChunkFailure(**f) for f in data.get("failed", [])]
    return ReviewOutcome(
        ctx=ctx,
        findings=findings,
        summaries=list(data.get("summaries", [])),
        failed=failed,
        usage=Usage(),
        dropped_findings=data.get("dropped_findings", 0),
        context_used=list(data.get("context_used", [])),
        context_left_out=list(data.get("context_left_out", [])),
        context_notes=list(data.get("context_notes", [])),
        walkthrough=Walkthrough.from_json(data.get("walkthrough")),
    )
