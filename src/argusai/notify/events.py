"""What ArgusAI tells a channel about: six kinds of event, built from plain values (no I/O).

Each event carries a **key**: one channel gets one message per key, ever (one message per
dead letter, one per PR head with critical findings, one per quota threshold and month).
Its **scope** (installation, repository, tenant) picks the routes it goes to. Titles and
texts are plain text; whatever came from outside (LLM titles, error messages, names) goes
through :func:`plain` so it cannot mention ``@everyone`` or a Slack ``<!channel>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from argusai.core.sanitize import strip_control, truncate

DEAD_LETTER = "dead_letter"
REVIEW_FAILED = "review_failed"
CRITICAL_FINDINGS = "critical_findings"
CI_EXPLAINED = "ci_explained"
SCOUT_FINISHED = "scout_finished"
QUOTA = "quota"

#: every kind, with how one reads in a digest title ("3 dead letters")
EVENT_KINDS: dict[str, str] = {
    DEAD_LETTER: "dead letters",
    REVIEW_FAILED: "failed reviews",
    CRITICAL_FINDINGS: "pull requests with critical findings",
    CI_EXPLAINED: "CI failures explained",
    SCOUT_FINISHED: "scout runs finished",
    QUOTA: "tenant quota alerts",
}
#: how loud each kind is (apprise's notify type: colour and icon in Slack/Discord)
LEVELS: dict[str, str] = {
    DEAD_LETTER: "failure",
    REVIEW_FAILED: "failure",
    CRITICAL_FINDINGS: "warning",
    CI_EXPLAINED: "info",
    SCOUT_FINISHED: "info",
    QUOTA: "warning",
}

_MENTION = re.compile(r"([@＠])(?=[\w&!])")
_SPECIAL = re.compile(r"<(?=[!@#])")
ZWSP = "\u200b"


def plain(text: str, limit: int = 300, *, one_line: bool = True) -> str:
    """Untrusted text made safe for a chat message: no control characters, no mentions
    (``@everyone``, ``<@U123>``, ``<!channel>``), bounded; one line unless told otherwise."""
    text = strip_control(text)
    text = " ".join(text.split()) if one_line else text.strip()
    text = _SPECIAL.sub("<" + ZWSP, _MENTION.sub(r"\1" + ZWSP, text))
    return truncate(text, limit)


@dataclass(frozen=True)
class Event:
    """Something to tell: its kind, dedup key, text, link and scope."""

    kind: str
    key: str
    title: str
    text: str = ""
    link: str | None = None
    installation_id: int | None = None
    repo: str | None = None
    tenant_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}")


def github_web_url(api_url: str) -> str:
    """github.com for the public API, else the Enterprise server's root (``…/api/v3`` cut)."""
    base = api_url.rstrip("/")
    if base in ("https://api.github.com", "http://api.github.com"):
        return "https://github.com"
    return base.removesuffix("/api/v3")


def dead_letter(
    *,
    letter_id: int,
    work_kind: str,
    item_id: str,
    what: str,
    reason: str,
    attempts: int,
    scope: Mapping[str, Any],
) -> Event:
    """A work item of any kind gave up (its retry budget ran out, or it crashed)."""
    return Event(
        kind=DEAD_LETTER,
        key=f"dead_letter:{letter_id}",
        title=f"Dead letter: {work_kind} {plain(what, 120)}",
        text=(
            f"{work_kind} #{item_id} gave up after {attempts} attempt(s): {plain(reason, 400)}\n"
            f"Retry it with: argus jobs retry {item_id} --kind {work_kind}"
        ),
        installation_id=_int(scope.get("installation_id")),
        repo=_str(scope.get("repo")),
        tenant_id=_str(scope.get("tenant_id")),
        data={"work_kind": work_kind, "item_id": item_id, "attempts": attempts},
    )


