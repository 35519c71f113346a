"""What each command does once it may run: its side effects and the text of its reply."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import select

from argusai.errors import GitHubError
from argusai.github.port import ReviewComment
from argusai.review.config_layers import config_rows
from argusai.review.config_sources import effective_config
from argusai.review.conversation import asking, replies
from argusai.review.conversation.answer import ask
from argusai.review.conversation.commands import Name, Parsed
from argusai.review.conversation.items import note
from argusai.review.conversation.learning import collect_outcomes, update_signals
from argusai.review.conversation.outcomes import lines_changed
from argusai.review.conversation.state import is_paused, set_paused
from argusai.review.conversation.suppressions import add_rule, list_rules
from argusai.review.items import FULL_REVIEW_TRIGGER, ReviewRequest, create_review
from argusai.review.kind import REVIEW
from argusai.store.models import ACTIVE_STATUSES, FindingRecord, Review, ReviewStatus

if TYPE_CHECKING:
    from argusai.review.conversation.job import Turn

REVIEW_TRIGGER = "comment.review"
_TITLE = re.compile(r"\*\*(.+?)\*\*\s*$", re.MULTILINE)


def run(
    turn: Turn, parsed: Parsed, root: ReviewComment | None, fingerprint: str | None
) -> tuple[str, str]:
    """Do the command; (the reply's text, what to record as its result)."""
    name = parsed.name
    if name in (Name.REVIEW, Name.FULL_REVIEW):
        return _review(turn, full=name is Name.FULL_REVIEW)
    if name in (Name.PAUSE, Name.RESUME):
        pause = name is Name.PAUSE
        row = turn.row
        changed = set_paused(turn.rt.db, row.repo_name, row.pr_number, pause, row.author)
        text = replies.paused_text(changed) if pause else replies.resumed_text(changed)
        return text, f"{name.value}{'' if changed else ' (no change)'}"
    if name is Name.HELP:
        return replies.help_text(turn.slug), "help"
    if name is Name.CONFIG:
        return _config(turn), "config"
    if name in (Name.IGNORE, Name.IGNORE_EVERYWHERE):
        assert root is not None and fingerprint is not None  # the job checked
        return _ignore(turn, parsed, root, fingerprint)
    return _answer(turn, parsed, root if fingerprint is not None else None)


def _head_review(turn: Turn, sha: str) -> str | None:
    """``active`` / ``done`` for this head's newest review, None when it has none."""
    with turn.rt.db.session() as s:
        status = s.scalar(
            select(Review.status)
            .where(
                Review.repo_name == turn.row.repo_name,
                Review.pr_number == turn.row.pr_number,
                Review.sha == sha,
            )
            .order_by(Review.id.desc())
            .limit(1)
        )
    if status in ACTIVE_STATUSES:
        return "active"
    return "done" if status == ReviewStatus.DONE.value else None


def _review(turn: Turn, *, full: bool) -> tuple[str, str]:
    row = turn.row
    pr = turn.gh.get_pull(turn.owner, turn.repo, row.pr_number)
    if pr.state != "open":
        return f"{replies.HEADER}: this pull request is {pr.state}; nothing to review.", "closed"
    head = _head_review(turn, pr.head_sha)
    if head == "active":
        return replies.review_running(pr.head_sha), "a review is running"
    if head == "done" and not full:
        text = (
            f"{replies.HEADER}: `{pr.head_sha[:12]}` is reviewed already and nothing was "
            "pushed since; `full review` reviews the whole pull request again."
        )
        return text, "nothing new"
    request = ReviewRequest(
        installation_id=row.installation_id,
        repo_name=row.repo_name,
        pr_number=row.pr_number,
        sha=pr.head_sha,
        trigger=FULL_REVIEW_TRIGGER if full else REVIEW_TRIGGER,
    )
    with turn.rt.db.session() as s:
        review_id = create_review(s, request, row.delivery_id, again=True)
    if review_id is None:
        return replies.review_running(pr.head_sha), "a review is running"
    turn.rt.queue.dispatch(REVIEW, review_id)
    return replies.review_queued(pr.head_sha, full=full), f"review {review_id} queued"


def _config(turn: Turn) -> str:
    row, rt = turn.row, turn.rt
    config, sources, problems = effective_config(
        rt, turn.gh, turn.owner, turn.repo, installation_id=row.installation_id
    )
    rules = [r for r in list_rules(rt.db, row.repo_name) if r.pr_number in (None, row.pr_number)]
    with rt.db.session() as s:
        paused = is_paused(s, row.repo_name, row.pr_number)
    return replies.config_text(
        config_rows(config, sources, width=200),
        problems=problems,
        rules=rules,
        paused=paused,
        redactor=rt.redactor,
    )


def _finding(turn: Turn, fingerprint: str, root: ReviewComment) -> tuple[str, str]:
    """(title, path) of the finding: as stored when it was posted, else from its comment."""
    with turn.rt.db.session() as s:
        found = s.execute(
            select(FindingRecord.title, FindingRecord.path).where(
                FindingRecord.repo_name == turn.row.repo_name,
                FindingRecord.pr_number == turn.row.pr_number,
                FindingRecord.fingerprint == fingerprint,
            )
        ).first()
    if found is not None:
        return str(found[0]), str(found[1])
    first_line = root.body.split("\n", 1)[0]
    match = _TITLE.search(first_line)
    return (match.group(1) if match else ""), root.path


def _ignore(turn: Turn, parsed: Parsed, root: ReviewComment, fingerprint: str) -> tuple[str, str]:
    row, rt = turn.row, turn.rt
    title, path = _finding(turn, fingerprint, root)
    everywhere = parsed.name is Name.IGNORE_EVERYWHERE
    glob = (parsed.text.strip() or path) if everywhere else path
    rule_id = add_rule(
        rt.db,
        row.repo_name,
        title=title,
        fingerprint=fingerprint,
        path_glob=glob,
        created_by=row.author,
        pr_number=None if everywhere else row.pr_number,
        source_comment_id=row.comment_id,
    )
    update_signals(
        rt.db,
        row.repo_name,
        row.pr_number,
        fingerprint,
        comment_id=root.id,
        path=root.path,
        line=root.original_line,
        ignored=True,
    )
    if everywhere:
        text = replies.ignored_everywhere_text(title, glob, rule_id, rt.redactor)
        return text, f"suppression rule {rule_id} (repository)"
    return replies.ignored_text(title, rt.redactor), f"suppression rule {rule_id} (this PR)"


def _answer(turn: Turn, parsed: Parsed, finding: ReviewComment | None) -> tuple[str, str]:
    """``explain`` or a question: in a thread (on a finding, or on any line), or on the PR."""
    row, rt, gh = turn.row, turn.rt, turn.gh
    config, _, _ = effective_config(
        rt, gh, turn.owner, turn.repo, installation_id=row.installation_id
    )
    pr = gh.get_pull(turn.owner, turn.repo, row.pr_number)
    anchor = finding
    anchor_id = row.in_reply_to_id or row.comment_id
    if anchor is None and turn.in_review_thread and anchor_id is not None:
        # a question in someone's thread, or a new inline comment: its line is the context
        anchor = gh.get_review_comment(turn.owner, turn.repo, anchor_id)
    if anchor is not None:
        question = asking.on_a_line(
            gh,
            turn.owner,
            turn.repo,
            pr,
            anchor,
            question=parsed.text,
            asker=row.author,
            explain=parsed.name is Name.EXPLAIN,
            bot_login=turn.bot_login,
            exclude=row.comment_id,
            language=config.language,
        )
    else:
        question = asking.on_the_pr(
            gh,
            turn.owner,
            turn.repo,
            pr,
            question=parsed.text,
            asker=row.author,
            language=config.language,
        )
    answer = ask(rt.llm, question, rt.settings.llm_context_tokens)
    usage = answer.usage
    note(
        rt.db,
        row.id,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        cost_usd=usage.cost_usd,
    )
    in_conversation = not turn.in_review_thread
    text = replies.answer_text(
        answer.text,
        rt.redactor,
        question=parsed.text if in_conversation else None,
        asker=row.author if in_conversation else None,
    )
    return text, "explained" if parsed.name is Name.EXPLAIN else "answered"


def thread_event(turn: Turn) -> str:
    """A thread on one of our findings resolved (did a later push change its lines?) or
    unresolved: the finding's outcome follows."""
    row, rt = turn.row, turn.rt
    d = row.details or {}
    if str(d.get("root_author", "")).lower() != turn.bot_login.lower():
        return "a thread on another bot's comment"
    fingerprint = str(d["fingerprint"])
    line = d.get("line") if isinstance(d.get("line"), int) else None
    path = str(d.get("path") or "")
    root_id = d.get("root_id") if isinstance(d.get("root_id"), int) else None
    if d.get("action") == "resolved":
        commit = str(d.get("commit_id") or "")
        signals: dict[str, object] = {
            "thread_state": "resolved",
            "lines_changed": _lines_changed(turn, commit, path, d.get("start_line"), line),
        }
    else:
        signals = {"thread_state": "unresolved"}
    outcome = update_signals(
        rt.db,
        row.repo_name,
        row.pr_number,
        fingerprint,
        comment_id=root_id,
        path=path,
        line=line,
        **signals,
    )
    return f"thread {signals['thread_state']}: {outcome}"


def _lines_changed(
    turn: Turn, commit: str, path: str, start: object, line: int | None
) -> bool | None:
    """Did the PR's head change lines ``start..line`` of ``path`` since ``commit``? None
    when that cannot be told (no line, or the commit is gone from history)."""
    if not commit or line is None:
        return None
    pr = turn.gh.get_pull(turn.owner, turn.repo, turn.row.pr_number)
    if pr.head_sha == commit:
        return False
    try:
        comparison = turn.gh.compare(turn.owner, turn.repo, commit, pr.head_sha)
    except GitHubError as exc:
        if exc.status == 404:
            return None  # force-pushed away
        raise
    for f in comparison.files:
        if path in (f.path, f.previous_path):
            if f.status == "removed":
                return True
            first = start if isinstance(start, int) else line
            return lines_changed(f.patch, first, line)
    return False


def outcomes(turn: Turn) -> str:
    """Read reactions and applied suggestions on the PR's findings (closed, or reviewed)."""
    row, gh = turn.row, turn.gh
    head = str((row.details or {}).get("head_sha") or "")
    if not head:
        head = gh.get_pull(turn.owner, turn.repo, row.pr_number).head_sha
    counts = collect_outcomes(
        turn.rt.db,
        gh,
        turn.owner,
        turn.repo,
        row.pr_number,
        bot_login=turn.bot_login,
        head_sha=head,
    )
    return "outcomes: " + (", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "none")
