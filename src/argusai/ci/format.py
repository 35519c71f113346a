"""The PR comment and the check run text of a CI analysis (pure: data in, markdown out).

Every text that came from the LLM was sanitised by ``ci.explain``; names from GitHub
(workflow, job, step) are shown as code spans; the whole body is redacted once more, by
the redactor handed in (the runtime's: it knows the settings' secrets).
The hidden marker ``<!-- argus:ci run=<id> -->`` finds the comment again on re-runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from argusai.core.sanitize import code_span, fence_for, sanitize_code, truncate
from argusai.core.secrets import Redactor

CHECK_NAME = "ArgusAI CI analysis"
MAX_BODY = 60_000  # GitHub refuses comments over 65,536 characters
_URL = re.compile(r"^https?://[^\s()<>\"']+$")


def run_marker(run_id: int) -> str:
    """The hidden marker that keys our one comment per workflow run."""
    return f"<!-- argus:ci run={int(run_id)} -->"


def attempt_marker(attempt: int) -> str:
    """Which attempt the comment shows now."""
    return f"<!-- argus:ci attempt={int(attempt)} -->"


def external_id(run_id: int) -> str:
    """The check run's ``external_id``: one check run per workflow run, updated on re-runs."""
    return f"argus-ci:{int(run_id)}"


@dataclass
class JobAnalysis:
    """What was found for one failed job (``explanation`` is ``Explanation.model_dump()``)."""

    job_id: int
    job_name: str
    html_url: str = ""
    failed_steps: list[str] = field(default_factory=list)
    explanation: dict[str, Any] | None = None
    note: str | None = None  # e.g. log truncated / unavailable / not explained
    #: the passing run compared with (``PassingJob.to_dict()``) and what is new against it
    #: (``Comparison.to_dict()``), under "comparison"
    compared_with: dict[str, Any] | None = None
    #: the failing tests' (or steps') recent history (``Recurrence.to_dict()`` each)
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobAnalysis:
        """From :meth:`to_dict`."""
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class RunInfo:
    """The workflow run attempt a comment is about."""

    run_id: int
    attempt: int
    workflow_name: str | None
    head_sha: str
    conclusion: str
    html_url: str | None = None


def _link(text: str, url: str | None) -> str:
    return f"[{text}]({url})" if url and _URL.match(url) else text


def _title(run: RunInfo, redactor: Redactor) -> str:
    return code_span(run.workflow_name or "workflow", 120, redactor=redactor)


MAX_NEW_LINES_SHOWN = 5


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def recurrence_sentence(r: dict[str, Any], quote: Callable[[str], str] = str) -> str:
    """ "failed 4 times in the last 7 days on main, passed on re-run 2 times — likely flaky"."""
    branch = r.get("branch")
    where = f" on {quote(str(branch))}" if branch else ""
    flaky = int(r.get("passed_on_rerun") or 0)
    text = (
        f"failed {_times(int(r.get('failures') or 0))} in the last {int(r.get('days') or 0)} "
        f"days{where}, passed on re-run {_times(flaky)}"
    )
    return text + (" — likely flaky" if flaky else "")


def _comparison(job: JobAnalysis, redactor: Redactor) -> list[str]:
    passing = job.compared_with
    if not passing:
        return []
    found = passing.get("comparison") or {}
    run = _link(f"run {int(passing.get('run_id') or 0)}", passing.get("html_url"))
    if passing.get("how") == "earlier attempt":
        where = f"attempt {int(passing.get('attempt') or 0)} of this run"
    else:
        branch = passing.get("branch")
        where = f"{run} on {code_span(str(branch), 80, redactor=redactor)}" if branch else run
    best = list(found.get("new_lines") or [])[:MAX_NEW_LINES_SHOWN]  # ranked best first
    shown = sorted(best, key=lambda n: int(n.get("line") or 0))  # shown in log order
    new = [str(n.get("text", "")) for n in shown]
    if not new:
        return [
            f"**Compared with the last passing run** ({where}): no error line is new — the "
            "failure may not come from this change (a flaky test, the runner, a service).",
            "",
        ]
    code = sanitize_code("\n".join(new), 3000, redactor=redactor)
    fence = fence_for(code)
    return [
        f"**New since the last passing run** ({where}):",
        "",
        f"{fence}text",
        code,
        fence,
        "",
    ]


def _history(job: JobAnalysis, redactor: Redactor) -> list[str]:
    if not job.history:
        return []

    def quote(text: str) -> str:
        return code_span(text, 80, redactor=redactor)

    lines = ["**History.**", ""]
    for r in job.history:
        name = code_span(str(r.get("name", "")), 160, redactor=redactor)
        lines.append(f"- {name} {recurrence_sentence(r, quote)}.")
    return [*lines, ""]


def prompt_context(job: JobAnalysis) -> str | None:
    """What the LLM is told beyond the log excerpt: what is new since the last passing run,
    and the failing tests' history (None: nothing)."""
    parts: list[str] = []
    passing = job.compared_with
    if passing:
        found = passing.get("comparison") or {}
        where = (
            f"attempt {passing.get('attempt')} of this run"
            if passing.get("how") == "earlier attempt"
            else f"run {passing.get('run_id')} on {passing.get('branch') or 'another branch'}"
        )
        new = [f"line {n.get('line')}: {n.get('text')}" for n in found.get("new_lines") or []]
        parts.append(
            f"Compared with the last passing run of this job ({where}): "
            f"{found.get('new_blocks', 0)} error blocks are new, {found.get('known_blocks', 0)} "
            "were printed by the passing run too."
        )
        parts += (
            ["Error lines only the failing run printed, most telling first:", *new]
            if new
            else ["No error line is new: the failure may not come from the change itself."]
        )
    if job.history:
        parts.append("History of the failing tests in this repository:")
        parts += [f"- {r.get('name')}: {recurrence_sentence(r)}" for r in job.history]
    return "\n".join(parts) or None


