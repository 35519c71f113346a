"""Post a CI analysis idempotently: one comment per run and PR, one check run per run.

Both are found again before anything is created (the comment by its hidden marker in a
bot's comment, the check run by its ``external_id``), so a retry after a crash between
posting and recording edits what is there instead of posting twice.
"""

from __future__ import annotations

from argusai.ci.format import CHECK_NAME, external_id, run_marker
from argusai.github.port import CheckRunOutput, GitHubRepoClient

NEUTRAL = "neutral"


def upsert_comment(
    gh: GitHubRepoClient,
    owner: str,
    repo: str,
    number: int,
    run_id: int,
    body: str,
    *,
    create: bool = True,
) -> int | None:
    """Edit our comment for ``run_id`` on the PR, or create it (if ``create``); its id."""
    marker = run_marker(run_id)
    for comment in gh.list_issue_comments(owner, repo, number):
        # only a bot's comment: anyone can paste our marker into a comment of their own
        if marker in comment.body and comment.author.endswith("[bot]"):
            if comment.body != body:
                gh.update_issue_comment(owner, repo, comment.id, body)
            return comment.id
    return gh.create_issue_comment(owner, repo, number, body) if create else None


def upsert_check_run(
    gh: GitHubRepoClient,
    owner: str,
    repo: str,
    *,
    head_sha: str,
    run_id: int,
    output: CheckRunOutput,
    details_url: str | None = None,
) -> int:
    """Update our check run for ``run_id`` on ``head_sha``, or create it (neutral)."""
    wanted = external_id(run_id)
    for check in gh.list_check_runs(owner, repo, head_sha, name=CHECK_NAME):
        if check.external_id == wanted:
            gh.update_check_run(owner, repo, check.id, conclusion=NEUTRAL, output=output)
            return check.id
    return gh.create_check_run(
        owner,
        repo,
        name=CHECK_NAME,
        head_sha=head_sha,
        external_id=wanted,
        conclusion=NEUTRAL,
        output=output,
        details_url=details_url,
    )
