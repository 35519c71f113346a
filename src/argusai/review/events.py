"""What ``pull_request`` deliveries ask of the reviewer: a review of a head, or nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from argusai.core.payload import MAX_NUMBER, MAX_SHORT, InstalledEvent, Lenient, Repo
from argusai.core.router import (
    Delivery,
    Handler,
    Ignored,
    Intent,
    OfRequest,
    Recorded,
    Work,
    parse_installed,
)
from argusai.review.checkrun import CHECK_NAME
from argusai.review.conversation.state import is_paused
from argusai.review.items import ReviewRequest, create_review
from argusai.review.kind import REVIEW


class _Head(Lenient):
    sha: str = Field(min_length=1, max_length=MAX_SHORT)


class _PR(Lenient):
    number: int = Field(gt=0, lt=MAX_NUMBER)
    head: _Head
    draft: bool = False
    state: str = "open"


class PullRequestEvent(InstalledEvent):
    """The parts of a ``pull_request`` payload a review needs."""

    action: str
    pull_request: _PR
    repository: Repo


@dataclass(frozen=True)
class ReviewIntent(OfRequest):
    """Review this PR at this head (not before ``delay`` seconds: the repository's limit)."""

    request: ReviewRequest
    delay: float = 0.0
    again: bool = False
    creates_work: bool = True

    def record(self, session: Any, delivery_id: str) -> Recorded:
        """Queue the review (superseding older heads of the PR); nothing for a known head,
        nor for a PR whose automatic reviews are paused (a re-run still runs)."""
        if not self.again and is_paused(session, self.request.repo_name, self.request.pr_number):
            return Recorded(ignored="automatic reviews are paused on this pull request")
        review_id = create_review(
            session, self.request, delivery_id, dispatched=True, delay=self.delay, again=self.again
        )
        if review_id is None:
            return Recorded(ignored="this head is already reviewed")
        fields: dict[str, Any] = {"review_id": review_id}
        if self.delay > 0:
            fields["delay_seconds"] = round(self.delay, 1)
        return Recorded(work=(Work(REVIEW, review_id, self.delay),), fields=fields)


def pull_request_handler(
    *,
    enabled: tuple[str, ...],
    review_drafts: bool,
    webhook_delay: Callable[[str], float],
) -> Handler:
    """The reviewer's handler of ``pull_request`` deliveries.

    ``enabled`` is ``ARGUS_REVIEW_ENABLED_EVENTS``; ``webhook_delay(repo)`` is the
    repository's webhook limit (work over it starts later, never dropped).
    """

    def handle(delivery: Delivery) -> Intent:
        key = delivery.key
        if key not in enabled and delivery.event not in enabled:
            return Ignored.of(delivery, f"event {key} is not enabled")
        parsed = parse_installed(delivery, PullRequestEvent)
        if isinstance(parsed, Ignored):
            return parsed
        event, installation_id = parsed
        pr = event.pull_request
        if pr.state != "open":
            return Ignored.of(delivery, "pull request is not open")
        if pr.draft and not review_drafts:
            return Ignored.of(delivery, "draft pull request")
        request = ReviewRequest(
            installation_id=installation_id,
            repo_name=event.repository.full_name,
            pr_number=pr.number,
            sha=pr.head.sha,
            trigger=key,
        )
        return ReviewIntent(request, webhook_delay(request.repo_name))

    return handle


class _CheckPR(Lenient):
    number: int = Field(gt=0, lt=MAX_NUMBER)


class _CheckRun(Lenient):
    name: str
    head_sha: str = Field(min_length=1, max_length=MAX_SHORT)
    pull_requests: list[_CheckPR] = Field(default_factory=list)


class CheckRunEvent(InstalledEvent):
    """The parts of a ``check_run`` payload a re-run needs."""

    action: str
    check_run: _CheckRun
    repository: Repo


def check_run_rerequested(delivery: Delivery) -> Intent | None:
    """ "Re-run" on the "ArgusAI review" check run → review that head again."""
    if delivery.action != "rerequested":
        return None  # created/completed: our own check runs' events
    parsed = parse_installed(delivery, CheckRunEvent)
    if isinstance(parsed, Ignored):
        return parsed
    event, installation_id = parsed
    if event.check_run.name != CHECK_NAME:
        return Ignored.of(delivery, f"not our check run ({event.check_run.name[:80]})")
    if not event.check_run.pull_requests:
        return Ignored.of(delivery, "the check run belongs to no open pull request")
    request = ReviewRequest(
        installation_id=installation_id,
        repo_name=event.repository.full_name,
        pr_number=event.check_run.pull_requests[0].number,
        sha=event.check_run.head_sha,
        trigger=delivery.key,
    )
    return ReviewIntent(request, again=True)
