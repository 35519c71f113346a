"""A repository's pull requests, and one pull request's reviews and findings with outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select

from argusai.review.conversation.models import FindingOutcome, PRState
from argusai.store.db import Database
from argusai.store.models import FindingRecord, Review

MAX_PULLS = 200


@dataclass(frozen=True)
class PullRow:
    number: int
    reviews: int
    last_status: str
    last_sha: str
    last_at: datetime
    findings: int
    cost_usd: float
    paused: bool


def pulls(db: Database, repo_name: str) -> list[PullRow]:
    """The repository's reviewed pull requests, the most recently reviewed first."""
    r = Review
    per_pr = (
        select(
            r.pr_number,
            func.count(r.id),
            func.max(r.id),
            func.coalesce(func.sum(r.cost_usd), 0.0),
        )
        .where(r.repo_name == repo_name)
        .group_by(r.pr_number)
        .order_by(func.max(r.id).desc())
        .limit(MAX_PULLS)
    )
    with db.session() as s:
        groups = s.execute(per_pr).all()
        last_ids = [g[2] for g in groups]
        last = {row.id: row for row in s.scalars(select(Review).where(r.id.in_(last_ids)))}
        findings = dict(
            s.execute(
                select(FindingRecord.pr_number, func.count())
                .where(FindingRecord.repo_name == repo_name)
                .group_by(FindingRecord.pr_number)
            ).all()
        )
        paused = set(
            s.scalars(
                select(PRState.pr_number).where(
                    PRState.repo_name == repo_name, PRState.paused.is_(True)
                )
            )
        )
    return [
        PullRow(
            number=number,
            reviews=int(count),
            last_status=last[last_id].status,
            last_sha=last[last_id].sha[:10],
            last_at=last[last_id].completed_at or last[last_id].created_at,
            findings=int(findings.get(number, 0)),
            cost_usd=float(cost),
            paused=number in paused,
        )
        for number, count, last_id, cost in groups
    ]


@dataclass(frozen=True)
class ReviewRow:
    id: int
    sha: str
    status: str
    trigger: str
    model: str | None
    comments: int
    summarised: int
    cost_usd: float
    total_ms: int | None
    created_at: datetime
    error: str | None


@dataclass(frozen=True)
class FindingRow:
    path: str
    line: int | None
    severity: str
    category: str
    title: str
    inline: bool
    source: str
    outcome: str  # open, accepted, dismissed, resolved; "summary" for summary-only ones


@dataclass(frozen=True)
class PullDetail:
    repo_name: str
    number: int
    reviews: list[ReviewRow]
    findings: list[FindingRow]
    paused: bool


def pull(db: Database, repo_name: str, number: int) -> PullDetail | None:
    """One pull request's reviews (newest first) and findings; None when never reviewed."""
    outcome = FindingOutcome
    with db.session() as s:
        reviews = s.scalars(
            select(Review)
            .where(Review.repo_name == repo_name, Review.pr_number == number)
            .order_by(Review.id.desc())
        ).all()
        if not reviews:
            return None
        found = s.execute(
            select(FindingRecord, outcome.outcome)
            .outerjoin(
                outcome,
                and_(
                    outcome.repo_name == FindingRecord.repo_name,
                    outcome.pr_number == FindingRecord.pr_number,
                    outcome.fingerprint == FindingRecord.fingerprint,
                ),
            )
            .where(FindingRecord.repo_name == repo_name, FindingRecord.pr_number == number)
            .order_by(FindingRecord.path, FindingRecord.line, FindingRecord.id)
        ).all()
        state = s.get(PRState, (repo_name, number))
        return PullDetail(
            repo_name=repo_name,
            number=number,
            reviews=[
                ReviewRow(
                    r.id,
                    r.sha[:10],
                    r.status,
                    r.trigger,
                    r.model,
                    r.comments_count,
                    r.summarised_count,
                    r.cost_usd,
                    r.total_ms,
                    r.created_at,
                    r.error_message,
                )
                for r in reviews
            ],
            findings=[
                FindingRow(
                    f.path,
                    f.line,
                    f.severity,
                    f.category,
                    f.title,
                    f.inline,
                    f.source,
                    (o or "open") if f.inline else "summary",
                )
                for f, o in found
            ],
            paused=bool(state and state.paused),
        )
