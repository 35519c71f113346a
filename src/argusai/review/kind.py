"""Reviews as a kind of work on the queue: a pull request at a head SHA, reviewed and posted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from argusai.errors import GitHubRateLimited
from argusai.limits.policy import limits_for
from argusai.review.alerts import review_closed
from argusai.review.items import REVIEWS
from argusai.runtime import Runtime
from argusai.store.models import Review
from argusai.workq.kinds import Claimed, Wait, WorkKind

REVIEW = "review"


def review_kind(get_runtime: Callable[[], Runtime]) -> WorkKind:
    """The ``review`` kind: admission per installation, waits for GitHub's pauses."""

    def handle(item: Claimed) -> None:
        from argusai.review.job import process_review

        process_review(get_runtime(), item.row)

    def admit(row: Review) -> Wait | None:
        return limits_for(get_runtime().settings).admit_review(row.installation_id)

    def wait_delay(row: Review, exc: BaseException, default: float) -> float:
        if isinstance(exc, GitHubRateLimited):
            # the client's response hook paused the installation (until the reset)
            paused = limits_for(get_runtime().settings).pauses.remaining(row.installation_id)
            return max(default, paused)
        return default

    return WorkKind(
        name=REVIEW,
        table=REVIEWS,
        handle=handle,
        describe=_describe,
        context=_context,
        admit=admit,
        wait_delay=wait_delay,
        closed=review_closed(get_runtime),  # notifications: failed, critical findings
    )


def _describe(row: Review) -> str:
    return f"{row.repo_name}#{row.pr_number} @ {row.sha[:10]}"


def _context(row: Review) -> dict[str, Any]:
    return {
        "repo": row.repo_name,
        "pr": row.pr_number,
        "installation_id": row.installation_id,
        "delivery_id": row.delivery_id,
    }
