"""``argus action run``: review the workflow event's pull request and post it as the App
does — the same config layers, posting path (``publish``), summary and fingerprints —
with the workflow's token instead of the App's.

The App and the Action see each other: a head the other already reviewed completely (the
summary's head mark) is not reviewed again — the numbers in the mark become the outputs —
and findings either of them posted are never posted again (fingerprints). Only with a
SARIF file to write is such a head reviewed once more (code scanning needs the findings
themselves); nothing is posted twice even then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import structlog

from argusai import __version__
from argusai.core.sanitize import sanitize_inline
from argusai.errors import GitHubError, PermanentError, Superseded
from argusai.github.port import CheckRun, GitHubRepoClient
from argusai.github.token_client import ACTIONS_APP_SLUG
from argusai.review import checkrun
from argusai.review.action.event import ActionEvent
from argusai.review.action.outputs import (
    Outcome,
    annotate,
    parse_fail_on,
    write_step_summary,
)
from argusai.review.action.sarif import to_sarif, write_sarif
from argusai.review.config_sources import load_review_config
from argusai.review.publish import (
    LoadedConfig,
    NoLedger,
    Posted,
    PullTarget,
    review_and_post,
    start_check,
)
from argusai.review.summary_marks import reviewed_head, worst_severity
from argusai.runtime import Runtime

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ActionInputs:
    """The Action's inputs that shape the review (the LLM ones are in the settings)."""

    fail_on: str = ""  # "": .argus.yml's fail_on; "none": never fail
    config: str = ".argus.yml"  # the repository's config file, on its default branch
    sarif_file: Path | None = None


def _mine(check: CheckRun) -> bool:
    return check.app_slug == ACTIONS_APP_SLUG


def _footer(env: Mapping[str, str], event: ActionEvent) -> str:
    """A line naming the workflow run (and, for a hand-off, why the server handed it)."""
    server, repo, run = (
        env.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    where = "in GitHub Actions"
    if server.startswith("https://") and repo and run.isdigit():
        where = f"in GitHub Actions ([run {run}]({server}/{repo}/actions/runs/{run}))"
    line = f"<sub>Reviewed {where} by the ArgusAI Action"
    if event.event_name == "repository_dispatch":
        why = sanitize_inline(event.reason, 200) if event.reason else "it could not review in time"
        line += f", handed over by the ArgusAI server: {why}"
    return line + "</sub>"


def _skip(event: ActionEvent, why: str, sha: str = "") -> Outcome:
    annotate("notice", f"ArgusAI: nothing to review: {why}")
    return Outcome(event.number, sha, 0, None, None, "skipped")


def run_action(
    rt: Runtime,
    gh: GitHubRepoClient,
    event: ActionEvent,
    inputs: ActionInputs,
    env: Mapping[str, str],
) -> Outcome:
    """Review the event's pull request, post the result, write the SARIF file and the job
    summary; the outputs and the gate's verdict."""
    if event.skip:
        return _skip(event, event.skip)
    owner, name = event.repo_name.split("/", 1)
    pr = gh.get_pull(owner, name, event.number)
    if pr.state != "open":
        return _skip(event, f"pull request #{pr.number} is {pr.state}")
    sha = event.sha or pr.head_sha
    if pr.head_sha != sha:
        # a newer push started its own run (or the server hands that head over too)
        return _skip(event, f"the head moved on from {sha[:10]} to {pr.head_sha[:10]}")
    target = PullTarget(event.repo_name, pr.number, sha)
    loaded = load_review_config(
        rt, gh, owner, name, installation_id=None, config_path=inputs.config
    )
    config = loaded.config
    given, fail_on = parse_fail_on(inputs.fail_on)
    if not given:
        fail_on = config.fail_on
    if not config.enabled:
        return _skip(event, f"disabled by {inputs.config}", sha)
    drafts = config.review_drafts if config.review_drafts is not None else rt.settings.review_drafts
    if pr.draft and not drafts:
        return _skip(event, "draft pull request", sha)
    if inputs.sarif_file is None:
        mark = reviewed_head(gh.list_issue_comments(owner, name, pr.number), sha)
        if mark is not None:
            annotate(
                "notice",
                f"ArgusAI: {sha[:10]} was already reviewed by {mark.author}: nothing posted again",
            )
            return Outcome(
                pr.number, sha, mark.findings, mark.max_severity, fail_on, "already-reviewed"
            )

    check_id = _check(gh, target)
    try:
        posted = review_and_post(
            rt,
            gh,
            target,
            pr,
            LoadedConfig(config, loaded.problem_text, loaded.branch),
            ledger=NoLedger(),
            check_id=check_id,
            footer=_footer(env, event),
        )
    except Superseded as exc:
        _close_check(gh, target, check_id, f"Not reviewed: {exc}")
        return _skip(event, str(exc), sha)
    except PermanentError as exc:
        _close_check(gh, target, check_id, f"Not reviewed: {rt.redactor.redact(str(exc))}")
        raise
    _report(posted)
    if inputs.sarif_file is not None:
        write_sarif(
            inputs.sarif_file, to_sarif(posted.every, version=__version__, redactor=rt.redactor)
        )
    write_step_summary(env, posted.result.summary)
    return Outcome(
        pr.number, sha, len(posted.every), worst_severity(posted.every), fail_on, "reviewed"
    )


def _check(gh: GitHubRepoClient, target: PullTarget) -> int | None:
    """The Action's check run of this head — none when the App's reports it already, or when
    the workflow may not write checks (``checks: write``)."""
    try:
        runs = gh.list_check_runs(target.owner, target.name, target.sha, name=checkrun.CHECK_NAME)
        wanted = checkrun.external_id(target.sha)
        if any(c.external_id == wanted and not _mine(c) for c in runs):
            return None
        return start_check(gh, target, mine=_mine)
    except GitHubError as exc:
        if exc.status not in (403, 404):
            raise
        annotate("warning", "ArgusAI: no check run (give the workflow `checks: write`)")
        return None


def _close_check(gh: GitHubRepoClient, target: PullTarget, check_id: int | None, text: str) -> None:
    if check_id is None:
        return
    gh.update_check_run(
        target.owner,
        target.name,
        check_id,
        conclusion=checkrun.NEUTRAL,
        output=checkrun.skipped(text),
    )


def _report(posted: Posted) -> None:
    """A line for the run's log, in our words (counts only)."""
    result = posted.result
    if result.failed:
        annotate(
            "warning",
            f"ArgusAI: {len(result.failed)} part(s) of the diff were not reviewed "
            "(the summary says why)",
        )
    log.info(
        "review posted",
        inline=len(result.inline_comments),
        findings=len(posted.every),
        already_posted=len(posted.already),
        github_review_id=posted.review_id,
        summary_comment_id=posted.summary_id,
    )
