"""Command work items: recorded once per comment (whatever the deliveries), run by the queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from argusai.review.conversation.models import PRCommand
from argusai.review.conversation.once import insert_once
from argusai.store.db import Database
from argusai.store.models import utcnow
from argusai.workq.table import WorkTable

#: commands on the one work queue
COMMANDS = WorkTable(PRCommand)
MAX_BODY = 8000  # characters of a comment kept (a question is cut to 4,000 anyway)


@dataclass(frozen=True)
class CommandRequest:
    """Something said to ArgusAI in a PR (or noticed about it) that the worker handles."""

    installation_id: int
    repo_name: str
    pr_number: int
    source: str  # issue_comment | review_comment | review_thread | pull_request | review
    name: str  # the command as the webhook read it (the worker reads the text again)
    dedup_key: str  # one item per key, ever: "ic:<comment id>", "rc:<comment id>", …
    text: str = ""
    addressed: str = ""
    author: str = ""
    comment_id: int | None = None
    in_reply_to_id: int | None = None
    details: dict[str, Any] | None = field(default=None, hash=False)


def create_command(
    s: Session, req: CommandRequest, delivery_id: str | None, *, dispatched: bool = False
) -> int | None:
    """Queue ``req``; None when its ``dedup_key`` was queued before (a redelivery)."""
    now = utcnow()
    return insert_once(
        s,
        PRCommand,
        {
            "delivery_id": delivery_id,
            "dedup_key": req.dedup_key[:160],
            "installation_id": req.installation_id,
            "repo_name": req.repo_name,
            "pr_number": req.pr_number,
            "source": req.source,
            "name": req.name[:32],
            "text": req.text[:MAX_BODY],
            "addressed": req.addressed[:64],
            "author": req.author[:255],
            "comment_id": req.comment_id,
            "in_reply_to_id": req.in_reply_to_id,
            "details": req.details,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "dispatched_at": now if dispatched else None,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "cost_usd": 0.0,
            "created_at": now,
        },
    )


def enqueue_command(db: Database, req: CommandRequest) -> int | None:
    """Queue a command outside a webhook (the review job, tests); None when known."""
    with db.session() as s:
        return create_command(s, req, None)


def note(db: Database, command_id: int, **values: Any) -> None:
    """Write what came of a command (``result``, ``reply_id``, token figures)."""
    with db.session() as s:
        s.execute(update(PRCommand).where(PRCommand.id == command_id).values(**values))
