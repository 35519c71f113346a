"""The "ArgusAI review" check run of a head SHA: its output, annotations and conclusion.

A check run can gate a merge (branch protection): it is ``in_progress`` while the review
runs, then ``completed`` with the summary, one annotation per finding, and a conclusion by
``.argus.yml``'s ``fail_on`` — ``neutral`` without it, else ``failure`` when a finding at
or above that severity stands, ``success`` when none does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from argusai.github.port import CheckAnnotation, CheckRunOutput
from argusai.review.models import Finding, Severity

CHECK_NAME = "ArgusAI review"
NEUTRAL, SUCCESS, FAILURE = "neutral", "success", "failure"

_LEVEL = {
    Severity.CRITICAL: "failure",
    Severity.HIGH: "failure",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
    Severity.INFO: "notice",
}


def external_id(head_sha: str) -> str:
    """How our check run of a head is found again (a retry edits it, never adds one)."""
    return f"argus-review:{head_sha}"


def conclusion(findings: Sequence[Finding], fail_on: Severity | None) -> str:
    """``neutral`` without ``fail_on``; else ``failure`` if a finding reaches it, ``success``."""
    if fail_on is None:
        return NEUTRAL
    worst = max((f.severity.rank for f in findings), default=-1)
    return FAILURE if worst >= fail_on.rank else SUCCESS


def started(head_sha: str) -> CheckRunOutput:
    """The output while the review runs."""
    return CheckRunOutput(title="Reviewing…", summary=f"ArgusAI is reviewing `{head_sha[:10]}`.")


def finished(
    findings: Sequence[Finding],
    summary: str,
    fail_on: Severity | None,
    redact: Callable[[str], str],
    *,
    unreviewed: int = 0,
) -> tuple[str, CheckRunOutput]:
    """The conclusion and the output of a finished review (LLM text passed through ``redact``).

    ``unreviewed``: parts of the diff the LLM could not review — such a review never
    passes a gate (``neutral`` instead of ``success``)."""
    verdict = conclusion(findings, fail_on)
    if unreviewed and verdict == SUCCESS:
        verdict = NEUTRAL
    count = len(findings)
    title = f"{count} finding{'s' * (count != 1)}" if count else "No findings"
    if unreviewed:
        title += f", {unreviewed} part{'s' * (unreviewed != 1)} not reviewed"
    if fail_on is not None and verdict != NEUTRAL:
        title += f" ({'fails' if verdict == FAILURE else 'passes'} fail_on: {fail_on.value})"
    notes = tuple(
        CheckAnnotation(
            path=f.path,
            start_line=min(f.start_line or f.line, f.line),
            end_line=f.line,
            level=_LEVEL[f.severity],
            title=redact(f"[{f.severity.value}] {f.title}"),
            message=redact(f.message),
        )
        for f in sorted(findings, key=lambda f: (-f.severity.rank, f.path, f.line))
    )
    return verdict, CheckRunOutput(title=title, summary=summary, annotations=notes)


def skipped(reason: str) -> CheckRunOutput:
    """The output when the review was skipped or could not finish."""
    return CheckRunOutput(title="Not reviewed", summary=reason)
