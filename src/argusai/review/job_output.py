"""What the App's review keeps in the store: the review row with its figures and findings,
the fingerprints it posted before (what it posts on GitHub: ``publish``)."""

from __future__ import annotations

import structlog
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from argusai.review.engine import ReviewOutcome, ReviewResult
from argusai.review.figures import ReviewFigures, apply_figures
from argusai.review.fingerprint import fingerprint
from argusai.review.models import Severity
from argusai.review.outcome_json import outcome_to_json
from argusai.runtime import Runtime
from argusai.store.models import FindingRecord, Review, ReviewStatus, utcnow

log = structlog.get_logger(__name__)


def stored_fingerprints(rt: Runtime, item: Review) -> set[str]:
    """Fingerprints of the findings already posted inline on this pull request."""
    with rt.db.session() as s:
        rows = s.scalars(
            select(FindingRecord.fingerprint).where(
                FindingRecord.repo_name == item.repo_name,
                FindingRecord.pr_number == item.pr_number,
                FindingRecord.inline.is_(True),
            )
        )
        return set(rows)


def record_skip(rt: Runtime, review_id: int, reason: str) -> None:
    """Close the review as done without posting (disabled, draft)."""
    log.info("review skipped", reason=reason)
    with rt.db.session() as s:
        row = s.get(Review, review_id)
        if row is not None:
            row.status = ReviewStatus.DONE.value
            row.completed_at = utcnow()
            row.error_message = f"skipped: {reason}"
            row.lease_expires_at = None


def record_done(
    rt: Runtime,
    item: Review,
    result: ReviewResult,
    outcome: ReviewOutcome,
    key: str | None,
    review_id: int | None,
    summary_id: int,
    since: str | None,
    figures: ReviewFigures | None = None,
) -> None:
    """Close the review row with its figures and store its findings (if still ours)."""
    inline_fps = {c.fingerprint for c in result.inline_comments}
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
        apply_figures(row, figures or ReviewFigures(), result, item, row.completed_at)
        row.cache_key = key
        row.base_sha = since
        row.incremental = since is not None
        row.model = ",".join(result.usage.models) or rt.settings.llm_model
        row.prompt_version = result.prompt_version
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
                    "source": finding.source,
                    "created_at": utcnow(),
                }
            )
        if rows:
            dialect = s.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            s.execute(insert(FindingRecord).values(rows).on_conflict_do_nothing())
