"""What comment and thread deliveries ask of ArgusAI: a command work item, or nothing.

Read in the request path without any I/O: bots (``sender.type == "Bot"``, any ``[bot]``
login — ArgusAI's own comments included) never trigger anything, edits and deletions of
a comment are ignored, and a comment is queued once whatever the deliveries (its id is
the item's ``dedup_key``). Who may run what, and whether a thread is really on one of
ArgusAI's comments, the worker checks (that takes GitHub calls).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field
from sqlalchemy import select

from argusai.core.payload import (
    MAX_ID,
    MAX_NAME,
    MAX_NUMBER,
    MAX_SHORT,
    InstalledEvent,
    Lenient,
    Repo,
)
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
from argusai.review.conversation.commands import parse_comment
from argusai.review.conversation.items import CommandRequest, create_command
from argusai.review.conversation.kind import COMMAND
from argusai.review.fingerprint import extract_fingerprints
from argusai.store.models import FindingRecord

THREAD_ACTIONS = ("resolved", "unresolved")


class _User(Lenient):
    login: str = Field(min_length=1, max_length=MAX_NAME)
    type: str = Field(default="User", max_length=MAX_SHORT)

    @property
    def is_bot(self) -> bool:
        """GitHub Apps and other bots: never a trigger."""
        return self.type == "Bot" or self.login.lower().endswith("[bot]")


class _Number(Lenient):
    number: int = Field(gt=0, lt=MAX_NUMBER)


class _Issue(_Number):
    pull_request: dict[str, Any] | None = None


class _IssueComment(Lenient):
    id: int = Field(gt=0, lt=MAX_ID)
    body: str | None = None
    user: _User


class IssueCommentEvent(InstalledEvent):
    """The parts of an ``issue_comment`` payload a command needs."""

    action: str
    issue: _Issue
    comment: _IssueComment
    repository: Repo
    sender: _User | None = None


class _ReviewComment(_IssueComment):
    in_reply_to_id: int | None = Field(default=None, gt=0, lt=MAX_ID)
    path: str | None = Field(default=None, max_length=1024)
    line: int | None = None
    start_line: int | None = None
    original_line: int | None = None
    original_start_line: int | None = None
    commit_id: str | None = Field(default=None, max_length=MAX_SHORT)
    original_commit_id: str | None = Field(default=None, max_length=MAX_SHORT)


class ReviewCommentEvent(InstalledEvent):
    """The parts of a ``pull_request_review_comment`` payload a command needs."""

    action: str
    comment: _ReviewComment
    pull_request: _Number
    repository: Repo
    sender: _User | None = None


class _Thread(Lenient):
    comments: list[_ReviewComment] = Field(min_length=1)


class ReviewThreadEvent(InstalledEvent):
    """The parts of a ``pull_request_review_thread`` payload an outcome needs."""

    action: str
    thread: _Thread
    pull_request: _Number
    repository: Repo


class _PullRequest(_Number):
    head: dict[str, Any] | None = None


class PullRequestClosedEvent(InstalledEvent):
    """``pull_request.closed``: time to read what became of the PR's findings."""

    action: str
    pull_request: _PullRequest
    repository: Repo


@dataclass(frozen=True)
class CommandIntent(OfRequest):
    """Queue this command (question, thread event, outcome collection)."""

    request: CommandRequest
    #: only for PRs with findings of ours (an outcome collection on close)
    needs_findings: bool = False
    creates_work: bool = True

    def record(self, session: Any, delivery_id: str) -> Recorded:
        """Queue the command once; nothing for a comment handled before."""
        if self.needs_findings and not _has_findings(session, self.request):
            return Recorded(ignored="no ArgusAI findings on this pull request")
        command_id = create_command(session, self.request, delivery_id, dispatched=True)
        if command_id is None:
            return Recorded(ignored="this comment is already handled")
        return Recorded(work=(Work(COMMAND, command_id),), fields={"command_id": command_id})


def _has_findings(session: Any, req: CommandRequest) -> bool:
    found = session.scalar(
        select(FindingRecord.id)
        .where(
            FindingRecord.repo_name == req.repo_name,
            FindingRecord.pr_number == req.pr_number,
            FindingRecord.inline.is_(True),
        )
        .limit(1)
    )
    return found is not None


def _from_a_bot(comment: _IssueComment, sender: _User | None) -> bool:
    return comment.user.is_bot or (sender is not None and sender.is_bot)


