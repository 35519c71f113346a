"""A question's context, read from GitHub: the pull request, the file's patch and its text
at the head commit, and the thread so far (``answer.Question``)."""

from __future__ import annotations

import structlog

from argusai.errors import GitHubError, GitHubTransientError
from argusai.github.port import GitHubRepoClient, PullRequest, ReviewComment
from argusai.review.conversation.answer import Question
from argusai.review.conversation.replies import without_markers

log = structlog.get_logger(__name__)

MAX_THREAD_COMMENTS = 12  # the newest replies of a thread quoted to the LLM
MAX_DIFF_CHARS = 200_000  # the PR diff is cut to the token budget after this coarse cut


def thread_text(
    comments: list[ReviewComment], root_id: int, *, exclude: int | None, bot_login: str
) -> str:
    """``@login: text`` for the root and its replies (without the one being answered)."""
    thread = [c for c in comments if c.id == root_id or c.in_reply_to_id == root_id]
    thread = [c for c in thread if c.id != exclude][-MAX_THREAD_COMMENTS:]
    lines = []
    for c in thread:
        who = "ArgusAI (you)" if c.author.lower() == bot_login.lower() else f"@{c.author}"
        lines.append(f"{who}: {without_markers(c.body)}")
    return "\n\n".join(lines)


def _file_text(gh: GitHubRepoClient, owner: str, repo: str, path: str, sha: str) -> str | None:
    try:
        return gh.get_file_text(owner, repo, path, sha)
    except (GitHubError, GitHubTransientError) as exc:
        # context, never a reason to fail: the answer says what it could not see
        log.info("file not read for an answer", path=path, error=type(exc).__name__)
        return None


def on_a_line(
    gh: GitHubRepoClient,
    owner: str,
    repo: str,
    pr: PullRequest,
    anchor: ReviewComment,
    *,
    question: str,
    asker: str,
    explain: bool,
    bot_login: str,
    exclude: int | None,
    language: str,
) -> Question:
    """A question in a review thread: the thread's root says which file and line."""
    path = anchor.path
    line = anchor.line if anchor.line is not None else anchor.original_line
    patch = next(
        (f.patch or "" for f in gh.list_pull_files(owner, repo, pr.number) if f.path == path), ""
    )
    comments = gh.list_review_comments(owner, repo, pr.number)
    ours = anchor.author.lower() == bot_login.lower()
    return Question(
        repo=f"{owner}/{repo}",
        number=pr.number,
        question=question,
        asker=asker,
        explain=explain,
        in_thread=True,
        title=pr.title,
        body=pr.body,
        language=language,
        path=path,
        line=line,
        finding=without_markers(anchor.body) if ours else "",
        patch=patch or anchor.diff_hunk,
        file_text=_file_text(gh, owner, repo, path, pr.head_sha),
        thread=thread_text(comments, anchor.id, exclude=exclude, bot_login=bot_login),
    )


def on_the_pr(
    gh: GitHubRepoClient,
    owner: str,
    repo: str,
    pr: PullRequest,
    *,
    question: str,
    asker: str,
    language: str,
) -> Question:
    """A question in the conversation: the whole diff (as far as the budget goes)."""
    files = gh.list_pull_files(owner, repo, pr.number, limit=300)
    parts: list[str] = []
    used = 0
    shown = 0
    for f in files:
        if not f.patch:
            continue
        part = f"### File: {f.path} ({f.status})\n{f.patch}"
        if used + len(part) > MAX_DIFF_CHARS:
            break
        parts.append(part)
        used += len(part) + 2
        shown += 1
    note = f"{shown} of {len(files)} files" if shown < len(files) else ""
    return Question(
        repo=f"{owner}/{repo}",
        number=pr.number,
        question=question,
        asker=asker,
        title=pr.title,
        body=pr.body,
        language=language,
        diff="\n\n".join(parts),
        diff_note=note,
    )
