"""Outcomes of posted findings in the database, and their collection from GitHub.

Reactions send no webhook: they are read when a pull request closes and after every
review (``collect_outcomes``); thread resolutions and ``ignore`` arrive as events and are
written as they come (``update_signals``). The outcome is recomputed from the stored
signals each time (``outcomes.decide``), so the order of arrival does not matter.
"""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy import select

from argusai.errors import GitHubError, GitHubTransientError
from argusai.github.port import GitHubRepoClient, ReviewComment
from argusai.review.conversation.models import FindingOutcome
from argusai.review.conversation.once import insert_once
from argusai.review.conversation.outcomes import Signals, decide, suggestion_applied, suggestion_of
from argusai.review.fingerprint import extract_fingerprints
from argusai.store.db import Database
from argusai.store.models import utcnow

log = structlog.get_logger(__name__)

#: our comments whose reactions one collection reads (the newest first)
MAX_COMMENTS_READ = 60


def fingerprint_of(body: str) -> str | None:
    """The fingerprint hidden in one of ArgusAI's inline comments."""
    found = extract_fingerprints([body])
    return next(iter(sorted(found))) if found else None


def ours(comment: ReviewComment, bot_login: str) -> str | None:
    """The fingerprint when ``comment`` is one of ArgusAI's findings (a thread root posted
    by its bot, with the hidden marker), else None."""
    if comment.in_reply_to_id is not None or comment.author.lower() != bot_login.lower():
        return None
    return fingerprint_of(comment.body)


def _signals(row: FindingOutcome) -> Signals:
    return Signals(
        ignored=row.ignored,
        thread_state=row.thread_state,
        lines_changed=row.lines_changed,
        thumbs_up=row.thumbs_up,
        thumbs_down=row.thumbs_down,
        suggestion_applied=row.suggestion_applied,
    )


def update_signals(
    db: Database,
    repo_name: str,
    pr_number: int,
    fingerprint: str,
    *,
    comment_id: int | None = None,
    path: str = "",
    line: int | None = None,
    **signals: Any,
) -> str:
    """Store new signals for one finding (its row made if needed); the outcome now."""
    with db.session() as s:
        insert_once(
            s,
            FindingOutcome,
            {
                "repo_name": repo_name,
                "pr_number": pr_number,
                "fingerprint": fingerprint,
                "comment_id": comment_id,
                "path": path[:1024],
                "line": line,
                "outcome": "open",
                "reason": "",
                "ignored": False,
                "thumbs_up": 0,
                "thumbs_down": 0,
                "suggestion_applied": False,
                "created_at": utcnow(),
                "updated_at": utcnow(),
            },
        )
        row = s.scalars(
            select(FindingOutcome)
            .where(
                FindingOutcome.repo_name == repo_name,
                FindingOutcome.pr_number == pr_number,
                FindingOutcome.fingerprint == fingerprint,
            )
            .with_for_update()
        ).one()
        if comment_id is not None and row.comment_id is None:
            row.comment_id = comment_id
        for name, value in signals.items():
            setattr(row, name, value)
        outcome, reason = decide(_signals(row))
        row.outcome, row.reason = outcome.value, reason[:200]
        return outcome.value


def outcomes_of(db: Database, repo_name: str, pr_number: int) -> dict[str, str]:
    """Fingerprint → outcome of the PR's findings seen so far."""
    with db.session() as s:
        rows = s.execute(
            select(FindingOutcome.fingerprint, FindingOutcome.outcome).where(
                FindingOutcome.repo_name == repo_name, FindingOutcome.pr_number == pr_number
            )
        ).all()
        return {fp: outcome for fp, outcome in rows}


def _applied(
    gh: GitHubRepoClient, owner: str, repo: str, comment: ReviewComment, head_sha: str
) -> bool:
    suggestion = suggestion_of(comment.body)
    if suggestion is None or comment.original_commit_id == head_sha:
        return False
    try:
        before = gh.get_file_text(owner, repo, comment.path, comment.original_commit_id)
        after = gh.get_file_text(owner, repo, comment.path, head_sha)
    except (GitHubError, GitHubTransientError) as exc:
        log.info("file not read for an outcome", path=comment.path, error=type(exc).__name__)
        return False
    return suggestion_applied(suggestion, before, after)


def collect_outcomes(
    db: Database,
    gh: GitHubRepoClient,
    owner: str,
    repo: str,
    pr_number: int,
    *,
    bot_login: str,
    head_sha: str,
) -> dict[str, int]:
    """Read the reactions (and applied suggestions) of ArgusAI's comments on the PR and
    store each finding's outcome; how many findings ended up with each outcome."""
    repo_name = f"{owner}/{repo}"
    comments = gh.list_review_comments(owner, repo, pr_number)
    found = [(c, fp) for c in comments if (fp := ours(c, bot_login)) is not None]
    known = outcomes_of(db, repo_name, pr_number)
    counts: dict[str, int] = {}
    for comment, fp in found[-MAX_COMMENTS_READ:]:
        reactions = gh.list_reactions(owner, repo, comment.id, review_comment=True)
        people = [r for r in reactions if not r.user_is_bot]
        signals: dict[str, Any] = {
            "thumbs_up": sum(1 for r in people if r.content == "+1"),
            "thumbs_down": sum(1 for r in people if r.content == "-1"),
        }
        if known.get(fp) != "accepted" and _applied(gh, owner, repo, comment, head_sha):
            signals["suggestion_applied"] = True
        outcome = update_signals(
            db,
            repo_name,
            pr_number,
            fp,
            comment_id=comment.id,
            path=comment.path,
            line=comment.original_line,
            **signals,
        )
        counts[outcome] = counts.get(outcome, 0) + 1
    log.info("finding outcomes collected", findings=len(found), **counts)
    return counts