def _job_section(job: JobAnalysis, redactor: Redactor) -> list[str]:
    name = code_span(job.job_name or str(job.job_id), 120, redactor=redactor)
    head = f"### {_link('Job', job.html_url)} {name}"
    exp = job.explanation
    step = (exp or {}).get("failing_step") or (job.failed_steps[0] if job.failed_steps else None)
    if step:
        head += f" — failing step {code_span(str(step), 160, redactor=redactor)}"
    lines = [head, ""]
    if exp is None:
        lines.append(f"_{job.note or 'No explanation could be made for this job.'}_")
        return [*lines, "", *_history(job, redactor)]
    lines += [f"**Root cause.** {exp.get('root_cause', '')}", ""]
    lines += _comparison(job, redactor) + _history(job, redactor)
    if exp.get("suggested_fix"):
        lines += [f"**Suggested fix.** {exp['suggested_fix']}", ""]
    evidence = [str(e) for e in exp.get("evidence") or []]
    if evidence:
        code = sanitize_code("\n".join(evidence), 6000, redactor=redactor)
        fence = fence_for(code)
        lines += [
            f"<details><summary>Evidence from the log ({len(evidence)} lines)</summary>",
            "",
            f"{fence}text",
            code,
            fence,
            "</details>",
            "",
        ]
    lines.append(f"_Confidence: {exp.get('confidence', 'low')}._")
    if job.note:
        lines += ["", f"> {job.note}"]
    return [*lines, ""]


def _footer(jobs: list[JobAnalysis]) -> str:
    usage = [j.explanation.get("usage") or {} for j in jobs if j.explanation]
    tokens = sum(int(u.get("prompt_tokens", 0)) + int(u.get("completion_tokens", 0)) for u in usage)
    cost = sum(float(u.get("cost_usd", 0.0)) for u in usage)
    models = sorted({str(u.get("model")) for u in usage if u.get("model")})
    parts = ["ArgusAI CI analysis"]
    if models:
        parts.append("model " + ", ".join(models))
    parts.append(f"{tokens:,} tokens")
    if cost:
        parts.append(f"${cost:.4f}")
    return "<sub>" + " · ".join(parts) + "</sub>"


def failure_comment(
    run: RunInfo, jobs: list[JobAnalysis], *, skipped: int = 0, redactor: Redactor
) -> str:
    """The PR comment for a failed attempt: one section per failed job."""
    word = "timed out" if run.conclusion == "timed_out" else "failed"
    n = len(jobs)
    lines = [
        run_marker(run.run_id),
        attempt_marker(run.attempt),
        f"## ❌ CI {word}: {_title(run, redactor)} (attempt {run.attempt})",
        "",
        f"{_link('Workflow run', run.html_url)} · commit `{run.head_sha[:10]}` · "
        f"{n} failed job{'s' if n != 1 else ''} analysed",
        "",
    ]
    if not jobs:
        lines += ["_GitHub listed no failed job for this attempt._", ""]
    for job in jobs:
        lines += _job_section(job, redactor)
    if skipped:
        lines += [
            f"_{skipped} more failed job{'s were' if skipped != 1 else ' was'} not "
            "analysed (limit per run)._",
            "",
        ]
    lines += ["---", _footer(jobs)]
    return _finish("\n".join(lines), redactor)


def passed_comment(
    run: RunInfo, earlier: list[JobAnalysis], earlier_attempt: int | None, *, redactor: Redactor
) -> str:
    """The comment once a re-run attempt succeeded: says so, keeps the old analysis folded."""
    lines = [
        run_marker(run.run_id),
        attempt_marker(run.attempt),
        f"## ✅ CI passed: {_title(run, redactor)} (attempt {run.attempt})",
        "",
        f"{_link('Workflow run', run.html_url)} · commit `{run.head_sha[:10]}` · "
        f"the re-run passed"
        + (f"; attempt {earlier_attempt} had failed." if earlier_attempt else "."),
        "",
    ]
    if earlier:
        lines += [
            f"<details><summary>Analysis of the failed attempt {earlier_attempt}</summary>",
            "",
        ]
        for job in earlier:
            lines += _job_section(job, redactor)
        lines += ["</details>", ""]
    lines += ["---", "<sub>ArgusAI CI analysis</sub>"]
    return _finish("\n".join(lines), redactor)


def check_output(
    run: RunInfo, jobs: list[JobAnalysis], *, passed: bool = False, redactor: Redactor
) -> tuple[str, str]:
    """Title and summary of the check run "ArgusAI CI analysis"."""
    name = run.workflow_name or "workflow"
    if passed:
        title = f"{name}: passed on attempt {run.attempt}"
        return truncate(title, 250), _finish(
            f"The re-run (attempt {run.attempt}) passed.", redactor
        )
    title = f"{name}: {len(jobs)} failed job{'s' if len(jobs) != 1 else ''} explained"
    parts = []
    for job in jobs:
        exp = job.explanation
        cause = exp.get("root_cause") if exp else job.note or "not explained"
        parts.append(
            f"- {code_span(job.job_name or str(job.job_id), 120, redactor=redactor)}: {cause}"
        )
    summary = "\n".join(parts) or "GitHub listed no failed job for this attempt."
    return truncate(" ".join(title.split()), 250), _finish(summary, redactor)


def _finish(text: str, redactor: Redactor) -> str:
    return truncate(redactor.redact(text), MAX_BODY)
