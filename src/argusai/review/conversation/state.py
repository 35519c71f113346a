"""A pull request's conversation state: paused or not, and the notices already given."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from argusai.review.conversation.models import CommandNotice, PRState
from argusai.review.conversation.once import insert_once
from argusai.store.db import Database
from argusai.store.models import utcnow


def is_paused(s: Session, repo_name: str, pr_number: int) -> bool:
    """True while ``@argus pause`` holds on this pull request (in the caller's session)."""
    paused = s.scalar(
        select(PRState.paused).where(PRState.repo_name == repo_name, PRState.pr_number == pr_number)
    )
    return bool(paused)


def set_paused(db: Database, repo_name: str, pr_number: int, paused: bool, by: str) -> bool:
    """Pause (or resume) automatic reviews of the PR; False when it already was so."""
    with db.session() as s:
        row = s.get(PRState, (repo_name, pr_number))
        if row is None:
            s.add(PRState(repo_name=repo_name, pr_number=pr_number, paused=paused, changed_by=by))
            return paused
        if row.paused == paused:
            return False
        row.paused, row.changed_by = paused, by
        return True


def notice_once(
    db: Database,
    repo_name: str,
    pr_number: int,
    user: str,
    kind: str,
    *,
    every: timedelta | None = None,
) -> bool:
    """True when ``user`` gets the ``kind`` notice now: the first time on this PR, or (with
    ``every``) when the last one is older than that. Recorded at once."""
    with db.session() as s:
        values = {
            "repo_name": repo_name,
            "pr_number": pr_number,
            "user": user.lower()[:255],
            "kind": kind,
            "created_at": utcnow(),
        }
        if insert_once(s, CommandNotice, values) is not None:
            return True
        if every is None:
            return False
        result = s.execute(
            update(CommandNotice)
            .where(
                CommandNotice.repo_name == repo_name,
                CommandNotice.pr_number == pr_number,
                CommandNotice.user == values["user"],
                CommandNotice.kind == kind,
                CommandNotice.created_at < utcnow() - every,
            )
            .values(created_at=utcnow())
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1