def review_failed(
    *,
    web_url: str,
    repo: str,
    pr: int,
    sha: str,
    review_id: int,
    reason: str,
    installation_id: int | None,
) -> Event:
    """A review ended as failed (retrying would not help; a dead letter is its own event)."""
    return Event(
        kind=REVIEW_FAILED,
        key=f"review_failed:{review_id}",
        title=f"Review failed: {repo}#{pr}",
        text=f"The review of {sha[:10]} failed: {plain(reason, 400)}",
        link=f"{web_url}/{repo}/pull/{pr}",
        installation_id=installation_id,
        repo=repo,
        data={"pr": pr, "sha": sha, "review_id": review_id},
    )


def critical_findings(
    *,
    web_url: str,
    repo: str,
    pr: int,
    sha: str,
    findings: Sequence[tuple[str, int | None, str]],
    installation_id: int | None,
) -> Event:
    """A review posted critical findings on a PR head: ``(path, line, title)`` each."""
    lines = [
        f"- {plain(path, 120)}{f':{line}' if line else ''}: {plain(title, 160)}"
        for path, line, title in findings[:10]
    ]
    if len(findings) > 10:
        lines.append(f"- … and {len(findings) - 10} more")
    return Event(
        kind=CRITICAL_FINDINGS,
        key=f"critical_findings:{repo}#{pr}@{sha}",
        title=f"{len(findings)} critical finding(s) on {repo}#{pr}",
        text="\n".join(lines),
        link=f"{web_url}/{repo}/pull/{pr}",
        installation_id=installation_id,
        repo=repo,
        data={"pr": pr, "sha": sha, "critical": len(findings)},
    )


def ci_explained(
    *,
    web_url: str,
    repo: str,
    run_id: int,
    attempt: int,
    workflow: str | None,
    prs: Sequence[int],
    jobs: int,
    installation_id: int | None,
) -> Event:
    """ArgusAI posted the explanation of a failed workflow run."""
    where = ", ".join(f"#{n}" for n in prs) or "no pull request"
    name = plain(workflow or "workflow", 120)
    return Event(
        kind=CI_EXPLAINED,
        key=f"ci_explained:{repo}:{run_id}:{attempt}",
        title=f"CI failure explained: {repo} {name}",
        text=f"Run {run_id} attempt {attempt}: {jobs} failed job(s) explained on {where}.",
        link=f"{web_url}/{repo}/actions/runs/{run_id}",
        installation_id=installation_id,
        repo=repo,
        data={"run_id": run_id, "attempt": attempt, "prs": list(prs), "jobs": jobs},
    )


def scout_finished(
    *,
    run_id: int,
    outcome: str,
    requests: int,
    not_modified: int,
    queued: int,
    skipped: int,
) -> Event:
    """A scout crawl (and its continuations) finished."""
    return Event(
        kind=SCOUT_FINISHED,
        key=f"scout_finished:{run_id}",
        title=f"Scout run {run_id} finished: {plain(outcome, 40)}",
        text=(
            f"{requests} request(s), {not_modified} not modified, {queued} item(s) queued, "
            f"{skipped} skipped."
        ),
        data={
            "run_id": run_id,
            "outcome": outcome,
            "requests": requests,
            "not_modified": not_modified,
            "queued": queued,
            "skipped": skipped,
        },
    )


def quota(
    *, tenant_id: str, tenant_name: str, period: str, used: int, limit: int, percent: int
) -> Event:
    """A tenant of the analysis API reached ``percent`` (80 or 100) of its monthly quota."""
    state = "used up" if percent >= 100 else f"at {percent} %"
    return Event(
        kind=QUOTA,
        key=f"quota:{tenant_id}:{period}:{percent}",
        title=f"Quota {state}: {plain(tenant_name, 80)} ({period})",
        text=f"{used} of {limit} analyses used in {period}.",
        tenant_id=tenant_id,
        data={"period": period, "used": used, "limit": limit, "percent": percent},
    )


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
