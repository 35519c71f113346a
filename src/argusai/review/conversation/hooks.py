"""What a review takes from the conversation: the suppression rules applied before it
posts, and a collection of its earlier findings' outcomes queued after it posted."""

from __future__ import annotations

from collections import Counter

import structlog

from argusai.review.conversation.items import CommandRequest, enqueue_command
from argusai.review.conversation.kind import COMMAND
from argusai.review.conversation.suppressions import count_hits, rules_for
from argusai.review.models import Finding
from argusai.runtime import Runtime
from argusai.store.db import Database
from argusai.store.models import Review

log = structlog.get_logger(__name__)


class Suppressor:
    """``finalize``'s ``suppress``: the PR's rules, counting which rule kept what out."""

    def __init__(self, db: Database, repo_name: str, pr_number: int) -> None:
        self.db = db
        self.rules = rules_for(db, repo_name, pr_number)
        self.hits: Counter[int] = Counter()

    def __call__(self, finding: Finding, fingerprint: str) -> bool:
        rule = self.rules.first_match(finding, fingerprint)
        if rule is None:
            return False
        self.hits[rule.id] += 1
        return True

    def record_hits(self) -> None:
        """Add this review's hits to the rules' counts (once it posted)."""
        if self.hits:
            log.info("findings suppressed", rules=dict(self.hits))
        count_hits(self.db, self.hits)


def suppressor(db: Database, repo_name: str, pr_number: int) -> Suppressor:
    """The suppression rules of one PR (the repository's and its own), ready to apply."""
    return Suppressor(db, repo_name, pr_number)


def schedule_outcomes(rt: Runtime, item: Review) -> int | None:
    """Queue a read of the reactions on the PR's earlier findings (reactions send no
    webhook: a new review is one of the two moments they are read); the command id."""
    command_id = enqueue_command(
        rt.db,
        CommandRequest(
            installation_id=item.installation_id,
            repo_name=item.repo_name,
            pr_number=item.pr_number,
            source="review",
            name="outcomes",
            dedup_key=f"rv:{item.id}",
            details={"head_sha": item.sha},
        ),
    )
    if command_id is not None:
        rt.queue.dispatch(COMMAND, command_id)
    return command_id