def _comment_command(
    delivery: Delivery,
    comment: _IssueComment,
    sender: _User | None,
    *,
    slug: str | None,
    installation_id: int,
    repo_name: str,
    pr_number: int,
    source: str,
    key: str,
    in_reply_to_id: int | None = None,
) -> Intent:
    """The command a new comment (conversation or review thread) asks for, if any."""
    if _from_a_bot(comment, sender):
        return Ignored.of(delivery, "comment by a bot")
    body = comment.body or ""
    parsed = parse_comment(body, slug=slug, in_thread=in_reply_to_id is not None)
    if parsed is None:
        return Ignored.of(delivery, "not addressed to ArgusAI")
    return CommandIntent(
        CommandRequest(
            installation_id=installation_id,
            repo_name=repo_name,
            pr_number=pr_number,
            source=source,
            name=parsed.name.value,
            dedup_key=f"{key}:{comment.id}",
            text=body,
            addressed=parsed.addressed,
            author=comment.user.login,
            comment_id=comment.id,
            in_reply_to_id=in_reply_to_id,
        )
    )


def issue_comment_handler(*, slug: str | None) -> Handler:
    """``issue_comment``: a command in a pull request's conversation (``slug``: the App's,
    when configured; else any opening mention is a candidate the worker checks)."""

    def handle(delivery: Delivery) -> Intent:
        if delivery.action != "created":
            return Ignored.of(delivery, f"{delivery.key}: only new comments are read")
        parsed = parse_installed(delivery, IssueCommentEvent)
        if isinstance(parsed, Ignored):
            return parsed
        event, installation_id = parsed
        if event.issue.pull_request is None:
            return Ignored.of(delivery, "a comment on an issue, not on a pull request")
        return _comment_command(
            delivery,
            event.comment,
            event.sender,
            slug=slug,
            installation_id=installation_id,
            repo_name=event.repository.full_name,
            pr_number=event.issue.number,
            source="issue_comment",
            key="ic",
        )

    return handle


def review_comment_handler(*, slug: str | None) -> Handler:
    """``pull_request_review_comment``: a command, or a reply in a thread (maybe ours)."""

    def handle(delivery: Delivery) -> Intent:
        if delivery.action != "created":
            return Ignored.of(delivery, f"{delivery.key}: only new comments are read")
        parsed = parse_installed(delivery, ReviewCommentEvent)
        if isinstance(parsed, Ignored):
            return parsed
        event, installation_id = parsed
        return _comment_command(
            delivery,
            event.comment,
            event.sender,
            slug=slug,
            installation_id=installation_id,
            repo_name=event.repository.full_name,
            pr_number=event.pull_request.number,
            source="review_comment",
            key="rc",
            in_reply_to_id=event.comment.in_reply_to_id,
        )

    return handle


def review_thread(delivery: Delivery) -> Intent | None:
    """``pull_request_review_thread`` resolved / unresolved on one of ArgusAI's findings."""
    if delivery.action not in THREAD_ACTIONS:
        return None
    parsed = parse_installed(delivery, ReviewThreadEvent)
    if isinstance(parsed, Ignored):
        return parsed
    event, installation_id = parsed
    root = event.thread.comments[0]
    fingerprints = extract_fingerprints([root.body])
    if not root.user.is_bot or not fingerprints:
        return Ignored.of(delivery, "a thread on someone else's comment")
    details = {
        "action": delivery.action,
        "fingerprint": sorted(fingerprints)[0],
        "root_id": root.id,
        "root_author": root.user.login,
        "path": root.path or "",
        "line": root.original_line if root.original_line is not None else root.line,
        "start_line": (
            root.original_start_line if root.original_start_line is not None else root.start_line
        ),
        "commit_id": root.original_commit_id or root.commit_id or "",
    }
    return CommandIntent(
        CommandRequest(
            installation_id=installation_id,
            repo_name=event.repository.full_name,
            pr_number=event.pull_request.number,
            source="review_thread",
            name=f"thread-{delivery.action}",
            dedup_key=f"th:{delivery.delivery_id}",
            comment_id=root.id,
            details=details,
        )
    )


def pull_request_closed(delivery: Delivery) -> Intent | None:
    """``pull_request.closed`` → read the outcomes of ArgusAI's findings on it."""
    if delivery.action != "closed":
        return None
    parsed = parse_installed(delivery, PullRequestClosedEvent)
    if isinstance(parsed, Ignored):
        return None  # the review handler already says what the payload lacks
    event, installation_id = parsed
    head = event.pull_request.head or {}
    sha = head.get("sha") if isinstance(head.get("sha"), str) else ""
    return CommandIntent(
        CommandRequest(
            installation_id=installation_id,
            repo_name=event.repository.full_name,
            pr_number=event.pull_request.number,
            source="pull_request",
            name="outcomes",
            dedup_key=f"pc:{delivery.delivery_id}",
            details={"head_sha": str(sha)[:MAX_SHORT]},
        ),
        needs_findings=True,
    )
