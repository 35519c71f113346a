"""What a review reads from GitHub before the engine runs: the repository's settings, its
secrets baseline, the changed files (only new commits when possible), the pull request's
intent (the issues it closes, the contribution guide), and the review cache key."""

from __future__ import annotations

import hashlib
import threading
import time

import structlog

from argusai.core.diff import ChangedFile
from argusai.errors import GitHubError, GitHubTransientError
from argusai.github.port import GitHubRepoClient, PullRequest
from argusai.review import items as workitems
from argusai.review.checks import allowlist_from_baseline
from argusai.review.config_layers import Layer
from argusai.review.config_sources import load_review_config
from argusai.review.intent import (
    GUIDE_PATHS,
    LinkedIssue,
    closing_refs,
    guidance_excerpt,
    render_issues,
)
from argusai.review.prompt import PROMPT_VERSION
from argusai.review.repo_config import RepoConfig
from argusai.runtime import Runtime
from argusai.store.models import Review

log = structlog.get_logger(__name__)

#: repository files that are context, not rules (contribution guide, secrets baseline): read
#: again at most every ``_GUIDE_TTL`` seconds per process (a push burst asks once)
_GUIDE_TTL = 300.0
_GUIDE_MAX = 512
_guide_cache: dict[tuple[str, str, str], tuple[float, str | None]] = {}
_guide_lock = threading.Lock()


def _cached_text(gh: GitHubRepoClient, owner: str, repo: str, path: str, ref: str) -> str | None:
    """``gh.get_file_text`` through the short per-process cache (errors are not cached)."""
    key = (f"{owner}/{repo}".lower(), ref, path)
    now = time.monotonic()
    with _guide_lock:
        hit = _guide_cache.get(key)
        if hit is not None and now - hit[0] < _GUIDE_TTL:
            return hit[1]
    text = gh.get_file_text(owner, repo, path, ref)
    with _guide_lock:
        if len(_guide_cache) >= _GUIDE_MAX:
            _guide_cache.clear()
        _guide_cache[key] = (now, text)
    return text


def load_config(
    rt: Runtime,
    gh: GitHubRepoClient,
    owner: str,
    repo: str,
    installation_id: int,
    arm: Layer | None = None,
) -> tuple[RepoConfig, str | None, str]:
    """The effective config, every layer read now (``config_sources``): (config with its
    prompt template, problems to report, the repository's default branch); ``arm``: an
    experiment arm's keys over every layer."""
    loaded = load_review_config(rt, gh, owner, repo, installation_id=installation_id, arm=arm)
    return loaded.config, loaded.problem_text, loaded.branch


def secrets_allowlist(
    gh: GitHubRepoClient, owner: str, repo: str, branch: str, config: RepoConfig
) -> frozenset[str]:
    """Hashes of the repository's detect-secrets baseline (none when there is none)."""
    path = config.checks.secrets_baseline
    if not (config.checks.secrets and path):
        return frozenset()
    try:
        text = _cached_text(gh, owner, repo, path, branch)
    except (GitHubError, GitHubTransientError) as exc:
        log.info("secrets baseline not read", error=type(exc).__name__)
        return frozenset()
    return allowlist_from_baseline(text) if text else frozenset()


def changed_files(
    rt: Runtime, gh: GitHubRepoClient, owner: str, repo: str, item: Review, pr: PullRequest
) -> tuple[list[ChangedFile], str | None]:
    """Only the commits since the last reviewed head, unless history was rewritten."""
    last = workitems.last_reviewed_sha(rt.db, item.repo_name, item.pr_number, item.id)
    if last and last != item.sha:
        comparison = gh.compare(owner, repo, last, item.sha)
        if comparison.status == "ahead":
            return comparison.files, last
        log.info(
            "history rewritten since last review; reviewing the whole PR",
            compare_status=comparison.status,
            last_sha=last[:10],
        )
    return gh.list_pull_files(owner, repo, item.pr_number), None


def pr_intent(
    gh: GitHubRepoClient, owner: str, repo: str, pr: PullRequest, branch: str
) -> tuple[str, str]:
    """(the issues the PR closes as prompt text, an excerpt of the contribution guide).
    Anything that cannot be read is left out: intent is context, never a reason to fail."""
    issues: list[LinkedIssue] = []
    for number in closing_refs(pr.body, f"{owner}/{repo}"):
        try:
            issue = gh.get_issue(owner, repo, number)
        except (GitHubError, GitHubTransientError) as exc:
            log.info("linked issue not read", issue=number, error=type(exc).__name__)
            continue
        if not issue.is_pull_request:
            issues.append(LinkedIssue(issue.number, issue.title, issue.body))
    guidance = ""
    for path in GUIDE_PATHS:
        try:
            text = _cached_text(gh, owner, repo, path, branch)
        except (GitHubError, GitHubTransientError):
            break
        if text:
            guidance = guidance_excerpt(text)
            break
    return render_issues(issues), guidance


def cache_key(
    item: Review,
    base_sha: str,
    since: str | None,
    config: RepoConfig,
    model: str,
    verify_model: str | None,
) -> str:
    """What the LLM's answer depends on; ``verify_model`` None when there is no pass."""
    parts = [
        item.repo_name,
        item.sha,
        base_sha,
        since or "",
        config.model_dump_json(),
        model,
        PROMPT_VERSION,
        f"verify={verify_model or ''}",
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
