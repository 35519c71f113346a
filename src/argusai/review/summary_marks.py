"""Hidden marks in the sticky summary that let the App and the GitHub Action see each other.

Both post the same summary comment (``SUMMARY_MARKER``) and the same fingerprints; these
marks add what the second of them needs to know about the first:

* ``<!-- argus:head:SHA findings:N max:SEVERITY -->`` — a complete review of head SHA is
  on the pull request (N findings, the worst one). Whoever comes second for that head
  does not pay the LLM again: the App skips, the Action reports the numbers as its outputs.
* ``<!-- argus:handoff:SHA -->`` — the server handed head SHA to the repository's workflow;
  the summary says so until the workflow's review replaces it.

Pure functions over text; the summary is found among the comments by ``find_summary``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from argusai.core.sanitize import sanitize_inline
from argusai.github.port import IssueComment
from argusai.review.fingerprint import fingerprint
from argusai.review.format import SUMMARY_MARKER
from argusai.review.models import Finding, Severity

HEADING = "## 🤖 ArgusAI Review"
_HEAD = re.compile(r"<!-- argus:head:([0-9a-f]{7,64}) findings:(\d{1,6}) max:([a-z]{3,10}) -->")
_HANDOFF = re.compile(r"<!-- argus:handoff:([0-9a-f]{7,64}) -->")
_NOTE = re.compile(r"<!-- argus:note -->.*?<!-- /argus:note -->\n*", re.DOTALL)
NO_SEVERITY = "none"


@dataclass(frozen=True)
class HeadMark:
    """What a summary says about a complete review of one head."""

    sha: str
    findings: int
    max_severity: Severity | None
    author: str = ""


def head_mark(sha: str, findings: Sequence[Finding]) -> str:
    """The mark of a complete review of ``sha`` with these findings."""
    worst = worst_severity(findings)
    value = worst.value if worst is not None else NO_SEVERITY
    return f"<!-- argus:head:{sha.lower()} findings:{len(findings)} max:{value} -->"


def worst_severity(findings: Iterable[Finding]) -> Severity | None:
    """The most severe finding's severity (None without findings)."""
    return max((f.severity for f in findings), key=lambda s: s.rank, default=None)


def every_finding(findings: Iterable[Finding], floor: Severity) -> list[Finding]:
    """The review's findings at or above ``floor``, each once (by fingerprint) — also those
    posted by an earlier review, which ``finalize`` leaves out of what it posts: a gate
    (``fail-on``) must not pass because a finding was already reported."""
    seen: set[str] = set()
    kept: list[Finding] = []
    for finding in findings:
        fp = fingerprint(finding)
        if finding.severity.rank >= floor.rank and fp not in seen:
            seen.add(fp)
            kept.append(finding)
    return kept


def parse_head(body: str) -> HeadMark | None:
    """The head mark in a summary body, if any."""
    match = _HEAD.search(body)
    if match is None:
        return None
    sha, count, worst = match.groups()
    severity = None if worst == NO_SEVERITY else _severity(worst)
    return HeadMark(sha, int(count), severity)


def _severity(value: str) -> Severity | None:
    try:
        return Severity(value)
    except ValueError:
        return None


def is_ours(comment: IssueComment) -> bool:
    """Our summary: the marker, in a bot's comment (the App's ``<slug>[bot]`` or the
    Action's ``github-actions[bot]``; anyone can paste the marker into their own)."""
    return SUMMARY_MARKER in comment.body and comment.author.endswith("[bot]")


def find_summary(comments: Iterable[IssueComment]) -> IssueComment | None:
    """Our summary comment among a pull request's comments."""
    return next((c for c in comments if is_ours(c)), None)


def reviewed_head(comments: Iterable[IssueComment], sha: str) -> HeadMark | None:
    """The mark of a complete review of ``sha`` in our summary (None: not reviewed yet)."""
    summary = find_summary(comments)
    if summary is None:
        return None
    mark = parse_head(summary.body)
    if mark is None or mark.sha != sha.lower():
        return None
    return HeadMark(mark.sha, mark.findings, mark.max_severity, summary.author)


def handed_off(body: str) -> str | None:
    """The head the summary says was handed to GitHub Actions, if any."""
    match = _HANDOFF.search(body)
    return match.group(1) if match else None


def with_head_mark(summary: str, sha: str, findings: Sequence[Finding]) -> str:
    """``summary`` carrying the head mark (the summary's own text stays as it is)."""
    return f"{summary}\n{head_mark(sha, findings)}"


def handoff_summary(previous: str | None, sha: str, reason: str) -> str:
    """The summary while a workflow reviews ``sha``: a note under the heading, above what
    the previous summary said (an older head's review stays readable), without its head
    mark (that head is not this one)."""
    note = (
        "<!-- argus:note -->\n"
        f"> ⏩ **Handed to GitHub Actions.** The server could not review `{sha[:12]}` in "
        f"time ({sanitize_inline(reason, 300)}): this repository's ArgusAI workflow reviews "
        "it, and its review replaces this note.\n"
        f"<!-- argus:handoff:{sha.lower()} -->\n"
        "<!-- /argus:note -->\n\n"
    )
    body = _NOTE.sub("", previous or "")
    body = _HEAD.sub("", body).rstrip()
    if HEADING in body:
        head, _, rest = body.partition(HEADING)
        return f"{head}{HEADING}\n\n{note}{rest.lstrip()}".rstrip() + "\n"
    return f"{SUMMARY_MARKER}\n{HEADING}\n\n{note}".rstrip() + "\n"
