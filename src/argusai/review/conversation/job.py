"""One command, end to end: who said it, may they, 👀, do it, answer once.

Order matters: nothing is visible before the checks (our own comment, a mention of
someone else, a thread that is not ArgusAI's, permission, limits); the 👀 reaction comes
first among the visible things, the answer last. A retry finds an answer already posted
by its hidden marker and posts nothing twice; the side effects (a review queued, a rule
stored) are idempotent themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog

from argusai.errors import GitHubError, LLMError, LLMTransientError
from argusai.github.port import GitHubRepoClient, ReviewComment
from argusai.review.conversation import actions, replies
from argusai.review.conversation.commands import (
    ON_A_FINDING,
    OPEN_TO_ALL,
    SPENDS_TOKENS,
    Name,
    parse_comment,
)
from argusai.review.conversation.items import note
from argusai.review.conversation.learning import ours
from argusai.review.conversation.limits import command_limits
from argusai.review.conversation.models import PRCommand
from argusai.review.conversation.state import notice_once
from argusai.runtime import Runtime

log = structlog.get_logger(__name__)

WRITE_ROLES = frozenset({"admin", "maintain", "write"})
LIMIT_NOTICE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Turn:
    """One command being handled, with what every step needs."""

    rt: Runtime
    gh: GitHubRepoClient
    row: PRCommand
    owner: str
    repo: str
    slug: str

    @property
    def bot_login(self) -> str:
        """The login of ArgusAI's own comments."""
        return f"{self.slug}[bot]"

    @property
    def in_review_thread(self) -> bool:
        """The command was written as an inline (review) comment."""
        return self.row.source == "review_comment"

    @property
    def thread_root(self) -> int | None:
        """The review thread a reply goes to (the command's own comment starts one)."""
        if not self.in_review_thread:
            return None
        return self.row.in_reply_to_id or self.row.comment_id


def app_slug(rt: Runtime) -> str:
    """The App's slug: ``ARGUS_GITHUB_APP_SLUG``, else ``GET /app`` (cached by the client)."""
    return rt.settings.github_app_slug or rt.github.app_slug()


def process_command(rt: Runtime, row: PRCommand) -> None:
    """Handle one command row (raises to signal the outcome, as every work kind)."""
    owner, repo = row.repo_name.split("/", 1)
    gh = rt.github.for_installation(row.installation_id)
    turn = Turn(rt, gh, row, owner, repo, app_slug(rt))
    if row.source == "review_thread":
        note(rt.db, row.id, result=actions.thread_event(turn))
        return
    if row.name == "outcomes":
        note(rt.db, row.id, result=actions.outcomes(turn))
        return
    note(rt.db, row.id, result=_converse(turn)[:200])


def _converse(turn: Turn) -> str:
    row = turn.row
    if row.author.lower() == turn.bot_login.lower():
        return "our own comment"
    parsed = parse_comment(row.text, slug=turn.slug, in_thread=row.in_reply_to_id is not None)
    if parsed is None:
        return "not addressed to ArgusAI"
    root = _thread_root(turn)
    fingerprint = ours(root, turn.bot_login) if root is not None else None
    if parsed.addressed == "thread" and fingerprint is None:
        return "a reply in a thread that is not on ArgusAI's comment"
    refused = _gate(turn, parsed.name, in_thread_only=parsed.addressed == "thread")
    if refused is not None:
        return refused
    _acknowledge(turn)
    if parsed.name in ON_A_FINDING and (root is None or fingerprint is None):
        post(turn, replies.not_on_a_finding(parsed.name))
        return f"{parsed.name.value} outside a thread on a finding"
    try:
        text, result = actions.run(turn, parsed, root, fingerprint)
    except LLMTransientError:
        if row.attempts <= turn.rt.settings.job_max_retries:
            raise  # the queue retries; the user gets an answer then
        text, result = replies.llm_failed_text(), "the LLM stayed unavailable"
    except LLMError as exc:
        log.warning("no usable answer", error=str(exc)[:200])
        text, result = replies.llm_failed_text(), "no usable answer from the LLM"
    post(turn, text)
    return result


def _thread_root(turn: Turn) -> ReviewComment | None:
    """The first comment of the thread the command replies in (None: not a reply, or the
    thread's first comment was deleted meanwhile)."""
    if turn.row.in_reply_to_id is None:
        return None
    try:
        return turn.gh.get_review_comment(turn.owner, turn.repo, turn.row.in_reply_to_id)
    except GitHubError as exc:
        if exc.status == 404:
            return None
        raise


def _gate(turn: Turn, name: Name, *, in_thread_only: bool) -> str | None:
    """Why the command is not run (a refusal or a limit notice posted once), or None.
    ``in_thread_only``: a reply in ArgusAI's thread, addressed to no one, which the queue
    did not count against the installation's limit (it could not tell it was for us)."""
    row, rt = turn.row, turn.rt
    if name not in OPEN_TO_ALL:
        role = turn.gh.collaborator_permission(turn.owner, turn.repo, row.author)
        if role not in WRITE_ROLES:
            if notice_once(rt.db, row.repo_name, row.pr_number, row.author, "refusal"):
                post(turn, replies.refusal(row.author, name))
                return f"refused: {row.author} has {role} access"
            return f"refused quietly: {row.author} has {role} access (told before)"
    if name in SPENDS_TOKENS:
        limits = command_limits(rt.settings)
        over = f"more than {limits.per_user_hour} commands in an hour"
        wait = limits.user_wait(row.installation_id, row.author)
        if wait <= 0 and in_thread_only:
            over = "more than this installation may ask in an hour"
            wait = limits.installation_wait(row.installation_id)
        if wait > 0:
            if notice_once(
                rt.db, row.repo_name, row.pr_number, row.author, "limit", every=LIMIT_NOTICE_EVERY
            ):
                post(turn, replies.limit_notice(row.author, over, int(wait // 60)))
            return f"over the limit: {over}"
    return None


def _acknowledge(turn: Turn) -> None:
    """👀 on the command's comment, at once (a deleted comment is no reason to fail)."""
    row = turn.row
    if row.comment_id is None:
        return
    try:
        turn.gh.add_reaction(
            turn.owner, turn.repo, row.comment_id, "eyes", review_comment=turn.in_review_thread
        )
    except GitHubError as exc:
        log.info("no 👀 reaction", status=exc.status)


def _posted_before(turn: Turn) -> int | None:
    """The id of this command's reply when an earlier attempt posted it already."""
    marker = replies.reply_marker(turn.row.id)
    gh, owner, repo, number = turn.gh, turn.owner, turn.repo, turn.row.pr_number
    if turn.in_review_thread:
        found = [c.id for c in gh.list_review_comments(owner, repo, number) if marker in c.body]
    else:
        found = [c.id for c in gh.list_issue_comments(owner, repo, number) if marker in c.body]
    return found[0] if found else None


def post(turn: Turn, text: str) -> None:
    """Post the command's reply (in its review thread, else in the conversation), once."""
    row = turn.row
    body = replies.finish(text, row.id)
    if row.attempts > 1:
        existing = _posted_before(turn)
        if existing is not None:
            note(turn.rt.db, row.id, reply_id=existing)
            return
    root = turn.thread_root
    if root is not None:
        reply_id = turn.gh.reply_to_review_comment(turn.owner, turn.repo, row.pr_number, root, body)
    else:
        reply_id = turn.gh.create_issue_comment(turn.owner, turn.repo, row.pr_number, body)
    note(turn.rt.db, row.id, reply_id=reply_id)
