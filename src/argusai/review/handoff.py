"""Hand a review to the repository's GitHub Actions workflow (the Actions fallback).

The workflow is the one ``argus action init`` writes: it listens to ``pull_request`` and to
``repository_dispatch`` of type ``argusai-review``, and runs ``argus action run``, which
posts the same review and summary as the App. So a review is handed over only when that
workflow is on the default branch (asked through the contents API, remembered a few
minutes per repository); then the dispatch carries the PR number and head SHA, and the
summary says that the review was handed to GitHub Actions until the workflow replaces it.

Nothing is posted twice: the App and the Action share the summary marker, its head mark
and the findings' fingerprints (:mod:`argusai.review.summary_marks`).
"""

from __future__ import annotations

import threading
import time

import structlog

from argusai.errors import GitHubError, GitHubTransientError
from argusai.github.port import GitHubRepoClient
from argusai.review.action.event import DISPATCH_EVENT
from argusai.review.publish import PullTarget
from argusai.review.summary_marks import find_summary, handoff_summary, parse_head

log = structlog.get_logger(__name__)

#: seconds the presence (or absence) of a repository's workflow is believed
WORKFLOW_TTL = 300.0
_WORKFLOW_MAX = 1024
_workflows: dict[tuple[str, str, str], tuple[float, bool]] = {}
_workflows_lock = threading.Lock()


def forget_workflows() -> None:
    """Ask GitHub again next time (tests; an operator who just added the workflow waits
    at most ``WORKFLOW_TTL``)."""
    with _workflows_lock:
        _workflows.clear()


def has_workflow(gh: GitHubRepoClient, target: PullTarget, branch: str, path: str) -> bool:
    """True when ``path`` on the default branch is a workflow that listens to our dispatch."""
    key = (target.repo_name.lower(), branch, path)
    now = time.monotonic()
    with _workflows_lock:
        hit = _workflows.get(key)
        if hit is not None and now - hit[0] < WORKFLOW_TTL:
            return hit[1]
    try:
        text = gh.get_file_text(target.owner, target.name, path, branch)
    except (GitHubError, GitHubTransientError) as exc:
        log.info("fallback workflow not read", path=path, error=type(exc).__name__)
        return False  # not cached: asked again with the next review
    found = text is not None and DISPATCH_EVENT in text
    with _workflows_lock:
        if len(_workflows) >= _WORKFLOW_MAX:
            _workflows.clear()
        _workflows[key] = (now, found)
    return found


def hand_off(
    gh: GitHubRepoClient, target: PullTarget, *, branch: str, workflow: str, reason: str
) -> bool:
    """Send the review of ``target`` to the repository's workflow; False (the server keeps
    it) when the repository has no such workflow or GitHub refused the dispatch."""
    if not has_workflow(gh, target, branch, workflow):
        log.info("no fallback workflow; the server keeps the review", workflow=workflow)
        return False
    payload: dict[str, object] = {
        "pr_number": target.number,
        "head_sha": target.sha,
        "reason": reason[:200],
    }
    try:
        gh.dispatch_repository_event(
            target.owner, target.name, event_type=DISPATCH_EVENT, client_payload=payload
        )
    except (GitHubError, GitHubTransientError) as exc:
        # 403/404: the App lacks "Contents: write", which GitHub asks of repository_dispatch
        log.warning(
            "repository_dispatch refused; the server keeps the review",
            status=getattr(exc, "status", None),
            error=str(exc)[:200],
        )
        return False
    _note(gh, target, reason)
    log.info("review handed to GitHub Actions", reason=reason, workflow=workflow)
    return True


def _note(gh: GitHubRepoClient, target: PullTarget, reason: str) -> None:
    """Say in the summary that the review was handed over — unless the workflow's review
    of this head is there already (it never is this fast, but it must win)."""
    try:
        found = find_summary(gh.list_issue_comments(target.owner, target.name, target.number))
        if found is None:
            body = handoff_summary(None, target.sha, reason)
            gh.create_issue_comment(target.owner, target.name, target.number, body)
            return
        mark = parse_head(found.body)
        if mark is not None and mark.sha == target.sha.lower():
            return
        body = handoff_summary(found.body, target.sha, reason)
        gh.update_issue_comment(target.owner, target.name, found.id, body)
    except (GitHubError, GitHubTransientError) as exc:  # the dispatch went: a note is extra
        log.warning("hand-off note not written", error=type(exc).__name__)
