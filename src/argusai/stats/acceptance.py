"""Which comments were taken up: acceptance rate = accepted / (accepted + dismissed).

The outcomes are the conversation feature's (``finding_outcomes``: accepted, dismissed,
resolved, open — see ``review.conversation.outcomes``); an inline finding without an
outcome row yet counts as open. Resolved findings (their lines changed, the thread
closed) are neither accepted nor dismissed: they stay out of the rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import and_, func, select

from argusai.review.conversation.models import FindingOutcome
from argusai.stats.period import Period
from argusai.stats.sql import count_if, rate
from argusai.store.db import Database
from argusai.store.models import FindingRecord, Review

#: what the rate can be broken down by
GroupBy = Literal["repository", "model", "prompt_version", "experiment_arm", "category", "source"]
_COLUMNS: dict[str, Any] = {
    "repository": FindingRecord.repo_name,
    "model": Review.model,
    "prompt_version": Review.prompt_version,
    "experiment_arm": Review.experiment_arm,
    "category": FindingRecord.category,
    "source": FindingRecord.source,
}


@dataclass(frozen=True)
class Acceptance:
    """The outcomes of the inline findings of one group (``key``: None when unknown)."""

    key: str | None
    posted: int
    accepted: int
    dismissed: int
    resolved: int

    @property
    def open(self) -> int:
        """Posted findings with no outcome yet."""
        return self.posted - self.accepted - self.dismissed - self.resolved

    @property
    def rate(self) -> float | None:
        """accepted / (accepted + dismissed); None before any of either."""
        return rate(self.accepted, self.accepted + self.dismissed)


def acceptance_rates(
    db: Database, period: Period, *, by: GroupBy = "repository", repo: str | None = None
) -> list[Acceptance]:
    """Acceptance of the findings posted inline in the period, per ``by`` (most posted
    first): per repository, model, prompt version, experiment arm, category or source."""
    if by not in _COLUMNS:
        raise ValueError(f"by must be one of {', '.join(_COLUMNS)}, not {by!r}")
    key = _COLUMNS[by].label("key")
    outcome = FindingOutcome.outcome
    posted = func.count(FindingRecord.id).label("posted")
    query = (
        select(
            key,
            posted,
            count_if(outcome == "accepted"),
            count_if(outcome == "dismissed"),
            count_if(outcome == "resolved"),
        )
        .select_from(FindingRecord)
        .join(Review, Review.id == FindingRecord.review_id)
        .outerjoin(
            FindingOutcome,
            and_(
                FindingOutcome.repo_name == FindingRecord.repo_name,
                FindingOutcome.pr_number == FindingRecord.pr_number,
                FindingOutcome.fingerprint == FindingRecord.fingerprint,
            ),
        )
        .where(
            FindingRecord.inline.is_(True),
            FindingRecord.created_at >= period.since,
            FindingRecord.created_at < period.until,
        )
        .group_by(key)
        .order_by(posted.desc(), key)
    )
    if repo is not None:
        query = query.where(FindingRecord.repo_name == repo)
    with db.session() as s:
        rows = s.execute(query).all()
    return [Acceptance(k, int(p), int(a), int(d), int(r)) for k, p, a, d, r in rows]
